import { createTestNamespace, eventually, getSharedTestCluster } from '@internal/local-cluster';
import request from 'supertest';
import { asUser } from '../__testUtils__/routerBackend';
import { startPluginBackend } from '../__testUtils__/pluginBackend';
import { loadK8s } from '../clusters/k8s';

/*
 * The rules of PUT /backends/:cluster/:namespace/:name (M8), over HTTP
 * through the whole plugin on the local control plane: GET answers an ETag
 * of the spec and PUT honours If-Match (412 when the spec changed since),
 * a version change is refused with 400 pointing at POST …/upgrade, and an
 * update while an upgrade is under way with 409. None of the refusals
 * changes what is in the cluster.
 */
jest.setTimeout(180_000);

const ALICE = 'user:default/alice';
const GROUP = 'operator.skywalking.apache.org';


/** What a write would change: the spec and its generation (the operator's status writes move resourceVersion, not these). */
const specOf = (o: any) => ({ generation: o.metadata.generation, spec: o.spec, labels: o.metadata.labels });

describe('PUT /backends rules: If-Match, versions, upgrades (HTTP, local cluster)', () => {
  let ns: string;
  let plugin: Awaited<ReturnType<typeof startPluginBackend>>;
  let custom: any;
  const spec = (name = 'demo', extra: Record<string, unknown> = {}) => ({
    name,
    namespace: ns,
    cluster: 'local',
    version: '10.2.0',
    storage: { type: 'banyandb' },
    ui: { enabled: true },
    ...extra,
  });
  const url = (name: string) => `/api/skywalking/backends/local/${ns}/${name}`;
  const get = (name = 'demo') => request(plugin.server).get(url(name)).set('Authorization', asUser(ALICE));
  const put = (body: unknown, o: { name?: string; ifMatch?: string } = {}) => {
    const r = request(plugin.server).put(url(o.name ?? 'demo')).set('Authorization', asUser(ALICE));
    return (o.ifMatch === undefined ? r : r.set('If-Match', o.ifMatch)).send(body as object);
  };
  const read = (plural: string, name = 'demo') => custom.getNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural, name });

  beforeAll(async () => {
    const k8s = await loadK8s();
    const kc = new k8s.KubeConfig();
    kc.loadFromString((await getSharedTestCluster()).kubeconfig);
    custom = kc.makeApiClient(k8s.CustomObjectsApi);
    ns = await createTestNamespace('put-rules');
    plugin = await startPluginBackend({ namespaces: [ns], user: ALICE, skywalking: { leaseNamespace: ns } });
    // "stuck": its OAP pods fit no node, so an upgrade of it stays at the OAP step until its deadline
    const stuck = spec('stuck', { oap: { nodeSelector: { 'skywalking-backstage.io/no-such-node': 'true' } } });
    for (const s of [spec(), stuck]) {
      const created = await request(plugin.server).post('/api/skywalking/backends').set('Authorization', asUser(ALICE)).send({ spec: s });
      if (created.status !== 201) throw new Error(`create of ${s.name} failed: ${created.status} ${JSON.stringify(created.body)}`);
    }
  });
  afterAll(() => plugin?.stop());

  it('answers GET with an ETag of the spec, the same while the spec is unchanged', async () => {
    const a = await get();
    expect(a.status).toBe(200);
    expect(a.headers.etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    // the operator writes status meanwhile: the ETag follows the spec, not the resourceVersion
    await new Promise(r => setTimeout(r, 1500));
    const b = await get();
    expect(b.headers.etag).toBe(a.headers.etag);
    // sent in full even when asked If-None-Match (pods and status change under the same spec)
    const c = await get().set('If-None-Match', a.headers.etag);
    expect(c.status).toBe(200);
    expect(c.body.name).toBe('demo');
  });

  it('applies a PUT whose If-Match is the current ETag, and answers the stale one with 412 changing nothing', async () => {
    const etag = (await get()).headers.etag;
    const ok = await put({ ...spec(), oap: { replicas: 2 } }, { ifMatch: etag });
    expect(ok.status).toBe(200);
    expect((await read('oapservers')).spec.instances).toBe(2);
    const next = (await get()).headers.etag;
    expect(next).not.toBe(etag);

    const before = await read('oapservers');
    const stale = await put({ ...spec(), oap: { replicas: 3 } }, { ifMatch: etag });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({ name: 'PreconditionFailedError', message: expect.stringContaining(`backend ${ns}/demo in cluster local changed since it was read`) });
    const after = await read('oapservers');
    expect(after.spec.instances).toBe(2);
    expect(specOf(after)).toEqual(specOf(before));
    // one of several listed ETags may match
    expect((await put({ ...spec(), oap: { replicas: 3 } }, { ifMatch: `${etag}, ${next}` })).status).toBe(200);
    expect((await read('oapservers')).spec.instances).toBe(3);
  });

  it('applies a PUT without If-Match, or with If-Match: *, as before', async () => {
    expect((await put({ ...spec(), oap: { replicas: 1 } })).status).toBe(200);
    expect((await read('oapservers')).spec.instances).toBe(1);
    expect((await put({ ...spec(), oap: { replicas: 2 } }, { ifMatch: '*' })).status).toBe(200);
    expect((await read('oapservers')).spec.instances).toBe(2);
  });

  it('refuses a version change (newer or older, OAP or BanyanDB) with 400 pointing at POST …/upgrade, and changes nothing', async () => {
    const before = await read('oapservers');
    const dbBefore = await read('banyandbs');
    for (const version of ['10.3.0', '10.1.0']) {
      const res = await put({ ...spec(), version });
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([{ path: 'version', message: expect.stringContaining(`POST /backends/local/${ns}/demo/upgrade { "version": "${version}" }`) }]);
      expect(res.body.fields[0].message).toContain('OAPServer runs 10.2.0');
    }
    const res = await put({ ...spec(), storage: { type: 'banyandb', banyandb: { version: '0.1.0' } } });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual([{ path: 'storage.banyandb.version', message: expect.stringContaining(`"storageVersion": "0.1.0"`) }]);
    expect(res.body.fields[0].message).toContain(`BanyanDB runs ${dbBefore.spec.version}`);
    const after = await read('oapservers');
    expect(specOf(after)).toEqual(specOf(before));
    expect(after.spec.version).toBe('10.2.0');
    expect(specOf((await read('banyandbs')))).toEqual(specOf(dbBefore));
  });

  it('refuses an update while an upgrade is under way with 409, and GET shows the recorded upgrade', async () => {
    const up = await request(plugin.server).post(`${url('stuck')}/upgrade`).set('Authorization', asUser(ALICE)).send({ version: '10.3.0', deadlineSeconds: 600 });
    expect(up.status).toBe(200);
    expect((await get('stuck')).body.upgrade).toMatchObject({ version: '10.3.0', phase: expect.stringMatching(/^(storage|oap)$/), startedAt: expect.any(String) });
    // the storage step has nothing to do; the OAP step waits for pods that cannot be scheduled
    await eventually('upgrade of stuck at the OAP step', async () => (await get('stuck')).body.upgrade?.phase === 'oap', 60_000);
    const before = await read('oapservers', 'stuck');
    // with the running version and with the target: either would fight the upgrade
    for (const version of ['10.2.0', '10.3.0']) {
      const res = await put(spec('stuck', { version, oap: { replicas: 2 } }), { name: 'stuck' });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ name: 'ConflictError', message: expect.stringContaining(`backend ${ns}/stuck in cluster local is being upgraded to 10.3.0`) });
    }
    const after = await read('oapservers', 'stuck');
    expect(after.spec.instances).toBe(before.spec.instances);
    expect(after.metadata.annotations['skywalking-backstage.io/upgrade']).toBe(before.metadata.annotations['skywalking-backstage.io/upgrade']);
  });
});
