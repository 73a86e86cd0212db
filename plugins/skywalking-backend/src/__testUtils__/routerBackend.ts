import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend, TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { validateBackendSpec } from '@skywalking-backstage/plugin-skywalking-common';
import { applyDatabaseMigrations } from '../database/migrations';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { createRouter, RouterOptions } from '../service/router';

/** One permission request as the router sent it. */
export interface AskedPermission {
  name: string;
  resourceRef?: string;
}

/**
 * A policy for the mocked permission service: decides each request by its
 * permission name and resourceRef (unlike a fake that answers every request
 * alike), and records what was asked.
 */
export function recordingPermissions(decide: (p: AskedPermission) => AuthorizeResult.ALLOW | AuthorizeResult.DENY) {
  const asked: AskedPermission[] = [];
  const one = (r: any) => {
    const p = { name: r.permission.name, ...(r.resourceRef ? { resourceRef: r.resourceRef } : {}) };
    asked.push(p);
    return { result: decide(p) };
  };
  const permissions = mockServices.permissions.mock({
    authorize: async requests => requests.map(one) as any,
    authorizeConditional: async requests => requests.map(one) as any,
  });
  return { permissions, asked };
}

export const asUser = (ref: string) => mockCredentials.user.header(ref);

/**
 * The REST router mounted by a real Backstage test backend (httpRouter with
 * its credential barrier and error handler, mocked httpAuth that treats a
 * request without token as unauthenticated), the real spec validation and
 * the real store on SQLite.
 */
export async function startRouterBackend(
  options: Omit<RouterOptions, 'logger' | 'httpAuth' | 'validateBackendSpec'>,
): Promise<{ server: any; stop: () => Promise<void> }> {
  const routerStore = options.store;
  const plugin = createBackendPlugin({
    pluginId: 'skywalking',
    register(env) {
      env.registerInit({
        deps: { httpRouter: coreServices.httpRouter, httpAuth: coreServices.httpAuth, logger: coreServices.logger },
        async init({ httpRouter, httpAuth, logger }) {
          httpRouter.use(await createRouter({ validateBackendSpec, ...options, logger, httpAuth, store: routerStore }));
        },
      });
    },
  });
  const backend = await startTestBackend({
    features: [plugin, mockServices.httpAuth.factory({ defaultCredentials: mockCredentials.none() })],
  });
  return { server: backend.server, stop: () => backend.stop() };
}

/** The plugin's store on SQLite; `databases` from TestDatabases.create at the top of a describe. */
export async function sqliteStore(databases: TestDatabases): Promise<SkyWalkingStore> {
  const knex = await databases.init('SQLITE_3');
  await applyDatabaseMigrations(knex);
  return new SkyWalkingStore(knex);
}
