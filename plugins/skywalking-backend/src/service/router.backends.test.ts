import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createTestNamespace, getSharedTestCluster } from '@internal/local-cluster';
import request from 'supertest';
import { asUser } from '../__testUtils__/routerBackend';
import { startPluginBackend } from '../__testUtils__/pluginBackend';
import { loadK8s } from '../clusters/k8s';

/*
 * PUT /backends/:cluster/:namespace/:name over HTTP, through the whole plugin
 * on the local control plane: a full replace of the backend's spec. Field
 * errors are 400 with `fields`, an unknown backend 404, a denied permission
 * 403, and none of them changes what is in the cluster.
 */
jest.setTimeout(120_000);

const ALICE = 'user:default/alice';
const GROUP = 'operator.skywalking.apache.org';


/** What a write would change: the spec and its generation (the operator's status writes move resourceVersion, not these). */
const specOf = (o: any) => ({ generation: o.metadata.generation, spec: o.spec, labels: o.metadata.labels });

describe('PUT /backends (HTTP, local cluster)', () => {
  let ns: string;
  let plugin: Awaited<ReturnType<typeof startPluginBackend>>;
  let custom: any;
  const spec = () => ({
    name: 'demo',
    namespace: ns,
    cluster: 'local',
    version: '10.2.0',
    storage: { type: 'banyandb' },
    ui: { enabled: true },
  });
  const put = (path: string, body: unknown) =>
    request(plugin.server).put(`/api/skywalking/backends/local/${path}`).set('Authorization', asUser(ALICE)).send(body as object);
  const read = (plural: string, name = 'demo') =>
    custom.getNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural, name }).catch((e: any) => {
      if (e.code === 404) return undefined;
      throw e;
    });

  beforeAll(async () => {
    const k8s = await loadK8s();
    const kc = new k8s.KubeConfig();
    kc.loadFromString((await getSharedTestCluster()).kubeconfig);
    custom = kc.makeApiClient(k8s.CustomObjectsApi);
    ns = await createTestNamespace('put-backends');
    plugin = await startPluginBackend({ namespaces: [ns], user: ALICE, skywalking: { leaseNamespace: ns } });
    const created = await request(plugin.server).post('/api/skywalking/backends').set('Authorization', asUser(ALICE)).send({ spec: spec() });
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
  });
  afterAll(() => plugin?.stop());

  beforeEach(() => plugin.setDecision(() => AuthorizeResult.ALLOW));

  it('starts from a created backend with a UI', async () => {
    expect(await read('oapservers')).toBeDefined();
    expect(await read('uis')).toBeDefined();
  });

  it('answers a spec with invalid fields with 400 listing them, and changes nothing', async () => {
    const before = await read('oapservers');
    const res = await put(`${ns}/demo`, { ...spec(), version: 'latest', storage: { type: 'cassandra' }, oap: { replicas: -1 } });
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
    expect(res.body.fields.map((f: { path: string }) => f.path).sort()).toEqual(['oap.replicas', 'storage.type', 'version']);
    const after = await read('oapservers');
    expect(specOf(after)).toEqual(specOf(before));
  });

  it('answers a body that is not an object with 400', async () => {
    const res = await put(`${ns}/demo`, [spec()]);
    expect(res.status).toBe(400);
    expect(res.body.fields.length).toBeGreaterThan(0);
  });

  it('answers an unknown backend with 404 and creates nothing', async () => {
    const res = await put(`${ns}/nope`, { ...spec(), name: 'nope' });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ name: 'NotFoundError', message: expect.stringContaining(`no SkyWalking backend ${ns}/nope`) });
    expect(await read('oapservers', 'nope')).toBeUndefined();
  });

  it('answers 403 naming the permission when update is denied, and changes nothing', async () => {
    plugin.setDecision(p => (p.name === 'skywalking.backend.update' ? AuthorizeResult.DENY : AuthorizeResult.ALLOW));
    const before = await read('oapservers');
    const res = await put(`${ns}/demo`, { ...spec(), oap: { replicas: 3 } });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ name: 'NotAllowedError', message: expect.stringContaining('skywalking.backend.update') });
    expect(specOf((await read('oapservers')))).toEqual(specOf(before));
  });

  it('replaces the spec: new replicas applied, an omitted UI removed, the path naming the backend', async () => {
    // name and namespace in the body do not redirect the write: the path names the backend
    const res = await put(`${ns}/demo`, { ...spec(), name: 'other', ui: { enabled: false }, oap: { replicas: 2 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ queued: false });
    expect((await read('oapservers')).spec.instances).toBe(2);
    expect(await read('uis')).toBeUndefined();
    expect(await read('oapservers', 'other')).toBeUndefined();
    const audit = await request(plugin.server)
      .get(`/api/skywalking/audit?target=${encodeURIComponent(`backend:local/${ns}/demo`)}`)
      .set('Authorization', asUser(ALICE));
    expect(audit.status).toBe(200);
    expect(audit.body.items[0]).toMatchObject({ actor: ALICE, action: 'update' });
  });
});
