/*
 * The lifecycle routes act only inside the caller's namespaces: the REST API
 * mounted by a real Backstage test backend with the real TenancyService over
 * a `skywalking.tenancy` mapping (team A: `team-a-*` in cluster local). The
 * operator side only records calls, so a refused request provably reached
 * nothing; user info and the permission decision (always ALLOW, so tenancy is
 * what refuses) are stand-ins.
 */
import { coreServices, createBackendPlugin, PermissionsService } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend, TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { BackendRef, readTenancyConfig, validateBackendSpec, WriteResult } from '@skywalking-backstage/plugin-skywalking-common';
import request from 'supertest';
import { applyDatabaseMigrations } from '../database/migrations';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { createRouter } from '../service/router';
import type { BackupOperations } from '../service/BackupService';
import type { BackendOperations } from '../service/types';
import { TenancyService } from './TenancyService';

const ALICE = 'user:default/alice';
const asAlice = () => mockCredentials.user.header(ALICE);
const asService = () => mockCredentials.service.header();

describe('tenancy on the lifecycle routes (HTTP)', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  const calls: string[] = [];
  let server: any;

  const write = (method: string) => async (..._args: unknown[]): Promise<WriteResult> => {
    calls.push(method);
    return { applied: true, queued: false };
  };
  const backends: BackendOperations = {
    listClusters: async () => [],
    listNamespaces: async () => [],
    list: async () => [],
    get: async (ref: BackendRef) => ({ ...ref, pods: [], events: [], spec: {} }) as any,
    create: write('create'),
    update: write('update'),
    scale: write('scale'),
    pause: write('pause'),
    resume: write('resume'),
    upgrade: write('upgrade'),
    delete: write('delete'),
  };
  const backups = {
    listBackups: async () => ({ items: [] }),
    startBackup: async (ref: BackendRef) => {
      calls.push('backup');
      return { name: `${ref.name}-backup`, backup: 'x', target: {} };
    },
    restore: async () => {
      calls.push('restore');
      return { restore: 'r', created: false, queued: false };
    },
  } as unknown as BackupOperations;
  const permissions: PermissionsService = {
    authorize: async requests => requests.map(() => ({ result: AuthorizeResult.ALLOW })),
    authorizeConditional: async requests => requests.map(() => ({ result: AuthorizeResult.ALLOW })),
  };

  beforeAll(async () => {
    const knex = await databases.init('SQLITE_3');
    await applyDatabaseMigrations(knex);
    const store = new SkyWalkingStore(knex);
    const { config } = readTenancyConfig({ mappings: [{ owners: ['group:default/team-a'], clusters: ['local'], namespaces: ['team-a-*'] }] });
    const userInfo = { getUserInfo: async () => ({ userEntityRef: ALICE, ownershipEntityRefs: [ALICE, 'group:default/team-a'] }) };
    const tenancy = new TenancyService({
      config,
      userInfo,
      catalog: { getEntityByRef: async () => undefined },
      auth: { getOwnServiceCredentials: async () => mockCredentials.service() },
      readNamespace: async () => undefined,
    });
    const plugin = createBackendPlugin({
      pluginId: 'skywalking',
      register(env) {
        env.registerInit({
          deps: { httpRouter: coreServices.httpRouter, httpAuth: coreServices.httpAuth, logger: coreServices.logger },
          async init({ httpRouter, httpAuth, logger }) {
            httpRouter.use(
              await createRouter({ logger, httpAuth, permissions, store, backends, backups, validateBackendSpec, userInfo, tenancy, trustedServices: ['external:test-service'] }),
            );
          },
        });
      },
    });
    server = (await startTestBackend({ features: [plugin, mockServices.httpAuth.factory({ defaultCredentials: mockCredentials.none() })] })).server;
  });

  beforeEach(() => {
    calls.length = 0;
  });

  const routes = (ns: string) =>
    [
      ['create', 'post', '/backends', { name: 'demo', namespace: ns, cluster: 'local', version: '10.2.0', storage: { type: 'banyandb' } }],
      ['update', 'put', `/backends/local/${ns}/demo`, { version: '10.2.0', storage: { type: 'banyandb' } }],
      ['scale', 'post', `/backends/local/${ns}/demo/scale`, { replicas: 2 }],
      ['pause', 'post', `/backends/local/${ns}/demo/pause`, {}],
      ['resume', 'post', `/backends/local/${ns}/demo/resume`, {}],
      ['upgrade', 'post', `/backends/local/${ns}/demo/upgrade`, { version: '10.3.0' }],
      ['delete', 'delete', `/backends/local/${ns}/demo`, undefined],
      ['backup', 'post', `/backends/local/${ns}/demo/backups`, {}],
      ['restore', 'post', `/backends/local/${ns}/demo/restore`, { backup: '2026-11-30' }],
    ] as const;

  it.each(routes('team-b-prod'))("refuses %s in team B's namespace with a 403 naming it, and reaches nothing", async (_op, method, path, body) => {
    const res = await (request(server) as any)[method](`/api/skywalking${path}`).set('Authorization', asAlice()).send(body);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ name: 'NotAllowedError', message: expect.stringContaining('Not allowed in namespace team-b-prod of cluster local') });
    expect(calls).toEqual([]);
  });

  it.each(routes('team-a-prod'))("lets %s through in team A's own namespace", async (op, method, path, body) => {
    const res = await (request(server) as any)[method](`/api/skywalking${path}`).set('Authorization', asAlice()).send(body);
    expect(res.status).toBeLessThan(300);
    expect(calls).toEqual([op]);
  });

  it("refuses a restore from team B's backend into team A's namespace, naming the source namespace", async () => {
    const res = await request(server)
      .post('/api/skywalking/backends/local/team-a-prod/demo/restore')
      .set('Authorization', asAlice())
      .send({ backup: '2026-11-30', from: { cluster: 'local', namespace: 'team-b-prod', name: 'demo' }, inPlace: true });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('namespace team-b-prod');
    expect(calls).toEqual([]);
  });

  it('refuses a trusted service principal: it owns no namespace', async () => {
    const res = await request(server).post('/api/skywalking/backends/local/team-a-prod/demo/pause').set('Authorization', asService()).send({});
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/namespace team-a-prod .*a service principal owns no namespace/);
    expect(calls).toEqual([]);
  });
});
