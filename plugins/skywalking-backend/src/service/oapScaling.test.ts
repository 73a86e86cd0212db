import { eventually } from '@internal/local-cluster';
import { SkyWalkingBackendSpec } from '@skywalking-backstage/plugin-skywalking-common';
import { K8s } from '../clusters/k8s';
import { OperatorEngine } from '../engine/OperatorEngine';
import { BackendService } from './BackendService';
import { startTestOperator } from '../__testUtils__/testOperator';

/*
 * OAP scaling on the local control plane: disruption budgets per role,
 * topology spread over the KWOK nodes, the HPA and the engine leaving it the
 * replicas, per-role scaling. No metrics-server runs here, so the HPA never
 * scales by CPU: these tests check the objects and that nothing fights it.
 */
jest.setTimeout(300_000);

const CLUSTER = 'local';
const ACTOR = 'user:default/tester';

let k8s: typeof K8s;
let admin: K8s.KubeConfig;
let ns: string;
let backends: BackendService;
let engine: OperatorEngine;

const ref = () => ({ cluster: CLUSTER, namespace: ns, name: 'scale' });
const cpu = { requests: { cpu: '100m' } };
const spec = (oap: SkyWalkingBackendSpec['oap']): SkyWalkingBackendSpec & Record<string, unknown> => ({
  name: 'scale',
  namespace: ns,
  cluster: CLUSTER,
  version: '10.2.0',
  oap: { resources: cpu, ...oap },
  ui: { enabled: false },
  storage: { type: 'banyandb' },
});

const apps = () => admin.makeApiClient(k8s.AppsV1Api);
const policy = () => admin.makeApiClient(k8s.PolicyV1Api);
const hpas = () => admin.makeApiClient(k8s.AutoscalingV2Api);
const deployment = (name: string) => apps().readNamespacedDeployment({ name, namespace: ns });
const pdb = (name: string) => policy().readNamespacedPodDisruptionBudget({ name, namespace: ns });
const hpa = (name: string) => hpas().readNamespacedHorizontalPodAutoscaler({ name, namespace: ns });
const exists = <T,>(read: () => Promise<T>) => async (): Promise<T | undefined> =>
  read().then(
    v => v,
    (e: any) => {
      if (e?.code === 404) return undefined;
      throw e;
    },
  );
const gone = (read: () => Promise<unknown>) => async () =>
  read().then(
    () => false,
    (e: any) => e?.code === 404,
  );
const podsOf = async (selector: string) =>
  (await admin.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: ns, labelSelector: selector })).items.filter(p => !p.metadata?.deletionTimestamp);
const running = (selector: string, n: number) => async () => {
  const pods = await podsOf(selector);
  return pods.length === n && pods.every(p => p.status?.phase === 'Running' && p.spec?.nodeName) ? pods : undefined;
};
const replicasOf = async (name: string) => (await deployment(name)).spec?.replicas;
const update = async (s: SkyWalkingBackendSpec) => expect(await backends.update(ref(), s as any, ACTOR)).toEqual({ applied: true, queued: false });

beforeAll(async () => {
  ({ k8s, admin, ns, backends, engine } = await startTestOperator('oap-scaling'));
});

afterAll(async () => {
  await engine?.stop();
});

describe('OAP scaling on the local control plane', () => {
  it('gives a multi-replica OAP a disruption budget and spreads its pods over the nodes; one replica, the budget goes', async () => {
    const nodes = (await admin.makeApiClient(k8s.CoreV1Api).listNode()).items.map(n => n.metadata!.name!);
    expect(nodes.length).toBeGreaterThanOrEqual(3);
    await eventually('backend created', async () => (await backends.create(spec({ replicas: 3, topologySpread: { zoneKey: 'topology.kubernetes.io/zone' } }), ACTOR)).applied);
    const budget = await eventually('PodDisruptionBudget', exists(() => pdb('scale-oap')), 60_000);
    const d = await deployment('scale-oap');
    expect(budget.spec).toMatchObject({ maxUnavailable: 1, selector: d.spec!.selector });
    expect(budget.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'OAPServer', name: 'scale', controller: true });
    expect(d.spec!.template.spec!.topologySpreadConstraints!.map(c => [c.topologyKey, c.maxSkew, c.whenUnsatisfiable])).toEqual([
      ['kubernetes.io/hostname', 1, 'ScheduleAnyway'],
      ['topology.kubernetes.io/zone', 1, 'ScheduleAnyway'],
    ]);
    expect(d.spec!.template.spec!.affinity).toBeUndefined();
    // 3 pods over the KWOK nodes (3 nodes in 3 zones): no node holds more than one more than another
    const pods = await eventually('3 OAP pods Running', running('app=oap', 3), 120_000);
    const perNode = nodes.map(n => pods.filter(p => p.spec!.nodeName === n).length);
    expect(Math.max(...perNode) - Math.min(...perNode)).toBeLessThanOrEqual(1);
    // the disruption controller counts the pods it protects
    await eventually('budget observes the pods', async () => (await pdb('scale-oap')).status?.expectedPods === 3, 60_000);
    expect((await backends.get(ref())).spec.oap).toMatchObject({ topologySpread: { zoneKey: 'topology.kubernetes.io/zone' } });

    expect(await backends.scale(ref(), 1, ACTOR)).toEqual({ applied: true, queued: false });
    await eventually('budget pruned at one replica', gone(() => pdb('scale-oap')), 60_000);
    expect(await replicasOf('scale-oap')).toBe(1);
  });

  it('hands the replicas to an HPA: the engine does not set them, nor undo what the HPA sets; autoscaling off removes it', async () => {
    const auto = { enabled: true, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 60 };
    await update(spec({ replicas: 3 }));
    await eventually('3 replicas', async () => (await replicasOf('scale-oap')) === 3, 60_000);
    await update(spec({ replicas: 3, autoscaling: auto }));
    const h = await eventually('HorizontalPodAutoscaler', exists(() => hpa('scale-oap')), 60_000);
    expect(h.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'scale-oap' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
    });
    // the engine released spec.replicas, handed over at 3: not reset to the API server's default of 1
    // (which the HPA would only have raised to its minimum, 2)
    await eventually('engine released replicas', async () => {
      const dep = await deployment('scale-oap');
      const engineOwns = (dep.metadata?.managedFields ?? []).some(f => f.manager === 'skywalking-backstage' && (f.fieldsV1 as any)?.['f:spec']?.['f:replicas']);
      return !engineOwns && dep.spec?.replicas === 3;
    }, 60_000);
    expect((await podsOf('app=oap')).length).toBeGreaterThanOrEqual(3);
    await eventually('budget back for an autoscaled OAP', exists(() => pdb('scale-oap')), 60_000);
    expect((await backends.get(ref())).spec.oap).toMatchObject({ autoscaling: auto });
    expect((await backends.list()).find(b => b.name === 'scale' && b.namespace === ns)?.oap.autoscaling).toMatchObject({ minReplicas: 2, maxReplicas: 5, role: 'mixed' });

    // scale as the HPA does (the scale subresource), then make the engine apply the Deployment again (a config change)
    await apps().replaceNamespacedDeploymentScale({ name: 'scale-oap', namespace: ns, body: { metadata: { name: 'scale-oap', namespace: ns }, spec: { replicas: 4 } } });
    await update(spec({ replicas: 3, autoscaling: auto, config: [{ name: 'SW_SCALING_TEST', value: 'applied' }] }));
    await eventually(
      'engine applied the Deployment',
      async () => (await deployment('scale-oap')).spec!.template.spec!.containers[0].env!.some(e => e.name === 'SW_SCALING_TEST'),
      60_000,
    );
    await eventually('4 OAP pods Running', running('app=oap', 4), 120_000);
    expect(await replicasOf('scale-oap')).toBe(4);
    // the portal refuses to fight the HPA
    await expect(backends.scale(ref(), 3, ACTOR)).rejects.toThrow(/autoscaled by a HorizontalPodAutoscaler \(2 to 5 replicas\)/);

    await update(spec({ replicas: 2, autoscaling: { ...auto, enabled: false } }));
    await eventually('HPA removed', gone(() => hpa('scale-oap')), 60_000);
    await eventually('replicas back to the spec', async () => (await replicasOf('scale-oap')) === 2, 60_000);
  });

  it('scales one role alone, with a budget per role; split and autoscaled, the HPA takes the Receivers', async () => {
    await update(spec({ roleSplit: { enabled: true, receivers: 2, aggregators: 2 } }));
    await eventually('roles at 2 + 2', async () => (await replicasOf('scale-oap-receiver')) === 2 && (await replicasOf('scale-oap-aggregator')) === 2, 60_000);
    for (const role of ['receiver', 'aggregator']) {
      const budget = await eventually(`${role} budget`, exists(() => pdb(`scale-oap-${role}`)), 60_000);
      expect(budget.spec!.selector!.matchLabels).toMatchObject({ 'operator.skywalking.apache.org/oap-role': role });
    }
    await eventually('Mixed budget pruned', gone(() => pdb('scale-oap')), 60_000);

    expect(await backends.scale(ref(), 3, ACTOR, 'aggregator')).toEqual({ applied: true, queued: false });
    await eventually('Aggregators at 3', async () => (await replicasOf('scale-oap-aggregator')) === 3, 60_000);
    expect(await replicasOf('scale-oap-receiver')).toBe(2);
    const detail = await backends.get(ref());
    expect(detail.spec.oap).toMatchObject({ instances: 5, roleSplit: { enabled: true, receivers: 2, aggregators: 3 } });
    expect(detail.oap.roles).toEqual({ receivers: 2, aggregators: 3 });
    await expect(backends.scale(ref(), 2, ACTOR, 'mixed')).rejects.toThrow(/role: "mixed" must be receiver or aggregator/);

    await update(spec({ roleSplit: { enabled: true, receivers: 2, aggregators: 3 }, autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4 } }));
    const h = await eventually('Receiver HPA', exists(() => hpa('scale-oap-receiver')), 60_000);
    expect(h.spec!.scaleTargetRef.name).toBe('scale-oap-receiver');
    expect(await gone(() => hpa('scale-oap-aggregator'))()).toBe(true);
    await expect(backends.scale(ref(), 3, ACTOR, 'receiver')).rejects.toThrow(/Receivers .* autoscaled/);
    expect(await backends.scale(ref(), 2, ACTOR, 'aggregator')).toEqual({ applied: true, queued: false });
    await eventually('Aggregators at 2', async () => (await replicasOf('scale-oap-aggregator')) === 2, 60_000);
    expect(await replicasOf('scale-oap-receiver')).toBe(2);
  });
});
