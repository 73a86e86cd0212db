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
import {
  BackendRef,
  validateBackendSpec,
  WriteResult,
} from '@skywalking-backstage/plugin-skywalking-common';
import request from 'supertest';
import { applyDatabaseMigrations } from '../database/migrations';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { createRouter, TopologyOperations } from './router';
import { BackendOperations } from './types';
import { ScaleInputError } from './scaling';
import { UpgradeInputError } from './BackendService';
import { ConflictError } from '@backstage/errors';

/*
 * HTTP-level tests of the REST API: the router mounted by a real Backstage test
 * backend (httpRouter with its credential barrier, the root error handler),
 * the real spec validation from skywalking-common and the real store on
 * SQLite. Only our own operator side (BackendOperations) and the permission
 * decision are replaced, because these tests are about HTTP input handling.
 */

type Call = { method: string; args: unknown[] };

function recordingBackends(calls: Call[]): BackendOperations {
  const write =
    (method: string) =>
    async (...args: unknown[]): Promise<WriteResult> => {
      calls.push({ method, args });
      return { applied: true, queued: false };
    };
  return {
    listClusters: async () => {
      calls.push({ method: 'listClusters', args: [] });
      return [];
    },
    listNamespaces: async (cluster: string) => {
      calls.push({ method: 'listNamespaces', args: [cluster] });
      return ['default'];
    },
    list: async () => {
      calls.push({ method: 'list', args: [] });
      return [];
    },
    get: async (ref: BackendRef) => {
      calls.push({ method: 'get', args: [ref] });
      return { ...ref, pods: [], events: [], spec: {} } as any;
    },
    create: write('create'),
    update: write('update'),
    // names that stand for refusals of the operator side (scaling.ts)
    scale: async (...args: unknown[]) => {
      const name = (args[0] as BackendRef).name;
      if (name === 'unsplit') throw new ScaleInputError('role', 'backend skywalking/unsplit has no role split: scale its OAP without a role');
      if (name === 'autoscaled') throw new ConflictError('OAP replicas of skywalking/autoscaled are autoscaled by a HorizontalPodAutoscaler (2 to 6 replicas)');
      return write('scale')(...args);
    },
    pause: write('pause'),
    resume: write('resume'),
    // names that stand for refusals of the operator side (engine/upgrade.ts)
    upgrade: async (...args: unknown[]) => {
      const name = (args[0] as BackendRef).name;
      if (name === 'newer') throw new UpgradeInputError('version', '10.1.0 is older than the running 10.2.0; set allowDowngrade to downgrade');
      if (name === 'upgrading') throw new ConflictError('version: an upgrade to 10.3.0 is in progress (oap)');
      return write('upgrade')(...args);
    },
    delete: write('delete'),
    // change 7 is the one dead letter there is
    retryDeadLetter: async (ref: BackendRef, id: string) => {
      calls.push({ method: 'retryDeadLetter', args: [ref, id] });
      return id === '7';
    },
  };
}

const ALICE = 'user:default/alice';
const asAlice = () => mockCredentials.user.header(ALICE);

const validSpec = {
  name: 'demo',
  namespace: 'skywalking',
  cluster: 'local',
  version: '10.2.0',
  storage: { type: 'banyandb' },
};

describe('REST API router (HTTP)', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  const calls: Call[] = [];
  const topologyCalls: Array<{ entityRef: string; from: Date; to: Date }> = [];
  let decision: AuthorizeResult.ALLOW | AuthorizeResult.DENY =
    AuthorizeResult.ALLOW;
  const authorized: string[] = [];
  let store: SkyWalkingStore;
  let server: any;

  const permissions: PermissionsService = {
    async authorize(requests) {
      authorized.push(...requests.map(r => r.permission.name));
      return requests.map(() => ({ result: decision }));
    },
    // lists ask for the decision without a resource (filtered by its conditions in the router)
    async authorizeConditional(requests) {
      authorized.push(...requests.map(r => r.permission.name));
      return requests.map(() => ({ result: decision }));
    },
  };

  const topology: TopologyOperations = {
    async getTopology(input) {
      topologyCalls.push(input);
      return { nodes: [], edges: [] };
    },
  };

  beforeAll(async () => {
    const knex = await databases.init('SQLITE_3');
    await applyDatabaseMigrations(knex);
    store = new SkyWalkingStore(knex);
    const plugin = createBackendPlugin({
      pluginId: 'skywalking',
      register(env) {
        env.registerInit({
          deps: {
            httpRouter: coreServices.httpRouter,
            httpAuth: coreServices.httpAuth,
            logger: coreServices.logger,
          },
          async init({ httpRouter, httpAuth, logger }) {
            httpRouter.use(
              await createRouter({
                logger,
                httpAuth,
                permissions,
                store,
                backends: recordingBackends(calls),
                validateBackendSpec,
                topology,
                // alice is in team-a, which owns resource:default/demo (M4: a create records only the caller's own)
                userInfo: {
                  getUserInfo: async () => ({ userEntityRef: ALICE, ownershipEntityRefs: [ALICE, 'group:default/team-a'] }),
                },
                entityOwner: async ref => (ref === 'resource:default/demo' ? { owner: 'group:default/team-a' } : undefined),
              }),
            );
            httpRouter.addAuthPolicy({
              path: '/health',
              allow: 'unauthenticated',
            });
          },
        });
      },
    });
    const backend = await startTestBackend({
      features: [
        plugin,
        // a request without a token is unauthenticated, as in production
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
      ],
    });
    server = backend.server;
  });

  beforeEach(() => {
    calls.length = 0;
    topologyCalls.length = 0;
    authorized.length = 0;
    decision = AuthorizeResult.ALLOW;
  });

  const post = (path: string) =>
    request(server)
      .post(`/api/skywalking${path}`)
      .set('Authorization', asAlice());

  describe('POST /backends validation', () => {
    it('rejects a name that is not a DNS-1123 label, naming the field', async () => {
      const res = await post('/backends').send({
        ...validSpec,
        name: 'Bad_Name',
      });
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([
        { path: 'name', message: expect.stringContaining('DNS-1123') },
      ]);
      expect(res.body.error).toMatchObject({
        name: 'InputError',
        message: expect.stringContaining('name: "Bad_Name" must be a DNS-1123'),
      });
      expect(calls).toEqual([]);
    });

    it.each(['latest', '9.x'])(
      'rejects version %p with the field path "version"',
      async version => {
        const res = await post('/backends').send({ ...validSpec, version });
        expect(res.status).toBe(400);
        expect(res.body.fields).toEqual([
          {
            path: 'version',
            message: expect.stringContaining(
              `"${version}" is not a SkyWalking version`,
            ),
          },
        ]);
        expect(calls).toEqual([]);
      },
    );

    it('rejects an unknown storage type with the field path "storage.type"', async () => {
      const res = await post('/backends').send({
        ...validSpec,
        storage: { type: 'cassandra' },
      });
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([
        {
          path: 'storage.type',
          message: expect.stringContaining(
            '"cassandra" is not a known storage',
          ),
        },
      ]);
    });

    it('lists every invalid field at once', async () => {
      const res = await post('/backends').send({
        spec: {
          name: 'Bad_Name',
          namespace: 'Not OK',
          version: 'latest',
          storage: { type: 'mongo' },
          oap: { replicas: -1 },
        },
      });
      expect(res.status).toBe(400);
      expect(res.body.fields.map((f: { path: string }) => f.path)).toEqual([
        'name',
        'namespace',
        'cluster',
        'version',
        'oap.replicas',
        'storage.type',
      ]);
      for (const f of res.body.fields)
        expect(f.message).toEqual(expect.any(String));
    });

    it('answers a body that is not JSON with 400 and a clear message', async () => {
      const res = await post('/backends')
        .set('Content-Type', 'application/json')
        .send('{"name": "demo",');
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({
        name: 'InputError',
        message: expect.stringMatching(
          /^Request body is not valid JSON: .+position 16/,
        ),
      });
      // the rejected body is not echoed back
      expect(JSON.stringify(res.body)).not.toContain('demo');
      expect(calls).toEqual([]);
    });

    it('answers a JSON body that is not an object with 400 "spec must be an object"', async () => {
      const res = await post('/backends').send([validSpec]);
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([
        { path: '', message: 'spec must be an object' },
      ]);
      expect(calls).toEqual([]);
    });

    it('answers a body that is not JSON at all with 400 listing the required fields', async () => {
      // express.json() leaves a text/plain body unparsed: the spec is empty
      const res = await post('/backends')
        .set('Content-Type', 'text/plain')
        .send('name=demo');
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual(
        expect.arrayContaining([
          { path: 'name', message: 'is required' },
          { path: 'namespace', message: 'is required' },
          { path: 'cluster', message: 'is required' },
        ]),
      );
      expect(calls).toEqual([]);
    });
  });

  describe('path parameters', () => {
    const bad: Array<[string, string, string]> = [
      ['namespace', '/backends/local/Bad_NS/demo', 'Bad_NS'],
      ['name', '/backends/local/skywalking/Bad_Name', 'Bad_Name'],
      ['name', `/backends/local/skywalking/${'a'.repeat(64)}`, 'a'.repeat(64)],
    ];

    it.each(bad)('GET rejects an invalid %s', async (path, url, value) => {
      const res = await request(server)
        .get(`/api/skywalking${url}`)
        .set('Authorization', asAlice());
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([
        {
          path,
          message: expect.stringContaining(
            `"${value}" is not a DNS-1123 label`,
          ),
        },
      ]);
      expect(calls).toEqual([]);
    });

    it.each(bad)('DELETE rejects an invalid %s', async (path, url) => {
      const res = await request(server)
        .delete(`/api/skywalking${url}`)
        .set('Authorization', asAlice());
      expect(res.status).toBe(400);
      expect(res.body.fields.map((f: { path: string }) => f.path)).toEqual([
        path,
      ]);
      expect(calls).toEqual([]);
    });

    it.each(bad)('scale rejects an invalid %s', async (path, url) => {
      const res = await post(`${url}/scale`).send({ replicas: 2 });
      expect(res.status).toBe(400);
      expect(res.body.fields.map((f: { path: string }) => f.path)).toEqual([
        path,
      ]);
      expect(calls).toEqual([]);
    });

    it('names both fields when namespace and name are invalid', async () => {
      const res = await request(server)
        .get('/api/skywalking/backends/local/NS/Name')
        .set('Authorization', asAlice());
      expect(res.status).toBe(400);
      expect(res.body.fields.map((f: { path: string }) => f.path)).toEqual([
        'namespace',
        'name',
      ]);
    });
  });

  describe('scale', () => {
    it.each([[1.5], [-1], [101], ['3'], [null]])(
      'rejects replicas %p',
      async replicas => {
        const res = await post('/backends/local/skywalking/demo/scale').send({
          replicas,
        });
        expect(res.status).toBe(400);
        expect(res.body.fields).toEqual([
          { path: 'replicas', message: 'must be an integer from 0 to 100' },
        ]);
        expect(calls).toEqual([]);
      },
    );

    it('rejects a missing replicas field', async () => {
      const res = await post('/backends/local/skywalking/demo/scale').send({});
      expect(res.status).toBe(400);
      expect(res.body.fields[0].path).toBe('replicas');
    });

    it.each([['mixed'], [''], [1]])('rejects role %p with its field path', async role => {
      const res = await post('/backends/local/skywalking/demo/scale').send({ replicas: 2, role });
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([
        { path: 'role', message: 'must be receiver or aggregator (scales that role of a backend with role split)' },
      ]);
      expect(calls).toEqual([]);
    });

    it('passes a role on, and audits it', async () => {
      const res = await post('/backends/local/skywalking/split/scale').send({ replicas: 4, role: 'aggregator' });
      expect(res.status).toBe(200);
      expect(calls).toEqual([
        { method: 'scale', args: [{ cluster: 'local', namespace: 'skywalking', name: 'split' }, 4, ALICE, 'aggregator'] },
      ]);
      const [latest] = await store.listAudit({ target: 'backend:local/skywalking/split' });
      expect(latest.details).toMatchObject({ replicas: 4, role: 'aggregator' });
    });

    it('answers 400 on role for a backend without role split, 409 for replicas an HPA owns', async () => {
      const unsplit = await post('/backends/local/skywalking/unsplit/scale').send({ replicas: 2, role: 'receiver' });
      expect(unsplit.status).toBe(400);
      expect(unsplit.body.fields).toEqual([{ path: 'role', message: 'backend skywalking/unsplit has no role split: scale its OAP without a role' }]);
      const auto = await post('/backends/local/skywalking/autoscaled/scale').send({ replicas: 3 });
      expect(auto.status).toBe(409);
      expect(auto.body.error.message).toMatch(/autoscaled by a HorizontalPodAutoscaler/);
    });
  });

  describe('upgrade', () => {
    it('passes version, storage version, deadline and allowDowngrade on', async () => {
      calls.length = 0;
      const res = await post('/backends/local/skywalking/up/upgrade').send({ version: '10.3.0', storageVersion: '0.9.0', deadlineSeconds: 120 });
      expect(res.status).toBe(200);
      expect(calls).toContainEqual({
        method: 'upgrade',
        args: [{ cluster: 'local', namespace: 'skywalking', name: 'up' }, '10.3.0', ALICE, { storageVersion: '0.9.0', deadlineSeconds: 120, allowDowngrade: undefined }],
      });
    });

    it('answers 400 with the field paths for a bad version, storage version or deadline', async () => {
      const res = await post('/backends/local/skywalking/demo/upgrade').send({ version: 'latest', storageVersion: '0.9', deadlineSeconds: 10 });
      expect(res.status).toBe(400);
      expect(res.body.fields.map((f: { path: string }) => f.path)).toEqual(['version', 'storageVersion', 'deadlineSeconds']);
      const missing = await post('/backends/local/skywalking/demo/upgrade').send({});
      expect(missing.status).toBe(400);
      expect(missing.body.fields).toEqual([{ path: 'version', message: 'is required' }]);
    });

    it('answers 400 with the field for a downgrade, 409 while an upgrade runs', async () => {
      const downgrade = await post('/backends/local/skywalking/newer/upgrade').send({ version: '10.1.0' });
      expect(downgrade.status).toBe(400);
      expect(downgrade.body.fields).toEqual([{ path: 'version', message: '10.1.0 is older than the running 10.2.0; set allowDowngrade to downgrade' }]);
      const busy = await post('/backends/local/skywalking/upgrading/upgrade').send({ version: '10.4.0' });
      expect(busy.status).toBe(409);
    });
  });

  describe('authentication and permissions', () => {
    it('answers 401 to a request without credentials', async () => {
      const res = await request(server)
        .post('/api/skywalking/backends')
        .send(validSpec);
      expect(res.status).toBe(401);
      expect(res.body.error.name).toBe('AuthenticationError');
      expect(calls).toEqual([]);
    });

    it('answers 401 to an invalid token', async () => {
      const res = await request(server)
        .get('/api/skywalking/backends')
        .set('Authorization', mockCredentials.user.invalidHeader());
      expect(res.status).toBe(401);
      expect(calls).toEqual([]);
    });

    it('leaves /health open to unauthenticated callers', async () => {
      const res = await request(server).get('/api/skywalking/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('answers 403 naming the permission when the policy denies, before validating', async () => {
      decision = AuthorizeResult.DENY;
      const res = await post('/backends').send({
        ...validSpec,
        name: 'Bad_Name',
      });
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({
        name: 'NotAllowedError',
        message: 'Not allowed: skywalking.backend.create',
      });
      expect(authorized).toEqual(['skywalking.backend.create']);
      expect(calls).toEqual([]);
    });

    it.each([
      ['get', '/backends', 'skywalking.backend.read'],
      [
        'delete',
        '/backends/local/skywalking/demo',
        'skywalking.backend.delete',
      ],
      [
        'post',
        '/backends/local/skywalking/demo/scale',
        'skywalking.backend.update',
      ],
    ] as const)(
      '%s %s asks for %s and answers 403 on DENY',
      async (method, url, perm) => {
        decision = AuthorizeResult.DENY;
        const res = await request(server)
          [method](`/api/skywalking${url}`)
          .set('Authorization', asAlice())
          .send({ replicas: 1 });
        expect(res.status).toBe(403);
        expect(authorized).toEqual([perm]);
        expect(calls).toEqual([]);
      },
    );
  });

  describe('GET /topology', () => {
    const get = (query: string) =>
      request(server)
        .get(`/api/skywalking/topology${query}`)
        .set('Authorization', asAlice());

    it('requires entityRef', async () => {
      const res = await get('');
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        name: 'InputError',
        message: 'entityRef query parameter is required',
      });
      expect(topologyCalls).toEqual([]);
    });

    it.each([
      ['from equal to to', 'from=2026-01-01T10:00:00Z&to=2026-01-01T10:00:00Z'],
      ['from after to', 'from=2026-01-01T11:00:00Z&to=2026-01-01T10:00:00Z'],
      ['an unparsable from', 'from=yesterday&to=2026-01-01T10:00:00Z'],
    ])('rejects %s', async (_label, q) => {
      const res = await get(`?entityRef=component:default/shop&${q}`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(
        'from and to must be ISO timestamps with from before to',
      );
      expect(topologyCalls).toEqual([]);
    });

    it('passes the parsed window and entity on', async () => {
      const res = await get(
        '?entityRef=component:default/shop&from=2026-01-01T10:00:00Z&to=2026-01-01T10:15:00Z',
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ nodes: [], edges: [] });
      expect(topologyCalls).toEqual([
        {
          entityRef: 'component:default/shop',
          from: new Date('2026-01-01T10:00:00Z'),
          to: new Date('2026-01-01T10:15:00Z'),
        },
      ]);
    });

    it('defaults to the last 15 minutes', async () => {
      const res = await get('?entityRef=component:default/shop');
      expect(res.status).toBe(200);
      const [{ from, to }] = topologyCalls;
      expect(to.getTime() - from.getTime()).toBe(15 * 60_000);
    });
  });

  describe('valid requests', () => {
    it('creates a backend with the validated spec, records the owner and audits the user', async () => {
      const res = await post('/backends').send({
        spec: validSpec,
        owner: 'group:default/team-a',
        entityRef: 'resource:default/demo',
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ applied: true, queued: false });
      expect(calls).toEqual([{ method: 'create', args: [validSpec, ALICE] }]);
      const owners = await store.listBackends();
      expect(owners).toEqual([
        expect.objectContaining({
          cluster: 'local',
          namespace: 'skywalking',
          name: 'demo',
          ownerRef: 'group:default/team-a',
          entityRef: 'resource:default/demo',
          createdBy: ALICE,
        }),
      ]);
      const audit = await store.listAudit({
        target: 'backend:local/skywalking/demo',
      });
      expect(audit[0]).toMatchObject({
        actor: ALICE,
        action: 'create',
        details: { spec: validSpec, queued: false },
      });
    });

    it('scales with the parsed ref and replicas and audits the user', async () => {
      const res = await post('/backends/local/skywalking/demo/scale').send({
        replicas: 3,
      });
      expect(res.status).toBe(200);
      expect(calls).toEqual([
        {
          method: 'scale',
          args: [
            { cluster: 'local', namespace: 'skywalking', name: 'demo' },
            3,
            ALICE,
          ],
        },
      ]);
      const [latest] = await store.listAudit({
        target: 'backend:local/skywalking/demo',
      });
      expect(latest).toMatchObject({
        actor: ALICE,
        action: 'scale',
        details: { replicas: 3 },
      });
    });

    it('accepts replicas 0', async () => {
      const res = await post('/backends/local/skywalking/demo/scale').send({
        replicas: 0,
      });
      expect(res.status).toBe(200);
      expect(calls[0].args[1]).toBe(0);
    });

    it('gets a backend by its parsed ref with the recorded owner', async () => {
      const res = await request(server)
        .get('/api/skywalking/backends/local/skywalking/demo')
        .set('Authorization', asAlice());
      expect(res.status).toBe(200);
      expect(calls).toEqual([
        {
          method: 'get',
          args: [{ cluster: 'local', namespace: 'skywalking', name: 'demo' }],
        },
      ]);
      expect(res.body).toMatchObject({
        owner: 'group:default/team-a',
        entityRef: 'resource:default/demo',
      });
    });

    it('deletes, forgets the owner and audits the user', async () => {
      const res = await request(server)
        .delete('/api/skywalking/backends/local/skywalking/demo')
        .set('Authorization', asAlice());
      expect(res.status).toBe(200);
      expect(calls).toEqual([
        {
          method: 'delete',
          args: [
            { cluster: 'local', namespace: 'skywalking', name: 'demo' },
            ALICE,
          ],
        },
      ]);
      expect(await store.listBackends()).toEqual([]);
      const [latest] = await store.listAudit({
        target: 'backend:local/skywalking/demo',
      });
      expect(latest).toMatchObject({ actor: ALICE, action: 'delete' });
    });

    it('serves the audit log over HTTP', async () => {
      const res = await request(server)
        .get('/api/skywalking/audit?target=backend:local/skywalking/demo')
        .set('Authorization', asAlice());
      expect(res.status).toBe(200);
      const items: { action: string; details: { outcome?: string } }[] = res.body.items;
      // the writes, and the denials of the permission tests beside them (marked)
      expect(items.filter(i => !i.details.outcome).map(i => i.action).sort()).toEqual(['create', 'delete', 'scale', 'scale']);
      expect(items.filter(i => i.details.outcome).map(i => i.details.outcome)).toEqual(expect.arrayContaining(['denied']));
      expect(
        new Set(res.body.items.map((i: { actor: string }) => i.actor)),
      ).toEqual(new Set([ALICE]));
    });
  });

  // last: its audit entries are not among those 'serves the audit log over HTTP' counts
  describe('POST /backends/:cluster/:namespace/:name/outbox/:id/retry', () => {
    const path = (id: string) => `/backends/local/skywalking/demo/outbox/${id}/retry`;
    it('queues a dead letter again (202) under the update permission', async () => {
      const res = await post(path('7'));
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ queued: true });
      expect(calls).toEqual([{ method: 'retryDeadLetter', args: [{ cluster: 'local', namespace: 'skywalking', name: 'demo' }, '7'] }]);
      expect(authorized).toContain('skywalking.backend.update');
    });
    it('answers 404 naming the change when the backend has no such dead letter', async () => {
      const res = await post(path('8'));
      expect(res.status).toBe(404);
      expect(res.body.error.message).toBe('no dead-lettered change 8 of backend skywalking/demo in cluster local');
    });
    it('retries nothing when the permission is denied', async () => {
      decision = AuthorizeResult.DENY;
      const res = await post(path('7'));
      expect(res.status).toBe(403);
      expect(calls).toEqual([]);
    });
  });
});
