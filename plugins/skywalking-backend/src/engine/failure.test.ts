import { randomBytes } from 'node:crypto';
import { eventually, LocalCluster, startLocalCluster } from '@internal/local-cluster';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { K8s, loadK8s } from '../clusters/k8s';
import { BackendService } from '../service/BackendService';
import { MemoryOutbox } from '../service/testOutbox';
import { ReconcileRecord } from './ClusterEngine';
import { OperatorEngine } from './OperatorEngine';
import { newTestEngine, TEST_LEASE_SECONDS, TEST_RENEW_MS } from '../__testUtils__/testOperator';

/*
 * Failure tests of the reconcile engine on a real control plane: children and
 * pods deleted, the API server killed and started again, the leading engine
 * crashing, pods failing readiness, a node disappearing.
 *
 * This file starts a control plane of its own (never the run's shared one,
 * even when SWB_TEST_KUBECONFIG is set): it kills the API server and deletes
 * a node. What OperatorEngine.test.ts already proves on the shared cluster is
 * not repeated: restoring a deleted UI Deployment, OAP Service and dynamic
 * config ConfigMap, leader handover on stop and the Lease-expiry takeover
 * timing, and the outbox behind a closed TCP tunnel.
 *
 * Engine fixes these tests found: a recreated Deployment was reported Ready
 * before minReadySeconds (the API omits a zero availableReplicas; computeStatus
 * fell back to readyReplicas); pods failing readiness gave only Ready=False, now
 * also Degraded=ReplicasUnavailable with its Warning Event; failed watches
 * retried every 0.5 s for a whole outage and, once backed off, waited it out
 * after the API server was back.
 *
 * Timings: Lease 3 s renewed every 0.5 s. The node test waits for
 * kube-controller-manager's pod GC, which deletes pods bound to a node that no
 * longer exists only after its fixed, not configurable, 40 s quarantine and
 * runs every 20 s (k8s.io/kubernetes pkg/controller/podgc: quarantineTime,
 * gcCheckPeriod): 40–80 s before the ReplicaSet can replace them.
 */

jest.setTimeout(120_000);

const logger: any = { info: () => {}, warn: () => {}, debug: () => {}, error: () => {}, child: () => logger };
const GROUP = 'operator.skywalking.apache.org';
const CLUSTER = 'local';
const LEASE_SECONDS = TEST_LEASE_SECONDS;
const RENEW_MS = TEST_RENEW_MS;
/** how long the API server stays down */
const OUTAGE_MS = 8000;
const ACTOR = 'user:default/tester';
const FAIL_READINESS = 'skywalking-backstage.io/fail-readiness';
const OAP_PODS = 'app=oap,operator.skywalking.apache.org/oap-server-name=demo';

let cluster: LocalCluster;
let k8s: typeof K8s;
let admin: K8s.KubeConfig;
let ns: string;
let registry: ClusterRegistry;
let outbox: MemoryOutbox;
let backends: BackendService;
const engines: OperatorEngine[] = [];
/** the engine expected to lead */
let leader: OperatorEngine;
const reconciles: (ReconcileRecord & { by: string })[] = [];

function newEngine(identity: string) {
  const e = newTestEngine({ registry, ns, identity, logger, drainOutbox: c => backends.drainOutbox(c) });
  e.onReconcile(r => reconciles.push({ ...r, by: identity }));
  engines.push(e);
  return e;
}

const ref = () => ({ cluster: CLUSTER, namespace: ns, name: 'demo' });
const apps = () => admin.makeApiClient(k8s.AppsV1Api);
const core = () => admin.makeApiClient(k8s.CoreV1Api);
const custom = () => admin.makeApiClient(k8s.CustomObjectsApi);
const readOap = () => custom().getNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural: 'oapservers', name: 'demo' }) as Promise<any>;
const condition = (o: any, type: string) => (o.status?.conditions ?? []).find((c: any) => c.type === type);
const isReady = (p: K8s.V1Pod) => p.status?.phase === 'Running' && Boolean(p.status.conditions?.some(c => c.type === 'Ready' && c.status === 'True'));
const oapPods = async () => (await core().listNamespacedPod({ namespace: ns, labelSelector: OAP_PODS })).items.filter(p => !p.metadata?.deletionTimestamp);
/** events.k8s.io Events the engine recorded on the OAPServer */
const oapEvents = async () =>
  (await admin.makeApiClient(k8s.EventsV1Api).listNamespacedEvent({ namespace: ns })).items.filter(e => e.regarding?.kind === 'OAPServer' && e.regarding.name === 'demo');
/** The backend is Ready with `oap` OAP replicas, every pod Running and Ready. */
const backendReady = async (oap: number) => {
  const d = await backends.get(ref());
  return d.phase === 'Ready' && d.oap.desired === oap && d.oap.ready === oap && d.pods.length === oap + 2 && d.pods.every(p => p.phase === 'Running' && p.ready) ? d : undefined;
};
/** What the engine renders and must restore: the parts of a child that are not the API server's bookkeeping. */
const rendered = (o: any) => {
  const { clusterIP: _ip, clusterIPs: _ips, ...spec } = o.spec ?? {};
  return { labels: o.metadata.labels, ownerReferences: o.metadata.ownerReferences, spec, data: o.data };
};
const appliedByEngine = (o: any) => (o.metadata.managedFields ?? []).some((m: any) => m.manager === 'skywalking-backstage' && m.operation === 'Apply');

beforeAll(async () => {
  cluster = await startLocalCluster({ nodes: 3 });
  k8s = await loadK8s();
  admin = new k8s.KubeConfig();
  admin.loadFromString(cluster.kubeconfig);
  ns = `failure-${randomBytes(3).toString('hex')}`;
  await core().createNamespace({ body: { metadata: { name: ns } } });
  registry = await ClusterRegistry.fromDefinitions([{ name: CLUSTER, kubeconfig: cluster.kubeconfig }], logger);
  outbox = new MemoryOutbox();
  leader = newEngine('engine-a');
  backends = new BackendService({ clusters: registry, outbox, logger, operatorState: c => leader.state(c) });
  await leader.start(); // installs the SWCK CRDs
  await eventually('engine-a leads', async () => leader.isLeader(CLUSTER), 30_000);
  // the CRDs become servable a moment after they are created
  await eventually('backend created', async () =>
    (await backends.create({ name: 'demo', namespace: ns, cluster: CLUSTER, version: '10.2.0', oap: { replicas: 2 } }, ACTOR)).applied,
  );
  await custom().createNamespacedCustomObject({
    group: GROUP,
    version: 'v1alpha1',
    namespace: ns,
    plural: 'oapserverdynamicconfigs',
    body: {
      apiVersion: `${GROUP}/v1alpha1`,
      kind: 'OAPServerDynamicConfig',
      metadata: { name: 'demo-dynamic', namespace: ns },
      spec: { version: '10.2.0', labelSelector: 'app=collector,release=sky', data: [{ name: 'agent-analyzer.default.slowDBAccessThreshold', value: 'default:200' }] },
    },
  });
  await eventually('backend Ready', () => backendReady(2), 90_000);
}, 180_000);

// a test that fails while the API server is down must not take the next tests with it
afterEach(async () => {
  if (cluster && !cluster.pids['kube-apiserver']) await cluster.startComponent('kube-apiserver');
});

afterAll(async () => {
  for (const e of engines) await e.stop().catch(() => undefined);
  await cluster?.stop();
}, 60_000);

describe('reconcile engine failures on a local control plane of its own', () => {
  it('deleted OAP pods are replaced through the ReplicaSet and the backend is Ready again', async () => {
    const before = await oapPods();
    expect(before).toHaveLength(2);
    await Promise.all(before.map(p => core().deleteNamespacedPod({ name: p.metadata!.name!, namespace: ns, gracePeriodSeconds: 0 })));
    const old = new Set(before.map(p => p.metadata!.uid));
    const replaced = await eventually('two new Ready OAP pods', async () => {
      const pods = await oapPods();
      return pods.length === 2 && pods.every(p => !old.has(p.metadata!.uid) && isReady(p)) ? pods : undefined;
    }, 60_000);
    // the same ReplicaSet made them: the Deployment was not touched
    expect(new Set(replaced.map(p => p.metadata?.ownerReferences?.[0]?.uid))).toEqual(new Set(before.map(p => p.metadata?.ownerReferences?.[0]?.uid)));
    await eventually('backend Ready', () => backendReady(2), 60_000);
  });

  it('a deleted OAP Deployment, OAP Service and dynamic-config ConfigMap are recreated with the same spec and owner, and the backend is Ready again', async () => {
    const read = {
      deployment: () => apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns }),
      service: () => core().readNamespacedService({ name: 'demo-oap', namespace: ns }),
      configMap: () => core().readNamespacedConfigMap({ name: 'demo-dynamic', namespace: ns }),
    };
    const before = { deployment: await read.deployment(), service: await read.service(), configMap: await read.configMap() };
    expect(before.deployment.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'OAPServer', name: 'demo', controller: true })]);
    expect(before.configMap.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'OAPServerDynamicConfig', name: 'demo-dynamic', controller: true })]);

    await apps().deleteNamespacedDeployment({ name: 'demo-oap', namespace: ns });
    await core().deleteNamespacedService({ name: 'demo-oap', namespace: ns });
    await core().deleteNamespacedConfigMap({ name: 'demo-dynamic', namespace: ns });

    const after = await eventually('children recreated', async () => {
      const [deployment, service, configMap] = await Promise.all([read.deployment(), read.service(), read.configMap()]);
      const fresh = [deployment, service, configMap].every((o, i) => o.metadata?.uid !== Object.values(before)[i].metadata?.uid);
      return fresh ? { deployment, service, configMap } : undefined;
    }, 60_000);
    for (const k of ['deployment', 'service', 'configMap'] as const) {
      expect(rendered(after[k])).toEqual(rendered(before[k]));
      expect(appliedByEngine(after[k])).toBe(true);
    }
    // the repair is reported on the custom object
    await eventually('Applied Event naming the recreated Deployment', async () =>
      (await oapEvents()).some(e => e.reason === 'Applied' && /created Deployment demo-oap/.test(e.note ?? '')),
    );
    await eventually('backend Ready', () => backendReady(2), 60_000);
    expect((await read.deployment()).status?.availableReplicas).toBe(2);
  });

  it('a change made while the API server is down is queued, and applied once it runs again; the engine watches again and converges', async () => {
    // every watch request the engine's informers make, by path
    const watches: { path: string; at: number }[] = [];
    const original = k8s.Watch.prototype.watch;
    const watch = jest.spyOn(k8s.Watch.prototype, 'watch').mockImplementation(function record(this: K8s.Watch, path, ...rest) {
      watches.push({ path, at: Date.now() });
      return original.call(this, path, ...rest);
    });
    const killed = Date.now();
    await cluster.killComponent('kube-apiserver');
    const result = await backends.scale(ref(), 3, ACTOR);
    expect(result).toMatchObject({ applied: false, queued: true });
    // refused, or reset when the kill lands mid-connection
    expect(result.message).toMatch(/ECONNREFUSED|ECONNRESET/);
    expect(await outbox.pending(CLUSTER)).toHaveLength(1);
    // the engine notices: it cannot renew its Lease and steps down
    await eventually('engine-a steps down', async () => !leader.isLeader(CLUSTER), 10_000, 100);
    expect(registry.health(CLUSTER).reachable).toBe(false);
    await new Promise(r => setTimeout(r, killed + OUTAGE_MS - Date.now()));

    const restarted = Date.now();
    await cluster.startComponent('kube-apiserver');
    const up = Date.now();
    await eventually('outbox drained', async () => (await outbox.pending(CLUSTER)).length === 0, 30_000);
    expect(outbox.entries.map(e => [e.op.operation, e.op.payload.args[1], e.done])).toEqual([['scale', 3, true]]);
    await eventually('engine-a leads again', async () => leader.isLeader(CLUSTER), 30_000);
    watch.mockRestore();
    // the failed watches backed off (retries after 0.5, 1, 2, 4 s: five attempts in the 8 s, not one
    // every 0.5 s), and were restarted as soon as the cluster answered again, not after their
    // backoff (the next retry was due 15.5 s after the kill)
    const paths = [...new Set(watches.map(w => w.path))];
    expect(paths.length).toBeGreaterThanOrEqual(14); // the seven SWCK kinds and the seven child kinds
    for (const path of paths) {
      const attempts = watches.filter(w => w.path === path).map(w => w.at);
      expect(attempts.filter(at => at < restarted).length).toBeLessThanOrEqual(7);
      expect(attempts.some(at => at >= restarted && at <= up + 4000)).toBe(true);
    }
    // the engine saw the queued change through its re-established watch and scaled the Deployment
    await eventually('3 OAP replicas', async () => (await apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns })).spec?.replicas === 3, 60_000);
    // the third pod waits for kube-controller-manager, the scheduler and KWOK to reconnect
    // (client-go's own backoff): 15-30 s after the restart here
    await eventually('backend Ready with 3 OAP replicas', () => backendReady(3), 90_000);
    // and its child watches work again: a deletion is repaired
    const uid = (await core().readNamespacedService({ name: 'demo-oap', namespace: ns })).metadata!.uid;
    await core().deleteNamespacedService({ name: 'demo-oap', namespace: ns });
    await eventually('Service restored after the restart', async () => (await core().readNamespacedService({ name: 'demo-oap', namespace: ns })).metadata!.uid !== uid, 30_000);
  }, 180_000);

  it('when the leading engine crashes (Lease not released) the other takes over within the Lease time and repairs a deleted child', async () => {
    const second = newEngine('engine-b');
    await second.start();
    await eventually('engine-b running, not leading', async () => second.state(CLUSTER).reconciling, 30_000);
    expect([leader.isLeader(CLUSTER), second.isLeader(CLUSTER)]).toEqual([true, false]);

    const t0 = Date.now();
    await leader.stop({ releaseLease: false });
    const lease = await admin.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name: 'skywalking-backstage-operator', namespace: ns });
    expect(lease.spec?.holderIdentity).toBe('engine-a'); // a crash leaves the Lease held
    await eventually('engine-b leads', async () => second.isLeader(CLUSTER), 20_000, 50);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThan(LEASE_SECONDS * 1000 - 2 * RENEW_MS);
    expect(took).toBeLessThan(LEASE_SECONDS * 1000 + 2000);
    leader = second;
    expect((await admin.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name: 'skywalking-backstage-operator', namespace: ns })).spec?.holderIdentity).toBe('engine-b');

    const uid = (await apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns })).metadata!.uid;
    await apps().deleteNamespacedDeployment({ name: 'demo-oap', namespace: ns });
    await eventually('restored by engine-b', async () => (await apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns })).metadata!.uid !== uid, 30_000);
    const repair = (await admin.makeApiClient(k8s.EventsV1Api).listNamespacedEvent({ namespace: ns })).items.find(
      e => e.reason === 'Applied' && /created Deployment demo-oap/.test(e.note ?? '') && new Date(e.eventTime as any).getTime() >= t0,
    );
    expect(repair?.reportingInstance).toBe('engine-b');
    expect(reconciles.filter(r => r.key === `OAPServer/${ns}/demo` && r.writes > 0 && r.by === 'engine-b').length).toBeGreaterThan(0);
    await eventually('backend Ready', () => backendReady(3), 60_000);
  });

  it('OAP pods failing readiness make the OAPServer Degraded with a Warning Event, and Ready again when they recover', async () => {
    // KWOK's fault stage (tools/local-cluster/kwok-stages-faults.yaml) turns labelled pods not Ready, as a failing probe
    const label = async (value: string | null) => {
      for (const p of await oapPods()) {
        await core().patchNamespacedPod(
          { name: p.metadata!.name!, namespace: ns, body: { metadata: { labels: { [FAIL_READINESS]: value } } } },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        );
      }
    };
    const t0 = Date.now();
    await label('true');
    const degraded = await eventually('OAPServer Degraded', async () => {
      const o = await readOap();
      return condition(o, 'Degraded')?.status === 'True' ? o : undefined;
    }, 30_000);
    expect(condition(degraded, 'Degraded')).toMatchObject({ reason: 'ReplicasUnavailable' });
    expect(condition(degraded, 'Ready')).toMatchObject({ status: 'False', reason: 'ReplicasNotReady' });
    expect((await backends.get(ref())).phase).toBe('Degraded');
    const warnings = await eventually('Warning Events on the OAPServer', async () => {
      const evs = (await oapEvents()).filter(e => e.type === 'Warning' && new Date(e.eventTime as any).getTime() >= t0 - 1000);
      return evs.some(e => e.reason === 'ReplicasUnavailable') && evs.some(e => e.reason === 'NotReady') ? evs : undefined;
    });
    expect(warnings.find(e => e.reason === 'ReplicasUnavailable')?.note).toMatch(/3 replicas/);

    await label(null);
    await eventually('backend Ready again', () => backendReady(3), 60_000);
    const o = await readOap();
    expect(condition(o, 'Degraded')).toMatchObject({ status: 'False' });
    expect(condition(o, 'Ready')).toMatchObject({ status: 'True', reason: 'AllReplicasReady' });
  });

  it('when a node disappears its pods are garbage-collected and rescheduled on the remaining nodes, and the backend is Ready again', async () => {
    const pods = await oapPods();
    const node = pods[0].spec!.nodeName!;
    const onNode = (await core().listNamespacedPod({ namespace: ns })).items.filter(p => p.spec?.nodeName === node).map(p => p.metadata!.uid);
    expect(onNode.length).toBeGreaterThan(0);
    await core().deleteNode({ name: node });
    const d = await eventually('backend Ready on the remaining nodes', async () => {
      const all = (await core().listNamespacedPod({ namespace: ns })).items;
      if (all.some(p => p.spec?.nodeName === node || onNode.includes(p.metadata!.uid))) return undefined;
      return backendReady(3);
    }, 150_000, 1000);
    expect(d.pods.every(p => p.node && p.node !== node)).toBe(true);
    expect((await core().listNode()).items.map(n => n.metadata!.name)).not.toContain(node);
  }, 180_000);
});
