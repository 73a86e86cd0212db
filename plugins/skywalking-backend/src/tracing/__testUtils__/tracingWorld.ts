/**
 * What the tracing tests share on the local control plane: SWCK's CRDs, a
 * portal-managed OAPServer (and one the portal does not manage), the real
 * TenancyService over a mutable mapping (team A: `tracing-*`, team B:
 * `teamb-*`), and stand-ins for Backstage's user info and permission
 * decision (user alice is in team A, bob in team B).
 */
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createTestNamespace } from '@internal/local-cluster';
import { readTenancyConfig, TenancyConfig } from '@skywalking-backstage/plugin-skywalking-common';
import type * as K8s from '@kubernetes/client-node';
import { ensureSwckCrds } from '../../clusters/crds';
import { loadK8s } from '../../clusters/k8s';
import { liveNamespaceReader } from '../../tenancy/liveNamespace';
import { TenancyService } from '../../tenancy/TenancyService';

export const TEAMS: Record<string, string[]> = {
  'user:default/alice': ['group:default/team-a'],
  'user:default/bob': ['group:default/team-b'],
};

export const userCredentials = (userEntityRef: string): BackstageCredentials => ({
  $$type: '@backstage/BackstageCredentials',
  principal: { type: 'user', userEntityRef },
});

export async function testTracingWorld(kc: K8s.KubeConfig, entities: Map<string, Entity>) {
  const k8s = await loadK8s();
  await ensureSwckCrds(kc);
  const backendNs = await createTestNamespace('tracing-backend');
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const oap = (name: string, labels: Record<string, string>) =>
    custom.createNamespacedCustomObject({
      group: 'operator.skywalking.apache.org',
      version: 'v1alpha1',
      namespace: backendNs,
      plural: 'oapservers',
      body: { apiVersion: 'operator.skywalking.apache.org/v1alpha1', kind: 'OAPServer', metadata: { name, namespace: backendNs, labels }, spec: { version: '10.2.0', instances: 1 } },
    });
  await oap('demo', { 'app.kubernetes.io/managed-by': 'skywalking-backstage' });
  await oap('foreign', { 'app.kubernetes.io/managed-by': 'someone-else' });

  for (const [user, groups] of Object.entries(TEAMS)) {
    const name = user.split('/')[1];
    entities.set(user, {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: { name, namespace: 'default' },
      spec: {},
      relations: groups.map(g => ({ type: 'memberOf', targetRef: g })),
    });
  }

  const { config, errors } = readTenancyConfig({
    mappings: [
      { owners: ['group:default/team-a'], clusters: ['local', 'remote'], namespaces: ['tracing-*'] },
      { owners: ['group:default/team-b'], clusters: ['local'], namespaces: ['teamb-*'] },
    ],
    namespaceOwner: { clusters: ['local'] },
  });
  if (errors.length) throw new Error(JSON.stringify(errors));
  const tenancyConfig = config as TenancyConfig;
  const service: BackstageCredentials = { $$type: '@backstage/BackstageCredentials', principal: { type: 'service', subject: 'plugin:skywalking' } };
  const tenancy = new TenancyService({
    config: tenancyConfig,
    userInfo: {
      getUserInfo: async c => {
        const ref = (c.principal as { userEntityRef: string }).userEntityRef;
        return { userEntityRef: ref, ownershipEntityRefs: [ref, ...(TEAMS[ref] ?? [])] };
      },
    },
    catalog: { getEntityByRef: async ref => entities.get(ref) },
    auth: { getOwnServiceCredentials: async () => service },
    readNamespace: liveNamespaceReader(() => kc),
  });

  /** users whose skywalking.backend.read is denied */
  const denyRead = new Set<string>();
  const permissionRequests: unknown[] = [];
  const permissions = {
    authorize: async (requests: any[], { credentials }: { credentials: BackstageCredentials }) => {
      permissionRequests.push(...requests);
      const user = (credentials.principal as { userEntityRef?: string }).userEntityRef ?? '';
      return requests.map(() => ({ result: denyRead.has(user) ? AuthorizeResult.DENY : AuthorizeResult.ALLOW }));
    },
  } as any;

  return {
    tenancy,
    tenancyConfig,
    permissions,
    permissionRequests,
    denyRead,
    backend: { cluster: 'local', namespace: backendNs, name: 'demo' },
    unmanagedBackend: { cluster: 'local', namespace: backendNs, name: 'foreign' },
  };
}
