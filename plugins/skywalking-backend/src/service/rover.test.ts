import { eventually } from '@internal/local-cluster';
import { K8s } from '../clusters/k8s';
import { OperatorEngine } from '../engine/OperatorEngine';
import { BackendService, ROVER_PAUSED_NODE_LABEL } from './BackendService';
import { startTestOperator } from '../__testUtils__/testOperator';

jest.setTimeout(180_000);

const CLUSTER = 'local';

let k8s: typeof K8s;
let admin: K8s.KubeConfig;
let ns: string;
let backends: BackendService;
let engine: OperatorEngine;

const ref = () => ({ cluster: CLUSTER, namespace: ns, name: 'demo' });
const spec = (rover: { enabled: boolean }) => ({
  name: 'demo',
  namespace: ns,
  cluster: CLUSTER,
  version: '10.2.0',
  ui: { enabled: false },
  rover,
});
const apps = () => admin.makeApiClient(k8s.AppsV1Api);
const core = () => admin.makeApiClient(k8s.CoreV1Api);
const rbac = () => admin.makeApiClient(k8s.RbacAuthorizationV1Api);
const gone = (read: () => Promise<unknown>) => async () =>
  read().then(
    () => false,
    (e: any) => e?.code === 404,
  );
const roverNames = () => ({
  ds: 'demo-rover',
  cluster: `skywalking-rover-${ns}-demo`,
});

beforeAll(async () => {
  // the reconcile engine runs beside: it must leave the Rover objects (not its controlled children) alone
  ({ k8s, admin, ns, backends, engine } = await startTestOperator('rover'));
});

afterAll(async () => {
  await engine?.stop();
});

describe('Rover of a backend on the local control plane', () => {
  it('creating a backend with rover runs a privileged host-PID/host-network DaemonSet on every node, reported RoverReady', async () => {
    // the SWCK CRDs become servable a moment after they are created
    await eventually(
      'backend created',
      async () =>
        (
          await backends.create(spec({ enabled: true }), 'user:default/tester')
        ).applied,
    );

    const ds = await apps().readNamespacedDaemonSet({
      name: roverNames().ds,
      namespace: ns,
    });
    const pod = ds.spec!.template.spec!;
    expect(pod.hostPID).toBe(true);
    expect(pod.hostNetwork).toBe(true);
    expect(pod.containers[0].securityContext?.privileged).toBe(true);
    expect(pod.containers[0].env).toContainEqual({
      name: 'ROVER_BACKEND_ADDR',
      value: `demo-oap.${ns}:11800`,
    });
    expect(pod.containers[0].env).toContainEqual({
      name: 'ROVER_ACCESS_LOG_ACTIVE',
      value: 'true',
    });
    expect(
      ds.metadata!.managedFields!.some(
        m => m.manager === 'skywalking-backstage' && m.operation === 'Apply',
      ),
    ).toBe(true);
    const oap: any = await admin
      .makeApiClient(k8s.CustomObjectsApi)
      .getNamespacedCustomObject({
        group: 'operator.skywalking.apache.org',
        version: 'v1alpha1',
        namespace: ns,
        plural: 'oapservers',
        name: 'demo',
      });
    expect(ds.metadata!.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'OAPServer',
        name: 'demo',
        uid: oap.metadata.uid,
        controller: false,
      }),
    ]);
    expect(
      (
        await core().readNamespacedServiceAccount({
          name: 'demo-rover',
          namespace: ns,
        })
      ).metadata!.ownerReferences?.[0]?.uid,
    ).toBe(oap.metadata.uid);
    const binding = await rbac().readClusterRoleBinding({
      name: roverNames().cluster,
    });
    expect(binding.subjects).toEqual([
      expect.objectContaining({
        kind: 'ServiceAccount',
        name: 'demo-rover',
        namespace: ns,
      }),
    ]);
    expect(
      (await rbac().readClusterRole({ name: roverNames().cluster })).metadata!
        .labels,
    ).toMatchObject({ 'skywalking-backstage.io/backend-namespace': ns });

    // one Rover pod per (KWOK) node, Running and Ready
    const nodes = (await core().listNode()).items.map(n => n.metadata!.name!);
    const pods = await eventually(
      'a ready Rover pod on every node',
      async () => {
        const list = await core().listNamespacedPod({
          namespace: ns,
          labelSelector: 'app=rover,app.kubernetes.io/part-of=demo',
        });
        const ready = list.items.filter(p =>
          p.status?.conditions?.some(
            c => c.type === 'Ready' && c.status === 'True',
          ),
        );
        return ready.length === nodes.length ? ready : undefined;
      },
      90_000,
    );
    expect(pods.map(p => p.spec!.nodeName).sort()).toEqual([...nodes].sort());
    expect(nodes.every(n => n.startsWith('kwok-node-'))).toBe(true);

    const detail = await eventually(
      'RoverReady True',
      async () => {
        const d = await backends.get(ref());
        return d.conditions.find(c => c.type === 'RoverReady')?.status ===
          'True'
          ? d
          : undefined;
      },
      60_000,
    );
    expect(detail.conditions.find(c => c.type === 'RoverReady')).toMatchObject({
      reason: 'AllNodesReady',
      message: `Rover ready on ${nodes.length}/${nodes.length} nodes`,
    });
    expect(detail.spec.rover).toEqual({ enabled: true });
    expect(detail.pods.filter(p => p.component === 'rover')).toHaveLength(
      nodes.length,
    );
    expect(
      (await backends.list()).find(b => b.namespace === ns)?.conditions,
    ).toContainEqual(
      expect.objectContaining({ type: 'RoverReady', status: 'True' }),
    );
  });

  it('the reconcile engine leaves the Rover objects, owned by the OAPServer but not controlled, in place', async () => {
    await eventually('OAP Deployment reconciled', async () =>
      apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns }),
    );
    await engine.engine(CLUSTER)!.idle(30_000);
    const sa = await core().readNamespacedServiceAccount({
      name: 'demo-rover',
      namespace: ns,
    });
    expect(sa.metadata!.deletionTimestamp).toBeUndefined();
    await apps().readNamespacedDaemonSet({
      name: roverNames().ds,
      namespace: ns,
    });
  });

  it('pausing a backend stops Rover on every node and resuming brings it back', async () => {
    const n = roverNames();
    const rover = () => apps().readNamespacedDaemonSet({ name: n.ds, namespace: ns });
    const roverPods = async () =>
      (await core().listNamespacedPod({ namespace: ns, labelSelector: 'app=rover' })).items.filter(
        p => !p.metadata?.deletionTimestamp,
      ).length;
    const scheduledBefore = (await rover()).status?.desiredNumberScheduled ?? 0;
    expect(scheduledBefore).toBeGreaterThan(0);

    await backends.pause(ref(), 'user:default/tester');
    expect((await rover()).spec?.template.spec?.nodeSelector).toEqual({ [ROVER_PAUSED_NODE_LABEL]: 'true' });
    await eventually('no Rover pods while paused', async () => (await roverPods()) === 0, 60_000);
    await eventually('RoverReady False while paused', async () => {
      const c = (await backends.get(ref())).conditions.find(x => x.type === 'RoverReady');
      return c?.status === 'False';
    });

    await backends.resume(ref(), 'user:default/tester');
    expect((await rover()).spec?.template.spec?.nodeSelector).toBeUndefined();
    await eventually('Rover pods back on every node', async () => (await roverPods()) === scheduledBefore, 60_000);
    await eventually('RoverReady True after resume', async () => {
      const c = (await backends.get(ref())).conditions.find(x => x.type === 'RoverReady');
      return c?.status === 'True';
    }, 60_000);
  });

  it('an update with rover disabled removes the DaemonSet, its ServiceAccount and the cluster RBAC', async () => {
    expect(
      await backends.update(
        ref(),
        spec({ enabled: false }),
        'user:default/tester',
      ),
    ).toEqual({ applied: true, queued: false });
    const n = roverNames();
    await eventually(
      'DaemonSet gone',
      gone(() => apps().readNamespacedDaemonSet({ name: n.ds, namespace: ns })),
    );
    await eventually(
      'ServiceAccount gone',
      gone(() =>
        core().readNamespacedServiceAccount({ name: n.ds, namespace: ns }),
      ),
    );
    await eventually(
      'ClusterRole gone',
      gone(() => rbac().readClusterRole({ name: n.cluster })),
    );
    await eventually(
      'ClusterRoleBinding gone',
      gone(() => rbac().readClusterRoleBinding({ name: n.cluster })),
    );
    await eventually(
      'Rover pods gone',
      async () =>
        (
          await core().listNamespacedPod({
            namespace: ns,
            labelSelector: 'app=rover',
          })
        ).items.length === 0,
      60_000,
    );
    const detail = await backends.get(ref());
    expect(detail.spec.rover).toEqual({ enabled: false });
    expect(
      detail.conditions.find(c => c.type === 'RoverReady'),
    ).toBeUndefined();
  });

  it('deleting a backend with rover leaves no cluster RBAC behind (Rover\'s and OAP\'s)', async () => {
    await backends.update(
      ref(),
      spec({ enabled: true }),
      'user:default/tester',
    );
    const n = roverNames();
    await rbac().readClusterRole({ name: n.cluster });
    // OAP's cluster-wide read, applied by the engine with the OAPServer's children
    const oapRbac = `skywalking-oap-${ns}-demo`;
    await eventually('OAP ClusterRole and ClusterRoleBinding applied', async () =>
      Boolean((await rbac().readClusterRole({ name: oapRbac })) && (await rbac().readClusterRoleBinding({ name: oapRbac }))),
    );
    await apps().readNamespacedDaemonSet({ name: n.ds, namespace: ns });
    expect(await backends.delete(ref(), 'user:default/tester')).toEqual({
      applied: true,
      queued: false,
    });
    await eventually(
      'ClusterRole gone',
      gone(() => rbac().readClusterRole({ name: n.cluster })),
    );
    await eventually(
      'ClusterRoleBinding gone',
      gone(() => rbac().readClusterRoleBinding({ name: n.cluster })),
    );
    await eventually(
      'DaemonSet gone',
      gone(() => apps().readNamespacedDaemonSet({ name: n.ds, namespace: ns })),
    );
    await eventually('OAP ClusterRole gone', gone(() => rbac().readClusterRole({ name: oapRbac })));
    await eventually('OAP ClusterRoleBinding gone', gone(() => rbac().readClusterRoleBinding({ name: oapRbac })));
  });
});
