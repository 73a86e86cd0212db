import {
  coreServices,
  createBackendPlugin,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { validateBackendSpec, WriteResult } from '@skywalking-backstage/plugin-skywalking-common';
import request from 'supertest';
import { applyDatabaseMigrations } from '../database/migrations';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { BackupService } from './BackupService';
import { createRouter } from './router';
import { BackendOperations } from './types';
import { NotFoundError } from '@backstage/errors';

/*
 * The backup routes over HTTP: a real Backstage test backend, the real
 * validation and the real BackupService, whose cluster is a fake holding one
 * BanyanDB custom object (its Kubernetes side is tested on the local control
 * plane in backup.test.ts). Invalid requests must be 400 with field paths and
 * reach no cluster; every accepted request is audited with the user.
 */

const ALICE = 'user:default/alice';
const asAlice = () => mockCredentials.user.header(ALICE);

const banyandb = {
  apiVersion: 'operator.skywalking.apache.org/v1alpha1',
  kind: 'BanyanDB',
  // made by the portal (portalManaged: writes act only on objects with this label)
  metadata: { name: 'demo', namespace: 'skywalking', uid: 'u-1', labels: { 'app.kubernetes.io/managed-by': 'skywalking-backstage' }, annotations: { 'skywalking-backstage.io/backup': JSON.stringify({ schedule: '@daily', target: { pvc: { claimName: 'backups' } } }) } },
  spec: { version: '0.8.0', counts: 1, storages: [{ name: 'data', path: '/tmp' }] },
};

describe('backup REST API (HTTP)', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  const authorized: { name: string; resourceRef?: string }[] = [];
  const created: unknown[] = [];
  const k8sCalls: string[] = [];
  let decision: AuthorizeResult.ALLOW | AuthorizeResult.DENY = AuthorizeResult.ALLOW;
  let store: SkyWalkingStore;
  let server: any;

  const permissions: PermissionsService = {
    async authorize(requests) {
      authorized.push(...requests.map(r => ({ name: r.permission.name, resourceRef: (r as any).resourceRef })));
      return requests.map(() => ({ result: decision }));
    },
    async authorizeConditional(requests) {
      return requests.map(() => ({ result: decision }));
    },
  };
  const backends = {
    create: async (spec: unknown): Promise<WriteResult> => {
      created.push(spec);
      return { applied: true, queued: false };
    },
    // only demo exists: a restore into another name creates it
    get: async (ref: { name: string }) => {
      if (ref.name === 'demo') return { ...ref, pods: [], events: [] };
      throw new NotFoundError(`no SkyWalking backend ${ref.name}`);
    },
  } as unknown as BackendOperations;
  const notFound = () => Object.assign(new Error('not found'), { code: 404 });
  const clusters: any = {
    clients: () => ({
      custom: {
        getNamespacedCustomObject: async (a: { plural: string; name: string; namespace: string }) => {
          k8sCalls.push(`get ${a.plural}/${a.namespace}/${a.name}`);
          if (a.namespace === 'skywalking' && a.name === 'demo' && a.plural === 'banyandbs') return banyandb;
          if (a.namespace === 'skywalking' && a.name === 'demo' && a.plural === 'oapservers') return { metadata: { name: 'demo', labels: { 'app.kubernetes.io/managed-by': 'skywalking-backstage' } }, spec: { version: '10.2.0', instances: 1 } };
          throw notFound();
        },
      },
      core: {
        readNamespacedPod: async () => {
          k8sCalls.push('read pod');
          return { spec: { nodeName: 'n1' }, status: { phase: 'Pending' } };
        },
      },
    }),
    unreachable: (_c: string, e: unknown) => e,
  };

  beforeAll(async () => {
    const knex = await databases.init('SQLITE_3');
    await applyDatabaseMigrations(knex);
    store = new SkyWalkingStore(knex);
    const plugin = createBackendPlugin({
      pluginId: 'skywalking',
      register(env) {
        env.registerInit({
          deps: { httpRouter: coreServices.httpRouter, httpAuth: coreServices.httpAuth, logger: coreServices.logger },
          async init({ httpRouter, httpAuth, logger }) {
            httpRouter.use(
              await createRouter({
                logger,
                httpAuth,
                permissions,
                store,
                backends,
                validateBackendSpec,
                userInfo: { getUserInfo: async () => ({ userEntityRef: ALICE, ownershipEntityRefs: [ALICE, 'group:default/team'] }) },
                backups: new BackupService({ clusters, backends, logger, now: () => new Date('2026-11-30T10:00:00Z') }),
              }),
            );
          },
        });
      },
    });
    const backend = await startTestBackend({
      features: [plugin, mockServices.httpAuth.factory({ defaultCredentials: mockCredentials.none() })],
    });
    server = backend.server;
  });

  beforeEach(() => {
    authorized.length = 0;
    created.length = 0;
    k8sCalls.length = 0;
    decision = AuthorizeResult.ALLOW;
  });

  const post = (path: string) => request(server).post(`/api/skywalking${path}`).set('Authorization', asAlice());

  it('answers a backend spec with an invalid backup with 400 and every field path', async () => {
    const res = await post('/backends').send({
      name: 'demo',
      namespace: 'skywalking',
      cluster: 'local',
      version: '10.2.0',
      storage: { type: 'banyandb', banyandb: { backup: { schedule: '0 3 * * *', timeStyle: 'weekly', target: { pvc: { claimName: 'b' }, url: 's3://bucket/x' } } } },
    });
    expect(res.status).toBe(400);
    expect(res.body.fields.map((f: any) => f.path).sort()).toEqual([
      'storage.banyandb.backup.schedule',
      'storage.banyandb.backup.target',
      'storage.banyandb.backup.target.url',
      'storage.banyandb.backup.timeStyle',
    ]);
    expect(created).toEqual([]);
  });

  it('answers an on-demand backup to an invalid target with 400 and its field path', async () => {
    const res = await post('/backends/local/skywalking/demo/backups').send({ target: { url: 'ftp://host/x' } });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual([{ path: 'target.url', message: expect.stringContaining('not an object store URL') }]);
    expect(authorized).toEqual([{ name: 'skywalking.backend.backup', resourceRef: 'local/skywalking/demo' }]);
  });

  it('answers a backup of a BanyanDB whose pod is not running with 409, audited with the user', async () => {
    const res = await post('/backends/local/skywalking/demo/backups').send({});
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/demo-banyandb-0 is not running \(Pending\)/);
    const [entry] = await store.listAudit({ target: 'backend:local/skywalking/demo', limit: 1 });
    expect(entry).toMatchObject({ actor: ALICE, action: 'backup', details: { error: expect.stringContaining('not running') } });
  });

  it('answers 403 on DENY of the backup permission, before touching the cluster', async () => {
    decision = AuthorizeResult.DENY;
    const res = await post('/backends/local/skywalking/demo/backups').send({});
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe('Not allowed: skywalking.backend.backup on local/skywalking/demo');
    expect(k8sCalls).toEqual([]);
  });

  it('validates a restore request: time directory and source, with field paths, before the cluster', async () => {
    const res = await post('/backends/local/skywalking/copy/restore').send({ backup: 'last tuesday', from: { cluster: 'local', namespace: 'Sky', name: '' } });
    expect(res.status).toBe(400);
    expect(res.body.fields.map((f: any) => f.path)).toEqual(['backup', 'from.namespace', 'from.name']);
    expect(authorized).toEqual([]);
    expect(k8sCalls).toEqual([]);
  });

  it('restores into a new backend from the source\'s recorded target, records the owner and audits the user', async () => {
    const res = await post('/backends/local/skywalking/copy/restore').send({ backup: '2026-11-29', from: { cluster: 'local', namespace: 'skywalking', name: 'demo' }, owner: 'group:default/team' });
    expect(res.status).toBe(201);
    // a new backend: create, and read on the source whose backups it takes
    expect(authorized).toEqual([
      { name: 'skywalking.backend.read', resourceRef: 'local/skywalking/demo' },
      { name: 'skywalking.backend.create', resourceRef: undefined },
    ]);
    expect(res.body).toMatchObject({ created: true, restore: { backup: '2026-11-29', target: { pvc: { claimName: 'backups' } }, from: { name: 'demo' } } });
    expect(created).toEqual([
      expect.objectContaining({
        name: 'copy',
        version: '10.2.0',
        storage: expect.objectContaining({ type: 'banyandb', banyandb: expect.objectContaining({ version: '0.8.0', restore: expect.objectContaining({ backup: '2026-11-29' }) }) }),
      }),
    ]);
    const [entry] = await store.listAudit({ target: 'backend:local/skywalking/copy', limit: 1 });
    expect(entry).toMatchObject({ actor: ALICE, action: 'restore', details: { backup: '2026-11-29', created: true } });
    expect((await store.listBackends()).find(b => b.name === 'copy')).toMatchObject({ ownerRef: 'group:default/team', createdBy: ALICE });
  });

  it("refuses to overwrite an existing backend's data with another backend's backup unless inPlace is true (H5)", async () => {
    const body = { backup: '2026-11-29', from: { cluster: 'local', namespace: 'skywalking', name: 'copy' } };
    const res = await post('/backends/local/skywalking/demo/restore').send(body);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/skywalking\/demo exists in cluster local: restoring skywalking\/copy's backup into it replaces its data; send "inPlace": true/);
    expect(authorized).toEqual([
      { name: 'skywalking.backend.read', resourceRef: 'local/skywalking/copy' },
      { name: 'skywalking.backend.restore', resourceRef: 'local/skywalking/demo' },
    ]);
    expect(k8sCalls).toEqual([]);
    const bad = await post('/backends/local/skywalking/demo/restore').send({ ...body, inPlace: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual([{ path: 'inPlace', message: 'must be true or false' }]);
  });

  it('refuses to restore from a PVC into another namespace (400, target.pvc)', async () => {
    const res = await post('/backends/local/other/copy/restore').send({ backup: '2026-11-29', from: { cluster: 'local', namespace: 'skywalking', name: 'demo' } });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual([{ path: 'target.pvc', message: expect.stringContaining('only in its own namespace') }]);
    expect(created).toEqual([]);
  });

  it('refuses a restore without a target when the source records none (400, target)', async () => {
    const res = await post('/backends/local/skywalking/copy/restore').send({ backup: '2026-11-29', from: { cluster: 'local', namespace: 'skywalking', name: 'gone' } });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual([{ path: 'target', message: expect.stringContaining('does not exist') }]);
  });
});
