import {
  coreServices,
  createBackendModule,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend, TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult, isPermission, PolicyDecision } from '@backstage/plugin-permission-common';
import { PermissionPolicy, PolicyQuery, PolicyQueryUser } from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  BackendRef,
  skywalkingBackendReadPermission,
  skywalkingBackendRestorePermission,
  skywalkingBackendRoverPermission,
  skywalkingBackendUpdatePermission,
  validateBackendSpec,
  WriteResult,
} from '@skywalking-backstage/plugin-skywalking-common';
import { NotFoundError } from '@backstage/errors';
import request from 'supertest';
import { sqliteStore } from '../__testUtils__/routerBackend';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { createRouter } from '../service/router';
import { BackendOperations } from '../service/types';
import { createSkyWalkingBackendConditionalDecision, skywalkingBackendConditions } from './conditionExports';
import { registerSkyWalkingPermissions } from './register';
import permissionBackend from '@backstage/plugin-permission-backend';

/*
 * CONDITIONAL decisions end to end: the real permission backend
 * (@backstage/plugin-permission-backend) with a test policy, the plugin's
 * resource type registered through coreServices.permissionsRegistry, the real
 * PermissionsService of the plugin (no mock: it asks the permission backend,
 * which asks this plugin back to apply the conditions to the loaded backend).
 * Only the cluster side (BackendOperations) is a recording fake.
 */

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const TEAMS: Record<string, string> = { [ALICE]: 'group:default/team-a', [BOB]: 'group:default/team-b' };
const ALPHA: BackendRef = { cluster: 'local', namespace: 'team-a', name: 'alpha' };
const BETA: BackendRef = { cluster: 'local', namespace: 'team-b', name: 'beta' };

/**
 * The mock auth drops the actor of an on-behalf-of token (the real auth
 * keeps it: the user, acting through plugin:permission). The permissions
 * registry answers apply-conditions only to such tokens, never to a user's
 * own, so this httpAuth restores the actor the real auth would report.
 */
const oboKeepingHttpAuth = createServiceFactory({
  service: coreServices.httpAuth,
  deps: { plugin: coreServices.pluginMetadata },
  factory: ({ plugin }) => {
    const inner = mockServices.httpAuth({ pluginId: plugin.getId(), defaultCredentials: mockCredentials.none() });
    return {
      async credentials(req: any, options?: any) {
        const token = String(req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
        const prefix = 'mock-service-token:';
        if (token.startsWith(prefix)) {
          const { sub, obo } = JSON.parse(token.slice(prefix.length));
          if (obo) {
            const c = mockCredentials.user(obo, { actor: { subject: sub ?? 'plugin:permission' } });
            await inner.credentials(req); // validates the target plugin as before
            if (options?.allow && !options.allow.includes('user')) throw new Error('user credentials not allowed');
            return c as any;
          }
        }
        return inner.credentials(req, options);
      },
      issueUserCookie: (res: any, o: any) => inner.issueUserCookie(res, o),
    };
  },
});

/** "Update and restore only where the owner is the caller's group", reads likewise, Rover for nobody. */
class OwnerPolicy implements PermissionPolicy {
  async handle(query: PolicyQuery, user?: PolicyQueryUser): Promise<PolicyDecision> {
    const claims = user?.info.ownershipEntityRefs ?? [];
    for (const p of [skywalkingBackendUpdatePermission, skywalkingBackendReadPermission, skywalkingBackendRestorePermission]) {
      if (isPermission(query.permission, p)) {
        return createSkyWalkingBackendConditionalDecision(p, skywalkingBackendConditions.isBackendOwner({ claims }));
      }
    }
    if (isPermission(query.permission, skywalkingBackendRoverPermission)) return { result: AuthorizeResult.DENY };
    return { result: AuthorizeResult.ALLOW };
  }
}

describe('skywalking-backend resource permissions through the real permission backend', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  const writes: { method: string; ref: BackendRef }[] = [];
  let store: SkyWalkingStore;
  let server: any;
  let stop: () => Promise<void>;

  const write = (method: string) => async (ref: BackendRef): Promise<WriteResult> => {
    writes.push({ method, ref });
    return { applied: true, queued: false };
  };
  const summary = (r: BackendRef) => ({ ...r, phase: 'Ready', conditions: [], oap: { desired: 1, ready: 1 } });
  const backends = {
    list: async () => [summary(ALPHA), summary(BETA)],
    get: async (r: BackendRef) => {
      if ([ALPHA, BETA].some(b => b.name === r.name && b.namespace === r.namespace)) return { ...summary(r), pods: [], events: [], spec: {} };
      throw new NotFoundError(`no backend ${r.name}`);
    },
    scale: write('scale'),
    pause: write('pause'),
    create: async (spec: any) => {
      writes.push({ method: 'create', ref: spec });
      return { applied: true, queued: false };
    },
  } as unknown as BackendOperations;
  const restores: BackendRef[] = [];

  beforeAll(async () => {
    store = await sqliteStore(databases);
    await store.recordBackend({ ...ALPHA, ownerRef: TEAMS[ALICE], createdBy: ALICE });
    await store.recordBackend({ ...BETA, ownerRef: TEAMS[BOB], createdBy: BOB });
    const plugin = createBackendPlugin({
      pluginId: 'skywalking',
      register(env) {
        env.registerInit({
          deps: {
            httpRouter: coreServices.httpRouter,
            httpAuth: coreServices.httpAuth,
            logger: coreServices.logger,
            permissions: coreServices.permissions,
            permissionsRegistry: coreServices.permissionsRegistry,
            userInfo: coreServices.userInfo,
            auditor: coreServices.auditor,
          },
          async init({ httpRouter, httpAuth, logger, permissions, permissionsRegistry, userInfo, auditor }) {
            registerSkyWalkingPermissions(permissionsRegistry, store);
            httpRouter.use(
              await createRouter({
                logger,
                httpAuth,
                permissions,
                userInfo,
                auditor,
                store,
                backends,
                validateBackendSpec,
                backups: {
                  listBackups: async () => ({ items: [] }),
                  startBackup: async () => {
                    throw new Error('not used');
                  },
                  restore: async (ref: BackendRef) => {
                    restores.push(ref);
                    return { applied: true, queued: false, created: ![ALPHA, BETA].some(b => b.name === ref.name) };
                  },
                } as any,
              }),
            );
          },
        });
      },
    });
    const policyModule = createBackendModule({
      pluginId: 'permission',
      moduleId: 'owner-policy',
      register(reg) {
        reg.registerInit({
          deps: { policy: policyExtensionPoint },
          async init({ policy }) {
            policy.setPolicy(new OwnerPolicy());
          },
        });
      },
    });
    const backend = await startTestBackend({
      features: [
        plugin,
        permissionBackend,
        policyModule,
        oboKeepingHttpAuth,
        mockServices.rootConfig.factory({ data: { permission: { enabled: true } } }),
        // alice is in team-a, bob in team-b
        createServiceFactory({
          service: coreServices.userInfo,
          deps: {},
          factory: () => ({
            async getUserInfo(credentials: any) {
              const ref = credentials.principal.userEntityRef;
              return { userEntityRef: ref, ownershipEntityRefs: [ref, TEAMS[ref]].filter(Boolean) };
            },
          }),
        }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
  });
  afterAll(() => stop?.());
  beforeEach(() => {
    writes.length = 0;
    restores.length = 0;
  });

  const as = (user: string) => ({ Authorization: mockCredentials.user.header(user) });
  const scale = (user: string, r: BackendRef) =>
    request(server).post(`/api/skywalking/backends/${r.cluster}/${r.namespace}/${r.name}/scale`).set(as(user)).send({ replicas: 2 });

  it('lets team A scale its own backend', async () => {
    const res = await scale(ALICE, ALPHA);
    expect(res.status).toBe(200);
    expect(writes).toEqual([{ method: 'scale', ref: ALPHA }]);
  });

  it("answers 403 to team B scaling team A's backend, and writes nothing", async () => {
    const res = await scale(BOB, ALPHA);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe('Not allowed: skywalking.backend.update on local/team-a/alpha');
    expect(writes).toEqual([]);
    // and B's own is fine: the decision is per backend, not per user
    expect((await scale(BOB, BETA)).status).toBe(200);
    expect(writes).toEqual([{ method: 'scale', ref: BETA }]);
  });

  it('denies a backend the portal has no record of (no owner to match)', async () => {
    const res = await scale(ALICE, { cluster: 'local', namespace: 'team-a', name: 'unrecorded' });
    expect(res.status).toBe(403);
    expect(writes).toEqual([]);
  });

  it('lists only the backends the read conditions allow', async () => {
    const res = await request(server).get('/api/skywalking/backends').set(as(ALICE));
    expect(res.status).toBe(200);
    expect(res.body.items.map((b: any) => b.name)).toEqual(['alpha']);
    const one = await request(server).get('/api/skywalking/backends/local/team-b/beta').set(as(ALICE));
    expect(one.status).toBe(403);
  });

  it("shows a backend's audit history only to those who may read the backend", async () => {
    await scale(ALICE, ALPHA);
    await scale(BOB, BETA);
    const targets = async (user: string) => {
      const res = await request(server).get('/api/skywalking/audit').set(as(user));
      expect(res.status).toBe(200);
      return new Set(res.body.items.map((i: any) => i.target));
    };
    expect(await targets(ALICE)).toEqual(new Set(['backend:local/team-a/alpha']));
    expect(await targets(BOB)).toEqual(new Set(['backend:local/team-b/beta']));
  });

  it("refuses a restore from another team's backend (read on the source), allows a restore of one's own", async () => {
    const cross = await request(server).post('/api/skywalking/backends/local/team-b/beta/restore').set(as(BOB)).send({ backup: '2026-11-30', from: ALPHA, inPlace: true });
    expect(cross.status).toBe(403);
    expect(cross.body.error.message).toBe('Not allowed: skywalking.backend.read on local/team-a/alpha');
    const own = await request(server).post('/api/skywalking/backends/local/team-a/alpha/restore').set(as(ALICE)).send({ backup: '2026-11-30' });
    expect(own.status).toBe(201);
    expect(restores).toEqual([ALPHA]);
    // into someone else's backend from one's own: the restore permission on the target says no
    const into = await request(server).post('/api/skywalking/backends/local/team-b/beta/restore').set(as(ALICE)).send({ backup: '2026-11-30', from: ALPHA, inPlace: true });
    expect(into.status).toBe(403);
    expect(into.body.error.message).toBe('Not allowed: skywalking.backend.restore on local/team-b/beta');
    expect(restores).toEqual([ALPHA]);
  });

  it("records a restored new backend as the source's owner's only when that is the caller's", async () => {
    const res = await request(server).post('/api/skywalking/backends/local/team-a/alpha-copy/restore').set(as(ALICE)).send({ backup: '2026-11-30', from: ALPHA });
    expect(res.status).toBe(201);
    expect((await store.listBackends()).find(b => b.name === 'alpha-copy')).toMatchObject({ ownerRef: TEAMS[ALICE], createdBy: ALICE });
    const other = await request(server).post('/api/skywalking/backends/local/team-a/alpha-copy2/restore').set(as(ALICE)).send({ backup: '2026-11-30', from: ALPHA, owner: TEAMS[BOB] });
    expect(other.status).toBe(400);
    expect(other.body.fields).toEqual([{ path: 'owner', message: expect.stringContaining('group:default/team-b is not among your ownership refs') }]);
  });

  it('needs the Rover admin permission to turn Rover on', async () => {
    const res = await request(server)
      .post('/api/skywalking/backends')
      .set(as(ALICE))
      .send({ spec: { name: 'gamma', namespace: 'team-a', cluster: 'local', version: '10.2.0', rover: { enabled: true } }, owner: TEAMS[ALICE] });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe('Not allowed: skywalking.backend.rover');
    expect(writes).toEqual([]);
  });

  it('refuses writes with a service token (no trusted services configured)', async () => {
    const res = await request(server).post('/api/skywalking/backends/local/team-a/alpha/pause').set('Authorization', mockCredentials.service.header({ onBehalfOf: mockCredentials.service('plugin:catalog'), targetPluginId: 'skywalking' }));
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/service plugin:catalog is not in skywalking.permissions.trustedServices/);
    expect(writes).toEqual([]);
  });
});
