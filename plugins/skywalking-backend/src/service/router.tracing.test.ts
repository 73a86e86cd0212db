import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createTestNamespace, eventually, getSharedTestCluster } from '@internal/local-cluster';
import { isAgentInjected } from '@skywalking-backstage/plugin-skywalking-common';
import request from 'supertest';
import { asUser } from '../__testUtils__/routerBackend';
import { startPluginBackend } from '../__testUtils__/pluginBackend';
import { loadK8s } from '../clusters/k8s';

/*
 * GET and PUT /tracing over HTTP, through the whole plugin on the local
 * control plane in patch mode: bad bodies are 400 and touch nothing, a denied
 * toggle permission is 403 naming the permission and the entity, and a
 * toggle by the entity's owner injects the agent into its Deployment and
 * takes it out again.
 */
jest.setTimeout(120_000);

const ALICE = 'user:default/alice';
const ENTITY = 'component:default/shop';

describe('GET/PUT /tracing (HTTP, local cluster)', () => {
  let ns: string;
  let plugin: Awaited<ReturnType<typeof startPluginBackend>>;
  let apps: any;

  const template = async () => (await apps.readNamespacedDeployment({ namespace: ns, name: 'shop' })).spec.template;
  const put = (body: unknown) =>
    request(plugin.server).put('/api/skywalking/tracing').set('Authorization', asUser(ALICE)).send(body as object);
  const get = (query: string) =>
    request(plugin.server).get(`/api/skywalking/tracing${query}`).set('Authorization', asUser(ALICE));

  beforeAll(async () => {
    const k8s = await loadK8s();
    const kc = new k8s.KubeConfig();
    kc.loadFromString((await getSharedTestCluster()).kubeconfig);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    ns = await createTestNamespace('tracing-http');
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'shop', labels: { app: 'shop' } },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'shop' } },
          template: { metadata: { labels: { app: 'shop' } }, spec: { containers: [{ name: 'shop', image: 'shop:1' }] } },
        },
      },
    });
    plugin = await startPluginBackend({
      namespaces: [ns],
      user: ALICE,
      entities: [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: {
            name: 'shop',
            namespace: 'default',
            annotations: {
              'backstage.io/kubernetes-label-selector': 'app=shop',
              'backstage.io/kubernetes-namespace': ns,
              'backstage.io/kubernetes-cluster': 'local',
            },
          },
          spec: { type: 'service', lifecycle: 'production', owner: ALICE },
        },
      ],
      skywalking: { leaseNamespace: ns, clusters: { local: { injectionMode: 'patch' } } },
    });
    // the backend the agents report to: a portal backend in alice's namespace
    const created = await request(plugin.server)
      .post('/api/skywalking/backends')
      .set('Authorization', asUser(ALICE))
      .send({ spec: { name: 'demo', namespace: ns, cluster: 'local', version: '10.2.0', storage: { type: 'banyandb' } } });
    if (created.status !== 201) throw new Error(`backend not created: ${created.status} ${JSON.stringify(created.body)}`);
  });
  afterAll(() => plugin?.stop());

  beforeEach(() => plugin.setDecision(() => AuthorizeResult.ALLOW));

  it('GET answers a missing entityRef with 400', async () => {
    const res = await get('');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ name: 'InputError', message: 'entityRef query parameter is required' });
  });

  it.each([
    ['no entityRef', { enabled: true }, 'entityRef is required'],
    ['an empty entityRef', { entityRef: '', enabled: true }, 'entityRef is required'],
    ['a non-string entityRef', { entityRef: 42, enabled: true }, 'entityRef is required'],
    ['no enabled', { entityRef: ENTITY }, 'enabled must be true or false'],
    ['enabled as a string', { entityRef: ENTITY, enabled: 'true' }, 'enabled must be true or false'],
    ['a JSON array', [{ entityRef: ENTITY, enabled: true }], 'entityRef is required'],
  ])('PUT answers %s with 400 and leaves the workload alone', async (_label, body, message) => {
    const before = await template();
    const res = await put(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ name: 'InputError', message });
    expect(await template()).toEqual(before);
  });

  it('PUT answers a body that is not valid JSON with 400', async () => {
    const res = await request(plugin.server)
      .put('/api/skywalking/tracing')
      .set('Authorization', asUser(ALICE))
      .set('Content-Type', 'application/json')
      .send('{"entityRef": ');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^Request body is not valid JSON/);
  });

  it('PUT answers 403 naming the permission and the entity when the toggle is denied', async () => {
    plugin.setDecision(p => (p.name === 'skywalking.tracing.toggle' ? AuthorizeResult.DENY : AuthorizeResult.ALLOW));
    plugin.asked.length = 0;
    const res = await put({ entityRef: ENTITY, enabled: true, backend: { cluster: 'local', namespace: ns, name: 'demo' } });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ name: 'NotAllowedError', message: `Not allowed: skywalking.tracing.toggle on ${ENTITY}` });
    // the decision was asked on the entity itself
    expect(plugin.asked).toContainEqual({ name: 'skywalking.tracing.toggle', resourceRef: ENTITY });
    expect(isAgentInjected({ metadata: (await template()).metadata, spec: (await template()).spec })).toBe(false);
  });

  it('PUT by the owner injects the agent into the Deployment; GET shows it on; PUT off takes it out', async () => {
    const backend = { cluster: 'local', namespace: ns, name: 'demo' };
    const on = await put({ entityRef: ENTITY, enabled: true, backend });
    expect({ status: on.status, body: on.body }).toMatchObject({ status: 200, body: { entityRef: ENTITY, enabled: true, backend } });
    await eventually('agent in the pod template', async () => {
      const t = await template();
      return isAgentInjected({ metadata: t.metadata, spec: t.spec });
    }, 30_000);

    const status = await get(`?entityRef=${encodeURIComponent(ENTITY)}`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ entityRef: ENTITY, enabled: true, backend, updatedBy: ALICE });
    expect(status.body.history[0]).toMatchObject({ actor: ALICE, action: 'tracing.enable' });

    const off = await put({ entityRef: ENTITY, enabled: false });
    expect(off.status).toBe(200);
    expect(off.body.enabled).toBe(false);
    await eventually('agent out of the pod template', async () => {
      const t = await template();
      return !isAgentInjected({ metadata: t.metadata, spec: t.spec });
    }, 30_000);
  });
});
