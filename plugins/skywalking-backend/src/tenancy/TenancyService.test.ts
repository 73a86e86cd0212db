/*
 * TenancyService on the local control plane: the owner annotation is read
 * from the live Namespace; System refs count for the System's owner from the
 * catalog (a stand-in); users' refs for the reconcile come from the catalog.
 */
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { createTestNamespace, getSharedTestCluster } from '@internal/local-cluster';
import { readTenancyConfig } from '@skywalking-backstage/plugin-skywalking-common';
import type * as K8s from '@kubernetes/client-node';
import { loadK8s } from '../clusters/k8s';
import { liveNamespaceReader } from './liveNamespace';
import { TenancyService } from './TenancyService';

jest.setTimeout(120_000);

const user = (userEntityRef: string): BackstageCredentials => ({ $$type: '@backstage/BackstageCredentials', principal: { type: 'user', userEntityRef } });
const service: BackstageCredentials = { $$type: '@backstage/BackstageCredentials', principal: { type: 'service', subject: 'plugin:scaffolder' } };

const entities = new Map<string, Entity>([
  ['system:default/shop', { apiVersion: 'backstage.io/v1alpha1', kind: 'System', metadata: { name: 'shop' }, spec: { owner: 'group:default/guests' }, relations: [{ type: 'ownedBy', targetRef: 'group:default/guests' }] }],
  ['user:default/carol', { apiVersion: 'backstage.io/v1alpha1', kind: 'User', metadata: { name: 'carol' }, spec: {}, relations: [{ type: 'memberOf', targetRef: 'group:default/guests' }] }],
]);
const groupsOf: Record<string, string[]> = { 'user:default/carol': ['group:default/guests'], 'user:default/dave': ['group:default/other'] };

let k8s: typeof K8s;
let kc: K8s.KubeConfig;
let tenancy: TenancyService;

beforeAll(async () => {
  const cluster = await getSharedTestCluster();
  k8s = await loadK8s();
  kc = new k8s.KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  const { config, errors } = readTenancyConfig({
    mappings: [{ systems: ['system:default/shop'], clusters: ['local'], namespaces: ['shop-*'] }],
    namespaceOwner: true,
  });
  if (errors.length) throw new Error(JSON.stringify(errors));
  tenancy = new TenancyService({
    config,
    userInfo: { getUserInfo: async c => { const r = (c.principal as any).userEntityRef; return { userEntityRef: r, ownershipEntityRefs: [r, ...(groupsOf[r] ?? [])] }; } },
    catalog: { getEntityByRef: async ref => entities.get(ref) },
    auth: { getOwnServiceCredentials: async () => service },
    readNamespace: liveNamespaceReader(() => kc),
  });
});

describe('TenancyService', () => {
  it("reads the owner annotation on the live Namespace: team members may act there, others get a 403 naming the namespace", async () => {
    const ns = await createTestNamespace('tenancy-annotated');
    await expect(tenancy.assertMayAct(user('user:default/dave'), 'local', ns)).rejects.toMatchObject({ name: 'NotAllowedError', message: expect.stringContaining(`namespace ${ns}`) });
    await kc.makeApiClient(k8s.CoreV1Api).patchNamespace(
      { name: ns, body: { metadata: { annotations: { 'skywalking-backstage.io/owner': 'group:default/other' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await expect(tenancy.assertMayAct(user('user:default/dave'), 'local', ns)).resolves.toBeUndefined();
    const d = await tenancy.allowed(['group:default/guests'], 'local', ns);
    expect(d).toEqual({ allowed: false, reason: `namespace ${ns} in cluster local is not mapped to group:default/guests (skywalking.tenancy)` });
  });

  it('grants a System mapping to the owners of that System only', async () => {
    await expect(tenancy.assertMayAct(user('user:default/carol'), 'local', 'shop-prod')).resolves.toBeUndefined();
    await expect(tenancy.assertMayAct(user('user:default/dave'), 'local', 'shop-prod')).rejects.toMatchObject({ name: 'NotAllowedError' });
    expect(await tenancy.callerRefs(user('user:default/carol'))).toContain('system:default/shop');
  });

  it('gives a service principal no namespace, and a catalog user the refs of its groups', async () => {
    await expect(tenancy.assertMayAct(service, 'local', 'shop-prod')).rejects.toMatchObject({ message: expect.stringContaining('a service principal owns no namespace') });
    expect(await tenancy.userRefs('user:default/carol')).toEqual(['user:default/carol', 'group:default/guests', 'system:default/shop']);
    expect(await tenancy.userRefs('user:default/unknown')).toEqual([]);
  });

  it('refuses everything, naming the missing config, when skywalking.tenancy is not configured', async () => {
    const open = TenancyService.fromConfig({ getOptional: () => undefined }, {
      userInfo: { getUserInfo: async () => ({ userEntityRef: 'user:default/carol', ownershipEntityRefs: ['group:default/guests'] }) },
      catalog: { getEntityByRef: async () => undefined },
      auth: { getOwnServiceCredentials: async () => service },
      readNamespace: async () => undefined,
    });
    await expect(open.assertMayAct(user('user:default/carol'), 'local', 'shop-prod')).rejects.toMatchObject({ message: expect.stringContaining('skywalking.tenancy is not configured') });
  });

  it('stops the plugin on a malformed mapping, naming each field', () => {
    expect(() =>
      TenancyService.fromConfig({ getOptional: () => ({ mappings: [{ owners: ['team-a'], clusters: ['prod|dev'], namespaces: ['a'] }] }) }, {
        userInfo: { getUserInfo: async () => ({ userEntityRef: '', ownershipEntityRefs: [] }) },
        catalog: { getEntityByRef: async () => undefined },
        auth: { getOwnServiceCredentials: async () => service },
        readNamespace: async () => undefined,
      }),
    ).toThrow(/skywalking\.tenancy\.mappings\[0\]\.clusters\[0\]: "prod\|dev" may hold only/);
  });
});
