import { AuditorService } from '@backstage/backend-plugin-api';
import { TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { BackendRef, defaultSpecPolicy, WriteResult } from '@skywalking-backstage/plugin-skywalking-common';
import request from 'supertest';
import { asUser, recordingPermissions, sqliteStore, startRouterBackend } from '../__testUtils__/routerBackend';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { BackendOperations } from './types';

/*
 * Attacks through the REST API on the spec fields that reach beyond a
 * backend (review H1, M3-M5): each is a 400 naming the field (or a 403 for
 * Rover without its admin permission) before anything reaches a cluster, and
 * each is an audit event of coreServices.auditor, closed as a failure.
 */

const ALICE = 'user:default/alice';
const base = { name: 'demo', namespace: 'team-a', cluster: 'local', version: '10.2.0' };

/** A 400 naming the field, no cluster write, and an auditor event opened then closed as failed. */
function expectRefused(res: request.Response, created: unknown[], events: { eventId: string; status: string }[], path: string, message: RegExp) {
  expect(res.status).toBe(400);
  expect(res.body.fields).toEqual(expect.arrayContaining([{ path, message: expect.stringMatching(message) }]));
  expect(created).toEqual([]);
  expect(events.map(e => [e.eventId, e.status])).toEqual([
    ['backend-create', 'initiated'],
    ['backend-create', 'failed'],
  ]);
}

describe('dangerous spec fields (HTTP)', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  const order: string[] = [];
  const events: { eventId: string; status: string; meta?: any; error?: string }[] = [];
  const auditor: AuditorService = {
    async createEvent(o) {
      order.push(`audit:${o.eventId}`);
      events.push({ eventId: o.eventId, status: 'initiated', meta: o.meta });
      return {
        success: async s => void events.push({ eventId: o.eventId, status: 'succeeded', meta: s?.meta }),
        fail: async f => void events.push({ eventId: o.eventId, status: 'failed', meta: f.meta, error: f.error.message }),
      };
    },
  };
  let roverAllowed = false;
  const { permissions } = recordingPermissions(p => (p.name === 'skywalking.backend.rover' && !roverAllowed ? AuthorizeResult.DENY : AuthorizeResult.ALLOW));
  const created: any[] = [];
  let detailSpec: any = {};
  const backends = {
    create: async (spec: any): Promise<WriteResult> => {
      order.push('cluster:create');
      created.push(spec);
      return { applied: true, queued: false };
    },
    get: async (ref: BackendRef) => ({ ...ref, pods: [], events: [], spec: detailSpec, config: detailSpec.oap?.config }),
    update: async (): Promise<WriteResult> => ({ applied: true, queued: false }),
  } as unknown as BackendOperations;
  let store: SkyWalkingStore;
  let server: any;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    store = await sqliteStore(databases);
    ({ server, stop } = await startRouterBackend({
      permissions,
      store,
      backends,
      auditor,
      specPolicy: { ...defaultSpecPolicy(), allowedStorageAddresses: ['*.databases'] },
      userInfo: { getUserInfo: async () => ({ userEntityRef: ALICE, ownershipEntityRefs: [ALICE, 'group:default/team-a'] }) },
    }));
  });
  afterAll(() => stop());
  beforeEach(() => {
    order.length = 0;
    events.length = 0;
    created.length = 0;
    roverAllowed = false;
  });

  const create = (body: unknown) => request(server).post('/api/skywalking/backends').set('Authorization', asUser(ALICE)).send(body as object);


  it('refuses a snapshot Job with a hostile image in kube-system, naming the field', async () => {
    const res = await create({
      spec: {
        ...base,
        namespace: 'kube-system',
        storage: { type: 'postgresql', external: { address: 'pg.databases:5432', secretName: 'pg', snapshot: { image: 'evil.example.com/steal:1', target: { pvc: { claimName: 'etcd-data' } } } } },
      },
    });
    expect(res.status).toBe(400);
    expectRefused(res, created, events, 'storage.external.snapshot.image', /"evil.example.com\/steal:1" is not an allowed image/);
  });

  it("refuses to send a Secret's credentials to an attacker's address", async () => {
    const res = await create({ spec: { ...base, storage: { type: 'elasticsearch', external: { address: 'collector.evil.example.com:9200', secretName: 'prod-es-admin' } } } });
    expect(res.status).toBe(400);
    expectRefused(res, created, events, 'storage.external.address', /collector\.evil\.example\.com is not an allowed storage host: the storage credentials \(Secret "prod-es-admin"\)/);
  });

  it('refuses JAVA_TOOL_OPTIONS in oap.config', async () => {
    const res = await create({ spec: { ...base, oap: { config: [{ name: 'JAVA_TOOL_OPTIONS', value: '-javaagent:/tmp/evil.jar' }] } } });
    expect(res.status).toBe(400);
    expectRefused(res, created, events, 'oap.config[0].name', /JAVA_TOOL_OPTIONS changes how the JVM starts/);
  });

  it('refuses a configMapKeyRef into another component\'s config in oap.config', async () => {
    const res = await create({ spec: { ...base, oap: { config: [{ name: 'SW_X', valueFrom: { configMapKeyRef: { name: 'kubeadm-config', key: 'ClusterConfiguration' } } }] } } });
    expect(res.status).toBe(400);
    expectRefused(res, created, events, 'oap.config[0].valueFrom', /only \{ secretKeyRef/);
  });

  it("refuses a backend recorded as another team's (M4)", async () => {
    const res = await create({ spec: base, owner: 'group:default/team-b' });
    expect(res.status).toBe(400);
    expectRefused(res, created, events, 'owner', /group:default\/team-b is not among your ownership refs/);
  });

  it("lets an update keep the recorded owner, and refuses handing the backend to a team the caller is not in", async () => {
    await store.recordBackend({ cluster: 'local', namespace: 'team-a', name: 'kept', ownerRef: 'group:default/team-c', createdBy: 'user:default/carol' });
    const put = (owner: string) =>
      request(server).put('/api/skywalking/backends/local/team-a/kept').set('Authorization', asUser(ALICE)).send({ spec: { ...base, name: 'kept', owner } });
    expect((await put('group:default/team-c')).status).toBe(200);
    const handed = await put('group:default/team-b');
    expect(handed.status).toBe(400);
    expect(handed.body.fields).toEqual([{ path: 'owner', message: expect.stringContaining('group:default/team-b is not among your ownership refs') }]);
  });

  it('answers 403 to rover.enabled without the Rover admin permission, and 201 with it', async () => {
    const spec = { ...base, rover: { enabled: true } };
    const denied = await create({ spec });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toBe('Not allowed: skywalking.backend.rover');
    expect(created).toEqual([]);
    expect(events.at(-1)).toMatchObject({ eventId: 'backend-create', status: 'failed', meta: { outcome: 'denied' } });
    roverAllowed = true;
    expect((await create({ spec })).status).toBe(201);
    expect(created).toHaveLength(1);
  });

  it('opens the audit event before the cluster write and redacts literal secrets in the audit and in GET /backends/:id', async () => {
    const config = [
      { name: 'SW_CORE_RECORD_DATA_TTL', value: '3' },
      { name: 'SW_AUTHENTICATION', value: 'let-me-in' },
    ];
    const res = await create({ spec: { ...base, name: 'secretive', oap: { config } } });
    expect(res.status).toBe(201);
    expect(order).toEqual(['audit:backend-create', 'cluster:create']);
    // the cluster gets the real value; nobody reading the audit or the API does
    expect(created[0].oap.config[1].value).toBe('let-me-in');
    expect(JSON.stringify(events)).not.toContain('let-me-in');
    const [row] = await store.listAudit({ target: 'backend:local/team-a/secretive', limit: 1 });
    expect(JSON.stringify(row)).not.toContain('let-me-in');
    expect((row.details as any).spec.oap.config).toEqual([config[0], { name: 'SW_AUTHENTICATION', value: '[redacted]' }]);
    detailSpec = { oap: { config } };
    const detail = await request(server).get('/api/skywalking/backends/local/team-a/secretive').set('Authorization', asUser(ALICE));
    expect(detail.status).toBe(200);
    expect(JSON.stringify(detail.body)).not.toContain('let-me-in');
    expect(detail.body.spec.oap.config[0]).toEqual(config[0]);
  });
});
