import { createTestNamespace, eventually, getSharedTestCluster } from '@internal/local-cluster';
import { loadK8s, K8s } from '../clusters/k8s';
import { ensureSwckCrds } from '../clusters/crds';
import { ClusterOperator } from './ClusterOperator';
import { injectWorkload } from '@skywalking-backstage/plugin-skywalking-common';

jest.setTimeout(180_000);

const logger: any = { info: () => {}, warn: () => {}, debug: () => {}, error: () => {}, child: () => logger };
const GROUP = 'operator.skywalking.apache.org';

let k8s: typeof K8s;
let kc: K8s.KubeConfig;
let ns: string;
let op: ClusterOperator;

const cr = (kind: string, name: string, spec: any) => ({
  apiVersion: `${GROUP}/v1alpha1`,
  kind,
  metadata: { name, namespace: ns },
  spec,
});

beforeAll(async () => {
  const cluster = await getSharedTestCluster();
  k8s = await loadK8s();
  kc = new k8s.KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  await ensureSwckCrds(kc);
  ns = await createTestNamespace('operator');
  // its own Lease per test file, so parallel test files do not compete
  op = new ClusterOperator({ cluster: 'local', kc, logger, leaseNamespace: ns, renewIntervalMs: 500, leaseDurationSeconds: 3 });
  await op.start();
  await eventually('leadership', async () => op.isLeader(), 20_000);
});

afterAll(() => op?.stop());

const apps = () => kc.makeApiClient(k8s.AppsV1Api);
const custom = () => kc.makeApiClient(k8s.CustomObjectsApi);
const readOap = (name: string) => custom().getNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural: 'oapservers', name }) as Promise<any>;

describe('ClusterOperator on the local control plane', () => {
  it('provisions OAP, UI and BanyanDB with owner references, Running pods and a Ready status', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    await objects.create(cr('BanyanDB', 'demo', { version: '0.8.0', counts: 1, image: 'apache/skywalking-banyandb:0.8.0' }) as any);
    await objects.create(cr('OAPServer', 'demo', { version: '10.2.0', instances: 2, config: [{ name: 'SW_STORAGE', value: 'banyandb' }] }) as any);
    await objects.create(cr('UI', 'demo', { version: '10.2.0', instances: 1 }) as any);

    const oap = await eventually('OAPServer Ready', async () => {
      const o = await readOap('demo');
      return o.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True' ? o : undefined;
    }, 90_000);
    expect(oap.status.availableReplicas).toBe(2);
    expect(oap.status.address).toBe(`demo-oap.${ns}`);
    const d = await apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns });
    expect(d.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'OAPServer', name: 'demo', controller: true });
    const sts = await apps().readNamespacedStatefulSet({ name: 'demo-banyandb', namespace: ns });
    expect(sts.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'BanyanDB', name: 'demo' });
    const pods = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/part-of=demo' });
    expect(pods.items.filter(p => p.status?.phase === 'Running')).toHaveLength(4); // 2 OAP, 1 UI, 1 BanyanDB
    const events = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedEvent({ namespace: ns });
    expect(events.items.some(e => e.involvedObject.kind === 'OAPServer' && e.reason === 'AllReplicasReady')).toBe(true);
  });

  it('makes no API writes in steady state', async () => {
    await op.idle();
    const before = op.writes;
    // wake every reconciler: a resync must find nothing to change
    (op as any).resyncAll();
    await op.idle();
    expect(op.writes - before).toBe(0);
  });

  it('restores a deleted Deployment and Service', async () => {
    await apps().deleteNamespacedDeployment({ name: 'demo-ui', namespace: ns });
    await kc.makeApiClient(k8s.CoreV1Api).deleteNamespacedService({ name: 'demo-oap', namespace: ns });
    await eventually('restored', async () => {
      const d = await apps().readNamespacedDeployment({ name: 'demo-ui', namespace: ns });
      const s = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedService({ name: 'demo-oap', namespace: ns });
      return d.metadata?.uid && s.spec?.ports?.some(p => p.port === 11800);
    }, 60_000);
  });

  it('reverts drift in a managed field and scales with the CR', async () => {
    await apps().patchNamespacedDeployment(
      { name: 'demo-oap', namespace: ns, body: [{ op: 'replace', path: '/spec/replicas', value: 5 }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    await eventually('drift reverted', async () => (await apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns })).spec?.replicas === 2);
    await custom().patchNamespacedCustomObject(
      { group: GROUP, version: 'v1alpha1', namespace: ns, plural: 'oapservers', name: 'demo', body: { spec: { instances: 3 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually('scaled to 3 and Ready', async () => {
      const o = await readOap('demo');
      return o.status?.availableReplicas === 3 && o.status.conditions.find((c: any) => c.type === 'Ready').status === 'True';
    }, 60_000);
  });

  it('records injected pods in a SWCK JavaAgent per pod selector with expected and injected counts', async () => {
    const base = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'orders', namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'orders' } },
        template: {
          metadata: {
            labels: { app: 'orders', 'swck-java-agent-injected': 'true' },
            annotations: { 'agent.skywalking.apache.org/agent.service_name': 'orders', 'agent.skywalking.apache.org/collector.backend_service': 'demo-oap.sw:11800' },
          },
          spec: { containers: [{ name: 'app', image: 'eclipse-temurin:21-jre' }] },
        },
      },
    };
    const { object } = injectWorkload(base, { force: true });
    await apps().createNamespacedDeployment({ namespace: ns, body: object as any });
    const agent: any = await eventually('JavaAgent with 2/2 injected', async () => {
      const a: any = await custom().getNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural: 'javaagents', name: 'app-orders-javaagent' });
      return a.status?.realInjectedNum === 2 ? a : undefined;
    }, 60_000);
    expect(agent.spec).toMatchObject({ podSelector: 'app=orders', serviceName: 'orders', backendService: 'demo-oap.sw:11800' });
    expect(agent.status.expectedInjectiedNum).toBe(2);
    expect(agent.metadata.ownerReferences[0].kind).toBe('ReplicaSet');
  });

  it('hands over to a second operator within the Lease time when the leader stops', async () => {
    const second = new ClusterOperator({ cluster: 'local', kc, logger, leaseNamespace: ns, renewIntervalMs: 500, leaseDurationSeconds: 3 });
    await second.start();
    try {
      await new Promise(r => setTimeout(r, 1500));
      expect([op.isLeader(), second.isLeader()]).toEqual([true, false]);
      await op.elector.stop(false); // dies without releasing: the Lease must expire
      const t0 = Date.now();
      await eventually('takeover', async () => second.isLeader(), 15_000, 100);
      expect(Date.now() - t0).toBeLessThan(3000 + 2 * 500 + 1500);
      // the new leader reconciles: a deleted child comes back
      await apps().deleteNamespacedDeployment({ name: 'demo-ui', namespace: ns });
      await eventually('restored by the new leader', async () => (await apps().readNamespacedDeployment({ name: 'demo-ui', namespace: ns })).metadata?.uid);
    } finally {
      await second.stop();
    }
  });


  it('leaves garbage collection of everything to owner references when the CR is deleted', async () => {
    await custom().deleteNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural: 'oapservers', name: 'demo' });
    await eventually('collected', async () => {
      const ds = await apps().listNamespacedDeployment({ namespace: ns, labelSelector: 'app=oap' });
      const pods = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: ns, labelSelector: 'app=oap' });
      return ds.items.length === 0 && pods.items.length === 0;
    }, 60_000);
  });
});
