import { createTestNamespace, getSharedTestCluster } from '@internal/local-cluster';
import { ClusterRegistry } from '../../clusters/ClusterRegistry';
import { ensureSwckCrds } from '../../clusters/crds';
import { loadK8s } from '../../clusters/k8s';
import { upgradeOf } from '../../engine/upgrade';
import { BackendService } from '../BackendService';
import { MemoryOutbox, quietLogger } from '../testOutbox';

/*
 * A drainer killed between applying a queued upgrade and marking it done
 * replays it: the upgrade it recorded itself must count as applied, not be
 * refused as "an upgrade is in progress" until the entry is dead-lettered.
 */

jest.setTimeout(60_000);

describe('a replayed upgrade', () => {
  it('is applied once in effect when its own upgrade is already recorded, while a new request for it is still refused', async () => {
    const cluster = await getSharedTestCluster();
    const k8s = await loadK8s();
    const admin = new k8s.KubeConfig();
    admin.loadFromString(cluster.kubeconfig);
    await ensureSwckCrds(admin);
    const ns = await createTestNamespace('replay-upgrade');
    const clusters = await ClusterRegistry.fromDefinitions([{ name: 'local', kubeconfig: cluster.kubeconfig }], quietLogger);
    const backends = new BackendService({ clusters, outbox: new MemoryOutbox(), logger: quietLogger });
    const ref = { cluster: 'local', namespace: ns, name: 'demo' };
    await backends.create({ ...ref, version: '10.2.0', ui: { enabled: false } }, 'user:default/tester');
    const op = { operation: 'upgrade' as const, payload: { args: [ref, '10.3.0', {}], actor: 'user:default/tester' } };
    await backends.replay(op);
    const read = async () =>
      upgradeOf(await admin.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({ group: 'operator.skywalking.apache.org', version: 'v1alpha1', namespace: ns, plural: 'oapservers', name: 'demo' }));
    const first = await read();
    expect(first).toMatchObject({ version: '10.3.0' });
    await expect(backends.replay(op)).resolves.toBeUndefined();
    // unchanged: the replay recorded nothing new
    expect(await read()).toEqual(first);
    await expect(backends.upgrade(ref, '10.3.0', 'user:default/tester')).rejects.toMatchObject({ name: 'ConflictError' });
  });
});
