import { createTestNamespace, getSharedTestCluster } from '@internal/local-cluster';
import request from 'supertest';
import { asUser } from '../__testUtils__/routerBackend';
import { startPluginBackend } from '../__testUtils__/pluginBackend';
import { loadK8s } from '../clusters/k8s';

/*
 * Tenancy through the whole plugin on the local control plane (real router,
 * TenancyService from skywalking.tenancy, userInfo, tracing and operator):
 * alice is mapped to one namespace; her toggle of a workload in another,
 * a hostile selector and a backend named by a host are refused and the
 * cluster is unchanged; a create in the other namespace is a 403 naming it.
 */
jest.setTimeout(120_000);

const ALICE = 'user:default/alice';

describe('tenancy through the whole plugin (HTTP, local cluster)', () => {
  let mine: string;
  let theirs: string;
  let plugin: Awaited<ReturnType<typeof startPluginBackend>>;
  let apps: any;
  let core: any;
  let custom: any;

  const component = (name: string, annotations: Record<string, string>) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations: { 'backstage.io/kubernetes-cluster': 'local', ...annotations } },
    spec: { type: 'service', lifecycle: 'production', owner: ALICE },
  });
  const put = (body: unknown) => request(plugin.server).put('/api/skywalking/tracing').set('Authorization', asUser(ALICE)).send(body as object);
  const state = async () => ({
    mine: (await apps.readNamespacedDeployment({ namespace: mine, name: 'shop' })).spec.template,
    theirs: (await apps.readNamespacedDeployment({ namespace: theirs, name: 'shop' })).spec.template,
    labels: [(await core.readNamespace({ name: mine })).metadata.labels, (await core.readNamespace({ name: theirs })).metadata.labels],
  });

  beforeAll(async () => {
    const k8s = await loadK8s();
    const kc = new k8s.KubeConfig();
    kc.loadFromString((await getSharedTestCluster()).kubeconfig);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    core = kc.makeApiClient(k8s.CoreV1Api);
    custom = kc.makeApiClient(k8s.CustomObjectsApi);
    [mine, theirs] = await Promise.all([createTestNamespace('tenancy-mine'), createTestNamespace('tenancy-theirs')]);
    for (const namespace of [mine, theirs]) {
      await apps.createNamespacedDeployment({
        namespace,
        body: {
          metadata: { name: 'shop', labels: { app: 'shop' } },
          spec: { replicas: 0, selector: { matchLabels: { app: 'shop' } }, template: { metadata: { labels: { app: 'shop' } }, spec: { containers: [{ name: 'shop', image: 'shop:1' }] } } },
        },
      });
    }
    plugin = await startPluginBackend({
      namespaces: [mine],
      user: ALICE,
      entities: [
        component('reach', { 'backstage.io/kubernetes-label-selector': 'app=shop', 'backstage.io/kubernetes-namespace': theirs }),
        component('everything', { 'backstage.io/kubernetes-label-selector': 'app' }),
        component('shop', { 'backstage.io/kubernetes-label-selector': 'app=shop', 'backstage.io/kubernetes-namespace': mine }),
      ],
      skywalking: { leaseNamespace: mine, clusters: { local: { injectionMode: 'patch' } } },
    });
    const created = await request(plugin.server)
      .post('/api/skywalking/backends')
      .set('Authorization', asUser(ALICE))
      .send({ spec: { name: 'demo', namespace: mine, cluster: 'local', version: '10.2.0', storage: { type: 'banyandb' } } });
    if (created.status !== 201) throw new Error(`backend not created: ${created.status} ${JSON.stringify(created.body)}`);
  });
  afterAll(() => plugin?.stop());

  const backend = () => ({ cluster: 'local', namespace: mine, name: 'demo' });

  it("refuses a toggle of a workload in a namespace not mapped to the caller with a 403 naming it; nothing changes", async () => {
    const before = await state();
    const res = await put({ entityRef: 'component:default/reach', enabled: true, backend: backend() });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain(`may not toggle tracing in namespace ${theirs} of cluster local`);
    expect(await state()).toEqual(before);
  });

  it('refuses an existence-only selector with a 400 naming the annotation; nothing changes', async () => {
    const before = await state();
    const res = await put({ entityRef: 'component:default/everything', enabled: true, backend: backend() });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/backstage\.io\/kubernetes-label-selector annotation "app" has the existence-only requirement/);
    expect(await state()).toEqual(before);
  });

  it('refuses a backend named by a host (evil.example.com) with a 400; nothing changes', async () => {
    const before = await state();
    const res = await put({ entityRef: 'component:default/shop', enabled: true, backend: { cluster: 'local', namespace: 'evil.example.com', name: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('backend.namespace "evil.example.com" is not a DNS-1123 label');
    expect(await state()).toEqual(before);
  });

  it("refuses a create in a namespace not mapped to the caller with a 403 naming it", async () => {
    const res = await request(plugin.server)
      .post('/api/skywalking/backends')
      .set('Authorization', asUser(ALICE))
      .send({ spec: { name: 'demo', namespace: theirs, cluster: 'local', version: '10.2.0', storage: { type: 'banyandb' } } });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain(`Not allowed in namespace ${theirs} of cluster local`);
    const list: any = await custom.listNamespacedCustomObject({ group: 'operator.skywalking.apache.org', version: 'v1alpha1', namespace: theirs, plural: 'oapservers' });
    expect(list.items).toEqual([]);
  });
});
