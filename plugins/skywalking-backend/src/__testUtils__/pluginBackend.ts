import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { getSharedTestCluster } from '@internal/local-cluster';
import { skywalkingPlugin } from '../plugin';
import { AskedPermission, recordingPermissions } from './routerBackend';

export const TEST_CLUSTER = 'local';

/**
 * The whole skywalking plugin in a Backstage test backend, pointed at the
 * shared local control plane as cluster `local`: real router, services,
 * operator engine and store (in-memory SQLite). Only the permission
 * decision (by name and resourceRef), the catalog (in memory) and the
 * caller's token are Backstage's test doubles; the webhook server is off.
 */
export async function startPluginBackend(o: {
  /** the namespaces `user` may act in (skywalking.tenancy) */
  namespaces: string[];
  user: string;
  entities?: Entity[];
  decide?: (p: AskedPermission) => AuthorizeResult.ALLOW | AuthorizeResult.DENY;
  skywalking?: Record<string, unknown>;
}) {
  const cluster = await getSharedTestCluster();
  let decide = o.decide ?? (() => AuthorizeResult.ALLOW);
  const { permissions, asked } = recordingPermissions(p => decide(p));
  const backend = await startTestBackend({
    features: [
      skywalkingPlugin,
      permissions.factory,
      catalogServiceMock.factory({ entities: o.entities ?? [] }),
      mockServices.httpAuth.factory({ defaultCredentials: mockCredentials.none() }),
      mockServices.rootConfig.factory({
        data: {
          backend: { baseUrl: 'http://localhost:7007' },
          kubernetes: {
            clusterLocatorMethods: [
              { type: 'config', clusters: [{ name: TEST_CLUSTER, kubeconfigPath: cluster.kubeconfigPath }] },
            ],
          },
          skywalking: {
            webhook: { enabled: false },
            tenancy: { mappings: [{ owners: [o.user], clusters: [TEST_CLUSTER], namespaces: o.namespaces }] },
            ...o.skywalking,
          },
        },
      }),
    ],
  });
  return {
    server: backend.server,
    asked,
    /** changes the permission decision for the following requests */
    setDecision: (d: typeof decide) => {
      decide = d;
    },
    stop: () => backend.stop(),
  };
}
