import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { createTestNamespace, getSharedTestCluster } from '@internal/local-cluster';
import { readTenancyConfig } from '@skywalking-backstage/plugin-skywalking-common';
import { K8s, loadK8s } from '../../clusters/k8s';
import { liveNamespaceReader } from '../../tenancy/liveNamespace';
import { TenancyService } from '../../tenancy/TenancyService';
import { MemoryOutbox, quietLogger } from '../testOutbox';
import { OutboxDrainer } from './OutboxDrainer';
import { tenancyRecheck } from './recheck';
import { appliedN, configMapReplay } from './__testUtils__/configMapOps';

/*
 * A queued change is re-checked against the tenancy rules of the moment
 * before it is replayed: the real TenancyService reading the live Namespace's
 * owner annotation on the local control plane.
 */

jest.setTimeout(120_000);

const service: BackstageCredentials = { $$type: '@backstage/BackstageCredentials', principal: { type: 'service', subject: 'plugin:skywalking' } };
const carol: Entity = { apiVersion: 'backstage.io/v1alpha1', kind: 'User', metadata: { name: 'carol' }, spec: {}, relations: [{ type: 'memberOf', targetRef: 'group:default/guests' }] };

let k8s: typeof K8s;
let kc: K8s.KubeConfig;
let ns: string;
let catalogDown = false;
let tenancy: TenancyService;

const ownNamespace = (owner: string) =>
  kc.makeApiClient(k8s.CoreV1Api).patchNamespace(
    { name: ns, body: { metadata: { annotations: { 'skywalking-backstage.io/owner': owner } } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
const change = (name: string) => ({ operation: 'scale' as const, payload: { args: [{ cluster: 'local', namespace: ns, name }, 1], actor: 'user:default/carol' } });

beforeAll(async () => {
  const cluster = await getSharedTestCluster();
  k8s = await loadK8s();
  kc = new k8s.KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  ns = await createTestNamespace('outbox-recheck');
  const { config, errors } = readTenancyConfig({ mappings: [], namespaceOwner: true });
  if (errors.length) throw new Error(JSON.stringify(errors));
  tenancy = new TenancyService({
    config,
    userInfo: { getUserInfo: async () => ({ userEntityRef: 'user:default/carol', ownershipEntityRefs: [] }) },
    catalog: {
      getEntityByRef: async ref => {
        if (catalogDown) throw new Error('catalog: connect ECONNREFUSED');
        return ref === 'user:default/carol' ? carol : undefined;
      },
    },
    auth: { getOwnServiceCredentials: async () => service },
    readNamespace: liveNamespaceReader(() => kc),
  });
});

describe('tenancyRecheck', () => {
  it('replays a change its actor may still make, dead-letters one whose namespace changed hands, and lets one wait while the check cannot be made', async () => {
    const outbox = new MemoryOutbox();
    const drainer = new OutboxDrainer({ outbox, logger: quietLogger, clusters: { markUnreachable: () => {} }, replay: configMapReplay(kc).replay, recheck: tenancyRecheck(tenancy) });
    await ownNamespace('group:default/guests');
    await outbox.enqueue('local', change('allowed'));
    expect(await drainer.drainCluster('local')).toMatchObject({ applied: 1, dead: 0 });
    expect(await appliedN(kc, ns, 'allowed')).toBe('1');

    // the catalog cannot be read: no decision, so nothing is given up and no attempt is spent
    catalogDown = true;
    await outbox.enqueue('local', change('waits'));
    expect(await drainer.drainCluster('local')).toMatchObject({ applied: 0, dead: 0 });
    expect(outbox.entries[1]).toMatchObject({ state: 'pending', attempts: 0 });
    expect(outbox.entries[1].lastError).toContain('re-checking user:default/carol');
    catalogDown = false;

    // the namespace now belongs to another team: carol's queued change is not applied
    await ownNamespace('group:default/other');
    expect(await drainer.drainCluster('local')).toMatchObject({ applied: 0, dead: 1 });
    expect(await appliedN(kc, ns, 'waits')).toBeUndefined();
    expect(outbox.entries[1].state).toBe('dead');
    expect(outbox.entries[1].lastError).toContain(`no longer allowed: user:default/carol may no longer act in namespace ${ns} of cluster local`);
  });
});
