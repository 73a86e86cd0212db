/*
 * Satellite for gRPC load balancing, when a backend asks for it, on the
 * real local control plane with the reconcile engine running.
 */
import { eventually } from '@internal/local-cluster';
import { K8s } from '../clusters/k8s';
import { OperatorEngine } from '../engine/OperatorEngine';
import { BackendService } from './BackendService';
import { startTestOperator } from '../__testUtils__/testOperator';

jest.setTimeout(180_000);

const CLUSTER = 'local';
let k8s: typeof K8s;
let admin: K8s.KubeConfig;
let ns: string;
let backends: BackendService;
let engine: OperatorEngine;

const ref = () => ({ cluster: CLUSTER, namespace: ns, name: 'sat' });
const spec = (satellite: { enabled: boolean; replicas?: number }, roleSplit?: { enabled: boolean }) => ({
  name: 'sat',
  namespace: ns,
  cluster: CLUSTER,
  version: '10.2.0',
  ui: { enabled: false },
  oap: { replicas: 2, ...(roleSplit ? { roleSplit } : {}) },
  satellite,
});
const apps = () => admin.makeApiClient(k8s.AppsV1Api);
const gone = (read: () => Promise<unknown>) => async () =>
  read().then(
    () => false,
    (e: any) => e?.code === 404,
  );

beforeAll(async () => {
  ({ k8s, admin, ns, backends, engine } = await startTestOperator('satellite'));
});

afterAll(async () => {
  await engine?.stop();
});

describe('Satellite of a backend on the local control plane', () => {
  it('a backend asking for Satellite gets a Satellite balancing over its OAP pods, and agents are pointed at it', async () => {
    expect(await backends.create(spec({ enabled: true, replicas: 2 }), 'user:default/tester')).toEqual({ applied: true, queued: false });
    const deployment = await eventually('Satellite Deployment with 2 ready pods', async () => {
      const d = await apps().readNamespacedDeployment({ name: 'sat-satellite', namespace: ns }).catch(() => undefined);
      return d && (d.status?.readyReplicas ?? 0) === 2 ? d : undefined;
    }, 90_000);
    const env = Object.fromEntries((deployment.spec!.template.spec!.containers[0].env ?? []).map(e => [e.name, e.value]));
    // Satellite finds the OAP pods through the Kubernetes API and balances gRPC over them
    expect(env.SATELLITE_GRPC_CLIENT_FINDER).toBe('kubernetes');
    expect(env.SATELLITE_GRPC_CLIENT_KUBERNETES_SELECTOR_LABEL).toBe('app=oap,operator.skywalking.apache.org/oap-server-name=sat');
    expect(deployment.spec!.template.spec!.containers[0].image).toBe('apache/skywalking-satellite:v1.3.0');
    await admin.makeApiClient(k8s.CoreV1Api).readNamespacedService({ name: 'sat-satellite', namespace: ns });
    expect(await backends.collectorAddress(ref())).toBe(`sat-satellite.${ns}:11800`);
    const detail = await backends.get(ref());
    expect(detail.spec.satellite).toEqual({ enabled: true, replicas: 2, version: '1.3.0' });
  });

  it('switching Satellite off removes it and points agents back at OAP', async () => {
    expect(await backends.update(ref(), spec({ enabled: false }), 'user:default/tester')).toEqual({ applied: true, queued: false });
    await eventually('Satellite Deployment gone', gone(() => apps().readNamespacedDeployment({ name: 'sat-satellite', namespace: ns })), 60_000);
    expect(await backends.collectorAddress(ref())).toBe(`sat-oap.${ns}:11800`);
    expect((await backends.get(ref())).spec.satellite).toEqual({ enabled: false });
  });

  it('with the OAP role split on, Satellite balances over the Receivers only (as agents reach them); split off, over every OAP pod again', async () => {
    const mixed = 'app=oap,operator.skywalking.apache.org/oap-server-name=sat';
    const receivers = `${mixed},operator.skywalking.apache.org/oap-role=receiver`;
    const selectorLabel = async () => {
      const d = await apps().readNamespacedDeployment({ name: 'sat-satellite', namespace: ns }).catch(() => undefined);
      return d?.spec?.template.spec?.containers[0].env?.find(e => e.name === 'SATELLITE_GRPC_CLIENT_KUBERNETES_SELECTOR_LABEL')?.value;
    };
    expect(await backends.update(ref(), spec({ enabled: true }), 'user:default/tester')).toEqual({ applied: true, queued: false });
    await eventually('Satellite selecting every OAP pod', async () => (await selectorLabel()) === mixed, 60_000);
    // the Satellite custom object stays the same: only the OAPServer's recorded split changes, and that wakes the Satellite
    expect(await backends.update(ref(), spec({ enabled: true }, { enabled: true }), 'user:default/tester')).toEqual({ applied: true, queued: false });
    await eventually('Satellite selecting the Receivers', async () => (await selectorLabel()) === receivers, 60_000);
    // the selector finds the Receiver pods and no Aggregator
    const core = admin.makeApiClient(k8s.CoreV1Api);
    const selected = await eventually(
      'Receiver pod selected',
      async () => {
        const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: receivers })).items.filter(p => !p.metadata?.deletionTimestamp);
        return pods.length === 1 ? pods : undefined;
      },
      60_000,
    );
    expect(selected.map(p => p.metadata!.name)).toEqual([expect.stringMatching(/^sat-oap-receiver-/)]);

    expect(await backends.update(ref(), spec({ enabled: true }), 'user:default/tester')).toEqual({ applied: true, queued: false });
    await eventually('Satellite selecting every OAP pod again', async () => (await selectorLabel()) === mixed, 60_000);
  });
});
