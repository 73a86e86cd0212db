import { createTestNamespace, getSharedTestCluster } from '@internal/local-cluster';
import { ClusterRegistry } from '../../clusters/ClusterRegistry';
import { ensureSwckCrds } from '../../clusters/crds';
import { loadK8s } from '../../clusters/k8s';
import { BackendService } from '../BackendService';
import { MemoryOutbox, quietLogger } from '../testOutbox';

/* A write while the cluster answers: straight through, unless an earlier change of the same backend still waits. */

jest.setTimeout(60_000);

describe('writeOrQueue', () => {
  it("queues a change behind its backend's waiting one, lets other backends' changes through, is not held up by a dead letter, and replays a retried dead letter", async () => {
    const cluster = await getSharedTestCluster();
    const k8s = await loadK8s();
    const admin = new k8s.KubeConfig();
    admin.loadFromString(cluster.kubeconfig);
    await ensureSwckCrds(admin);
    const ns = await createTestNamespace('write-or-queue');
    const clusters = await ClusterRegistry.fromDefinitions([{ name: 'local', kubeconfig: cluster.kubeconfig }], quietLogger);
    const outbox = new MemoryOutbox();
    const backends = new BackendService({ clusters, outbox, logger: quietLogger });
    const a = { cluster: 'local', namespace: ns, name: 'a' };
    const b = { cluster: 'local', namespace: ns, name: 'b' };
    for (const r of [a, b]) await backends.create({ ...r, version: '10.2.0', ui: { enabled: false } }, 'user:default/tester');
    const waiting = await outbox.enqueue('local', { operation: 'scale', payload: { args: [a, 2], actor: 'user:default/tester' } });
    const instances = async (name: string) =>
      ((await admin.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({ group: 'operator.skywalking.apache.org', version: 'v1alpha1', namespace: ns, plural: 'oapservers', name })) as any).spec.instances;

    expect(await backends.scale(b, 3, 'user:default/tester')).toEqual({ applied: true, queued: false });
    expect(await instances('b')).toBe(3);
    const queued = await backends.scale(a, 4, 'user:default/tester');
    expect(queued).toMatchObject({ applied: false, queued: true, message: expect.stringContaining(`earlier changes of backend ${ns}/a in cluster local are still waiting`) });
    expect(await instances('a')).toBe(1);
    // drained in order: 2, then 4
    expect(await backends.drainOutbox('local')).toBe(2);
    expect(await instances('a')).toBe(4);
    // a dead letter holds nothing up
    const dead = await outbox.enqueue('local', { operation: 'scale', payload: { args: [a, 9], actor: 'user:default/tester' } });
    await outbox.markDead(dead, 'refused');
    expect(await backends.scale(a, 5, 'user:default/tester')).toEqual({ applied: true, queued: false });
    expect(await instances('a')).toBe(5);
    expect(outbox.entries.find(e => e.id === waiting)?.state).toBe('done');
    // a person retries the dead letter: only through its own backend, then it is replayed
    expect(await backends.retryDeadLetter(b, String(dead))).toBe(false);
    expect(await backends.retryDeadLetter(a, '999')).toBe(false);
    expect(await backends.retryDeadLetter(a, String(dead))).toBe(true);
    expect(await backends.drainOutbox('local')).toBe(1);
    expect(await instances('a')).toBe(9);
  });
});
