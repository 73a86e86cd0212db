import { eventually } from '@internal/local-cluster';
import { SkyWalkingBackendSpec } from '@skywalking-backstage/plugin-skywalking-common';
import { K8s } from '../clusters/k8s';
import { OperatorEngine } from '../engine/OperatorEngine';
import { BackendService } from './BackendService';
import { startTestOperator } from '../__testUtils__/testOperator';

jest.setTimeout(240_000);

const CLUSTER = 'local';

let k8s: typeof K8s;
let admin: K8s.KubeConfig;
let ns: string;
let backends: BackendService;
let engine: OperatorEngine;

const ref = () => ({ cluster: CLUSTER, namespace: ns, name: 'split' });
// the local cluster's KWOK nodes carry type=kwok and topology.kubernetes.io/zone=zone-<i % 3>
const oapScheduling = {
  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'type', operator: 'In', values: ['kwok'] }] }] } } },
  tolerations: [{ key: 'dedicated', operator: 'Equal' as const, value: 'observability', effect: 'NoSchedule' as const }],
  nodeSelector: { 'topology.kubernetes.io/zone': 'zone-1' },
};
const spec = (oap: SkyWalkingBackendSpec['oap']): SkyWalkingBackendSpec & Record<string, unknown> => ({
  name: 'split',
  namespace: ns,
  cluster: CLUSTER,
  version: '10.2.0',
  oap,
  ui: { nodeSelector: { 'topology.kubernetes.io/zone': 'zone-2' }, resources: { limits: { cpu: '500m' } }, ingress: { host: 'sw.example.com', ingressClassName: 'nginx' } },
  storage: { type: 'banyandb', banyandb: { tolerations: [{ operator: 'Exists' }], nodeSelector: { 'kubernetes.io/os': 'linux' } } },
});
const split = () => spec({ replicas: 3, ...oapScheduling, roleSplit: { enabled: true, receiverRatio: 0.67 } });

const apps = () => admin.makeApiClient(k8s.AppsV1Api);
const core = () => admin.makeApiClient(k8s.CoreV1Api);
const deployment = (name: string) => apps().readNamespacedDeployment({ name, namespace: ns });
const gone = (read: () => Promise<unknown>) => async () =>
  read().then(
    () => false,
    (e: any) => e?.code === 404,
  );
const envOf = (d: any) => Object.fromEntries(d.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
/** names of the pods behind a Service, from its EndpointSlices */
const endpointsOf = async (service: string) => {
  const slices = await admin.makeApiClient(k8s.DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=${service}` });
  return slices.items.flatMap(s => (s.endpoints ?? []).filter(e => e.conditions?.ready).map(e => e.targetRef?.name ?? '')).sort();
};
const podsOf = async (selector: string) =>
  (await core().listNamespacedPod({ namespace: ns, labelSelector: selector })).items.filter(p => !p.metadata?.deletionTimestamp);
const readyRoles = async (receivers: number, aggregators: number) => {
  const [r, a] = await Promise.all([deployment('split-oap-receiver'), deployment('split-oap-aggregator')]);
  return r.spec?.replicas === receivers && a.spec?.replicas === aggregators && (r.status?.availableReplicas ?? 0) === receivers && (a.status?.availableReplicas ?? 0) === aggregators;
};

beforeAll(async () => {
  ({ k8s, admin, ns, backends, engine } = await startTestOperator('role-split'));
});

afterAll(async () => {
  await engine?.stop();
});

describe('OAP role split and scheduling on the local control plane', () => {
  it('creates Receiver and Aggregator Deployments by the ratio, Running where the scheduling says, routed by role, Ready', async () => {
    await eventually('backend created', async () => (await backends.create(split(), 'user:default/tester')).applied);
    const detail = await eventually(
      'backend Ready',
      async () => {
        const d = await backends.get(ref());
        return d.phase === 'Ready' ? d : undefined;
      },
      150_000,
    );
    expect(detail.oap).toEqual({ desired: 3, ready: 3, roles: { receivers: 2, aggregators: 1 } });
    expect(detail.conditions.find(c => c.type === 'Ready')).toMatchObject({ status: 'True', message: expect.stringContaining('split-oap-receiver: 2/2, split-oap-aggregator: 1/1') });

    const receiver = await deployment('split-oap-receiver');
    const aggregator = await deployment('split-oap-aggregator');
    expect([receiver.spec!.replicas, aggregator.spec!.replicas]).toEqual([2, 1]);
    expect(envOf(receiver)).toMatchObject({ SW_CORE_ROLE: 'Receiver', SW_CLUSTER: 'kubernetes', SW_CLUSTER_K8S_NAMESPACE: ns });
    expect(envOf(aggregator)).toMatchObject({ SW_CORE_ROLE: 'Aggregator', SW_CLUSTER: 'kubernetes', SW_CLUSTER_K8S_NAMESPACE: ns });
    // one cluster: both coordinators select the Aggregator pods
    expect(envOf(receiver).SW_CLUSTER_K8S_LABEL).toBe(envOf(aggregator).SW_CLUSTER_K8S_LABEL);
    const aggregatorPods = await podsOf(envOf(aggregator).SW_CLUSTER_K8S_LABEL);
    expect(aggregatorPods.map(p => p.metadata!.name)).toEqual([expect.stringMatching(/^split-oap-aggregator-/)]);
    // no Mixed Deployment beside the roles
    expect(await gone(() => deployment('split-oap'))()).toBe(true);

    // scheduling in both roles' pod templates, and the pods where it says (zone-1 is kwok-node-1)
    for (const d of [receiver, aggregator]) {
      const pod = d.spec!.template.spec!;
      expect(pod).toMatchObject({ nodeSelector: oapScheduling.nodeSelector, tolerations: oapScheduling.tolerations, affinity: oapScheduling.affinity });
      expect(pod.containers[0].resources).toEqual(oapScheduling.resources);
    }
    const oapPods = await podsOf('app=oap');
    expect(oapPods).toHaveLength(3);
    for (const p of oapPods) expect([p.status?.phase, p.spec?.nodeName]).toEqual(['Running', 'kwok-node-1']);
    const uiPod = (await podsOf('app=ui'))[0];
    expect([uiPod.status?.phase, uiPod.spec?.nodeName]).toEqual(['Running', 'kwok-node-2']);
    // the API server defaults requests to the limits
    expect(uiPod.spec?.containers[0].resources).toMatchObject({ limits: { cpu: '500m' } });
    const dbPod = (await podsOf('app=banyandb'))[0];
    expect(dbPod.spec).toMatchObject({ nodeSelector: { 'kubernetes.io/os': 'linux' }, tolerations: expect.arrayContaining([{ operator: 'Exists' }]) });

    // gRPC (agents) to the Receivers, queries to the Aggregators
    const receiverPods = (await podsOf('operator.skywalking.apache.org/oap-role=receiver')).map(p => p.metadata!.name!).sort();
    await eventually('gRPC Service selects the Receivers', async () => JSON.stringify(await endpointsOf('split-oap')) === JSON.stringify(receiverPods), 60_000);
    await eventually('query Service selects the Aggregators', async () => JSON.stringify(await endpointsOf('split-oap-query')) === JSON.stringify([aggregatorPods[0].metadata!.name]), 60_000);
    const ui = await deployment('split-ui');
    expect(envOf(ui).SW_OAP_ADDRESS).toBe(`http://split-oap-query.${ns}:12800`);
    const ingress = await admin.makeApiClient(k8s.NetworkingV1Api).readNamespacedIngress({ name: 'split-ui', namespace: ns });
    expect([ingress.spec?.ingressClassName, ingress.spec?.rules?.[0].host]).toEqual(['nginx', 'sw.example.com']);

    // a read gives back everything that was asked for
    const asked = split();
    expect(detail.spec.oap).toMatchObject({ instances: 3, ...oapScheduling, roleSplit: asked.oap!.roleSplit });
    expect(detail.spec.ui).toMatchObject({ nodeSelector: asked.ui!.nodeSelector, resources: asked.ui!.resources, service: { ingress: asked.ui!.ingress } });
    expect(detail.spec.banyandb).toMatchObject({ tolerations: asked.storage!.banyandb!.tolerations, nodeSelector: asked.storage!.banyandb!.nodeSelector });
  });

  it('scales by the ratio, refuses one replica, and pauses and resumes both roles', async () => {
    expect(await backends.scale(ref(), 6, 'user:default/tester')).toEqual({ applied: true, queued: false });
    await eventually('4 Receivers and 2 Aggregators', () => readyRoles(4, 2), 90_000);
    await expect(backends.scale(ref(), 1, 'user:default/tester')).rejects.toThrow(/at least 2 with role split/);

    await backends.pause(ref(), 'user:default/tester');
    await eventually('both roles at zero', async () => (await podsOf('app=oap')).length === 0 && readyRoles(0, 0), 90_000);
    expect((await backends.get(ref())).phase).toBe('Paused');
    await backends.resume(ref(), 'user:default/tester');
    await eventually('both roles back', () => readyRoles(4, 2), 90_000);
    await eventually('Ready after resume', async () => (await backends.get(ref())).phase === 'Ready', 90_000);
  });

  it('switching the role split off leaves one Mixed Deployment and nothing of the roles behind', async () => {
    const mixed = spec({ replicas: 2, ...oapScheduling });
    expect(await backends.update(ref(), mixed, 'user:default/tester')).toEqual({ applied: true, queued: false });
    await eventually('Receiver Deployment gone', gone(() => deployment('split-oap-receiver')), 60_000);
    await eventually('Aggregator Deployment gone', gone(() => deployment('split-oap-aggregator')), 60_000);
    await eventually('query Service gone', gone(() => core().readNamespacedService({ name: 'split-oap-query', namespace: ns })), 60_000);
    await eventually('role pods gone', async () => (await podsOf('operator.skywalking.apache.org/oap-role')).length === 0, 90_000);
    const detail = await eventually(
      'Mixed backend Ready',
      async () => {
        const d = await backends.get(ref());
        return d.phase === 'Ready' && d.oap.ready === 2 ? d : undefined;
      },
      120_000,
    );
    const d = await deployment('split-oap');
    expect(d.spec!.replicas).toBe(2);
    expect(envOf(d).SW_CORE_ROLE).toBeUndefined();
    expect(envOf(d).SW_CLUSTER_K8S_LABEL).toBe('app=oap,operator.skywalking.apache.org/oap-server-name=split');
    expect(d.spec!.template.spec!.nodeSelector).toEqual(oapScheduling.nodeSelector);
    expect(envOf(await deployment('split-ui')).SW_OAP_ADDRESS).toBe(`http://split-oap.${ns}:12800`);
    // the split is no longer recorded; scheduling still is
    expect(detail.spec.oap).not.toHaveProperty('roleSplit');
    expect(detail.spec.oap).toMatchObject({ nodeSelector: oapScheduling.nodeSelector });
    await eventually('gRPC Service selects the Mixed pods', async () => (await endpointsOf('split-oap')).length === 2, 60_000);
  });

  it('removing the UI ingress from the spec deletes the Ingress the engine rendered', async () => {
    const networking = admin.makeApiClient(k8s.NetworkingV1Api);
    await networking.readNamespacedIngress({ name: 'split-ui', namespace: ns }); // still there from the create
    const { ingress: _dropped, ...uiWithoutIngress } = spec({ replicas: 2 }).ui!;
    expect(
      await backends.update(ref(), { ...spec({ replicas: 2, ...oapScheduling }), ui: uiWithoutIngress }, 'user:default/tester'),
    ).toEqual({ applied: true, queued: false });
    await eventually('UI Ingress pruned', gone(() => networking.readNamespacedIngress({ name: 'split-ui', namespace: ns })), 60_000);
  });
});
