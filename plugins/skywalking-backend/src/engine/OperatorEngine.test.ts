import net from 'node:net';
import { createTestNamespace, eventually, getSharedTestCluster } from '@internal/local-cluster';
import YAML from 'yaml';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { K8s, loadK8s } from '../clusters/k8s';
import { BackendService } from '../service/BackendService';
import { MemoryOutbox } from '../service/testOutbox';
import { ReconcileRecord } from './ClusterEngine';
import { OperatorEngine } from './OperatorEngine';
import { newTestEngine, TEST_LEASE_SECONDS, TEST_RENEW_MS } from '../__testUtils__/testOperator';

jest.setTimeout(240_000);

const logger: any = { info: () => {}, warn: () => {}, debug: () => {}, error: () => {}, child: () => logger };
const GROUP = 'operator.skywalking.apache.org';
const CLUSTER = 'local';
const LEASE_SECONDS = TEST_LEASE_SECONDS;
const RENEW_MS = TEST_RENEW_MS;

/** A loopback TCP proxy in front of the API server that the test can close and reopen on the same port. */
class Tunnel {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open() {
    this.server = net.createServer(client => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>(resolve => this.server!.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async close() {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>(resolve => (s ? s.close(() => resolve()) : resolve()));
  }
}

let k8s: typeof K8s;
let admin: K8s.KubeConfig;
let ns: string;
let tunnel: Tunnel;
let registry: ClusterRegistry;
let outbox: MemoryOutbox;
let backends: BackendService;
const engines: OperatorEngine[] = [];
let engine: OperatorEngine;
const reconciles: ReconcileRecord[] = [];
/** write requests (not GET/watch, not Lease renewals) the engines' and the service's clients sent */
const writes: string[] = [];

function newEngine(identity: string) {
  const e = newTestEngine({ registry, ns, identity, logger, drainOutbox: c => backends.drainOutbox(c) });
  e.onReconcile(r => reconciles.push(r));
  engines.push(e);
  return e;
}

const ref = () => ({ cluster: CLUSTER, namespace: ns, name: 'demo' });
const apps = () => admin.makeApiClient(k8s.AppsV1Api);
const core = () => admin.makeApiClient(k8s.CoreV1Api);
const custom = () => admin.makeApiClient(k8s.CustomObjectsApi);

beforeAll(async () => {
  const cluster = await getSharedTestCluster();
  k8s = await loadK8s();
  admin = new k8s.KubeConfig();
  admin.loadFromString(cluster.kubeconfig);
  ns = await createTestNamespace('engine');
  const url = new URL(cluster.server);
  tunnel = new Tunnel({ host: url.hostname, port: Number(url.port) });
  await tunnel.open();
  const doc = YAML.parse(cluster.kubeconfig);
  doc.clusters[0].cluster.server = `https://127.0.0.1:${tunnel.port}`;
  registry = await ClusterRegistry.fromDefinitions([{ name: CLUSTER, kubeconfig: YAML.stringify(doc) }], logger);
  // count requests where every generated client authenticates them
  const kc: any = registry.kubeConfig(CLUSTER);
  const authenticate = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (ctx: any) => {
    const method = String(ctx.getHttpMethod());
    if (method !== 'GET' && !/\/leases/.test(ctx.getUrl())) writes.push(`${method} ${ctx.getUrl()}`);
    return authenticate(ctx);
  };
  outbox = new MemoryOutbox();
  engine = newEngine('engine-a');
  backends = new BackendService({ clusters: registry, outbox, logger, operatorState: c => engine.state(c) });
  await engine.start();
  await eventually('engine-a leads', async () => engine.isLeader(CLUSTER), 30_000);
});

afterAll(async () => {
  for (const e of engines) await e.stop();
  await tunnel?.close();
});

const readOap = (name = 'demo') => custom().getNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural: 'oapservers', name }) as Promise<any>;

describe('OperatorEngine and BackendService on the local control plane', () => {
  it('creating a backend yields SWCK custom objects, owned children, Running pods and a Ready status', async () => {
    const result = await backends.create(
      { name: 'demo', namespace: ns, cluster: CLUSTER, version: '10.2.0', oap: { replicas: 2 }, owner: 'group:default/team-a' },
      'user:default/tester',
    );
    expect(result).toEqual({ applied: true, queued: false });
    const detail = await eventually('backend Ready', async () => {
      const d = await backends.get(ref());
      return d.phase === 'Ready' ? d : undefined;
    }, 120_000);
    expect(detail.oap).toEqual({ desired: 2, ready: 2 });
    expect(detail.ui).toEqual({ desired: 1, ready: 1 });
    expect(detail.storage).toBe('banyandb');
    expect(detail.owner).toBe('group:default/team-a');
    expect(detail.conditions.find(c => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'AllReplicasReady' });
    expect(detail.pods.filter(p => p.phase === 'Running' && p.ready)).toHaveLength(4); // 2 OAP, 1 UI, 1 BanyanDB

    const oap = await readOap();
    expect(oap.status).toMatchObject({ availableReplicas: 2, address: `demo-oap.${ns}` });
    for (const [read, owner] of [
      [() => apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns }), 'OAPServer'],
      [() => core().readNamespacedService({ name: 'demo-oap', namespace: ns }), 'OAPServer'],
      [() => apps().readNamespacedDeployment({ name: 'demo-ui', namespace: ns }), 'UI'],
      [() => apps().readNamespacedStatefulSet({ name: 'demo-banyandb', namespace: ns }), 'BanyanDB'],
    ] as const) {
      const o: any = await read();
      expect(o.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: owner, name: 'demo', controller: true, blockOwnerDeletion: true })]);
      expect(o.metadata.managedFields.some((m: any) => m.manager === 'skywalking-backstage' && m.operation === 'Apply')).toBe(true);
    }
    await eventually('Ready Event of the OAPServer', async () => (await backends.get(ref())).events.some(e => e.object === 'OAPServer/demo' && e.reason === 'Ready'));
  });

  it('restores a deleted child Deployment, Service and ConfigMap', async () => {
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
    const cm = await eventually('dynamic config ConfigMap', async () => core().readNamespacedConfigMap({ name: 'demo-dynamic', namespace: ns }));
    expect(cm.metadata?.labels).toMatchObject({ app: 'collector', release: 'sky', version: '10.2.0', OAPServerConfig: 'dynamic' });
    await eventually('dynamic config Running', async () => {
      const d: any = await custom().getNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural: 'oapserverdynamicconfigs', name: 'demo-dynamic' });
      return d.status?.state === 'Running';
    });

    const uids = {
      ui: (await apps().readNamespacedDeployment({ name: 'demo-ui', namespace: ns })).metadata!.uid,
      svc: (await core().readNamespacedService({ name: 'demo-oap', namespace: ns })).metadata!.uid,
      cm: cm.metadata!.uid,
    };
    await apps().deleteNamespacedDeployment({ name: 'demo-ui', namespace: ns });
    await core().deleteNamespacedService({ name: 'demo-oap', namespace: ns });
    await core().deleteNamespacedConfigMap({ name: 'demo-dynamic', namespace: ns });
    await eventually('children restored', async () => {
      const d = await apps().readNamespacedDeployment({ name: 'demo-ui', namespace: ns });
      const s = await core().readNamespacedService({ name: 'demo-oap', namespace: ns });
      const c = await core().readNamespacedConfigMap({ name: 'demo-dynamic', namespace: ns });
      return d.metadata!.uid !== uids.ui && s.metadata!.uid !== uids.svc && c.metadata!.uid !== uids.cm && s.spec?.ports?.some(p => p.port === 11800);
    }, 60_000);
  });

  it('reverts drift in a field it manages', async () => {
    await apps().patchNamespacedDeployment(
      { name: 'demo-oap', namespace: ns, body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'example/tampered:1' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    const restored = await eventually('image restored', async () => {
      const d = await apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns });
      return d.spec?.template.spec?.containers[0].image === 'apache/skywalking-oap-server:10.2.0';
    });
    expect(restored).toBe(true);
  });

  it('scale changes the OAP replicas and keeps the rest of the spec', async () => {
    expect(await backends.scale(ref(), 3, 'user:default/tester')).toEqual({ applied: true, queued: false });
    await eventually('3 OAP replicas Ready', async () => {
      const d = await backends.get(ref());
      return d.oap.desired === 3 && d.oap.ready === 3 && d.phase === 'Ready';
    }, 60_000);
    const deployment = await apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns });
    expect(deployment.spec?.replicas).toBe(3);
    // the scale field manager owns only instances: the storage config applied by create is still there
    expect(deployment.spec?.template.spec?.containers[0].env).toEqual(expect.arrayContaining([{ name: 'SW_STORAGE', value: 'banyandb' }]));
  });

  it('pause scales to zero and resume restores the replicas', async () => {
    expect(await backends.pause(ref(), 'user:default/tester')).toEqual({ applied: true, queued: false });
    await eventually('paused', async () => {
      const d = await backends.get(ref());
      const dep = await apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns });
      return d.phase === 'Paused' && dep.spec?.replicas === 0 && d.ui?.desired === 0;
    });
    await backends.resume(ref(), 'user:default/tester');
    await eventually('resumed', async () => {
      const d = await backends.get(ref());
      return d.phase === 'Ready' && d.oap.ready === 3 && d.ui?.ready === 1 && !d.paused;
    }, 60_000);
  });

  it('makes zero write requests in steady state', async () => {
    const cluster = engine.engine(CLUSTER)!;
    await eventually('queue drained and quiet', async () => {
      await cluster.idle(30_000);
      const before = writes.length;
      cluster.resync();
      await cluster.idle(30_000);
      return writes.length === before;
    }, 60_000);
    const before = { writes: writes.length, reconciles: reconciles.length };
    for (let round = 0; round < 3; round++) {
      cluster.resync();
      await cluster.idle(30_000);
    }
    // 3 rounds over OAPServer, UI, BanyanDB and the dynamic config: at least 12 reconciles, not one write
    expect(reconciles.length - before.reconciles).toBeGreaterThanOrEqual(12);
    expect(writes.slice(before.writes)).toEqual([]);
    expect(reconciles.slice(before.reconciles).every(r => r.writes === 0 && !r.error && r.cluster === CLUSTER)).toBe(true);
  });

  it('elects exactly one leader of two engines, and the other takes over within the lease time when the leader stops', async () => {
    const second = newEngine('engine-b');
    await second.start();
    await eventually('second engine running', async () => second.state(CLUSTER).reconciling);
    for (let i = 0; i < 6; i++) {
      // sampled over three renew intervals: always exactly one
      expect([engine.isLeader(CLUSTER), second.isLeader(CLUSTER)]).toEqual([true, false]);
      await new Promise(r => setTimeout(r, RENEW_MS / 2));
    }
    const t0 = Date.now();
    await engine.stop();
    await eventually('engine-b leads', async () => second.isLeader(CLUSTER), 20_000, 50);
    expect(Date.now() - t0).toBeLessThan(LEASE_SECONDS * 1000 + RENEW_MS);
    engine = second;
    // the new leader reconciles: a deleted child comes back
    const uid = (await apps().readNamespacedDeployment({ name: 'demo-ui', namespace: ns })).metadata!.uid;
    await apps().deleteNamespacedDeployment({ name: 'demo-ui', namespace: ns });
    await eventually('restored by engine-b', async () => (await apps().readNamespacedDeployment({ name: 'demo-ui', namespace: ns })).metadata!.uid !== uid, 30_000);
  });

  it('takes over from a leader that dies without releasing the Lease once the Lease expires', async () => {
    const third = newEngine('engine-c');
    await third.start();
    await eventually('third engine running', async () => third.state(CLUSTER).reconciling);
    expect(third.isLeader(CLUSTER)).toBe(false);
    const t0 = Date.now();
    await engine.engine(CLUSTER)!.elector.stop(false); // stops renewing, Lease left held
    await eventually('engine-c leads', async () => third.isLeader(CLUSTER), 20_000, 50);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThan(LEASE_SECONDS * 1000 - 2 * RENEW_MS);
    expect(took).toBeLessThan(LEASE_SECONDS * 1000 + 3 * RENEW_MS);
    await engine.stop();
    engine = third;
  });

  it('queues a change while the cluster is unreachable and applies it when the cluster answers again', async () => {
    await tunnel.close();
    const result = await backends.scale(ref(), 1, 'user:default/tester');
    expect(result).toMatchObject({ applied: false, queued: true });
    expect(result.message).toMatch(new RegExp(`cluster ${CLUSTER} \\(https://127.0.0.1:${tunnel.port}\\) is unreachable: .*ECONNREFUSED`));
    expect(await outbox.pending(CLUSTER)).toHaveLength(1);
    // a later write keeps its place behind the first
    expect(await backends.scale(ref(), 2, 'user:default/tester')).toMatchObject({ queued: true });
    await eventually('cluster seen as unreachable', async () => !registry.health(CLUSTER).reachable);
    expect((await apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns })).spec?.replicas).toBe(3);

    await tunnel.open(); // same port
    await eventually('outbox drained', async () => (await outbox.pending(CLUSTER)).length === 0, 30_000);
    await eventually('queued scale applied and reconciled', async () => {
      const d = await apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns });
      return d.spec?.replicas === 2;
    }, 60_000);
    expect(outbox.entries.map(e => e.op.payload.args[1])).toEqual([1, 2]);
  });

  it('leaves a cluster where SWCK runs its own controller alone', async () => {
    await apps().createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'skywalking-swck-controller-manager', labels: { 'control-plane': 'controller-manager' } },
        spec: {
          replicas: 0,
          selector: { matchLabels: { 'control-plane': 'controller-manager' } },
          template: { metadata: { labels: { 'control-plane': 'controller-manager' } }, spec: { containers: [{ name: 'manager', image: 'apache/skywalking-swck:v0.9.0' }] } },
        },
      },
    });
    try {
      await eventually('reconciliation handed to SWCK', async () => engine.state(CLUSTER).swckControllerDetected && !engine.state(CLUSTER).reconciling, 30_000);
      expect(engine.state(CLUSTER).swckEvidence).toContain('skywalking-swck-controller-manager');
      // reads still work
      expect((await backends.list()).some(b => b.namespace === ns && b.name === 'demo')).toBe(true);
    } finally {
      await apps().deleteNamespacedDeployment({ name: 'skywalking-swck-controller-manager', namespace: ns });
    }
    await eventually('reconciling again', async () => engine.state(CLUSTER).reconciling && engine.isLeader(CLUSTER), 30_000);
  });

  it('reconciles Satellite, an internal Storage and OAPServerConfig (overlaid onto the OAP Deployment until deleted)', async () => {
    const create = (plural: string, kind: string, name: string, spec: any) =>
      custom().createNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural, body: { apiVersion: `${GROUP}/v1alpha1`, kind, metadata: { name, namespace: ns }, spec } });
    await create('satellites', 'Satellite', 'sat', { version: '1.2.0', instances: 1, OAPServerName: 'demo', image: 'apache/skywalking-satellite:v1.2.0', service: { template: { type: 'ClusterIP' } } });
    await create('storages', 'Storage', 'es', { type: 'elasticsearch', connectType: 'internal', version: '7.5.1', instances: 1, image: 'docker.elastic.co/elasticsearch/elasticsearch:7.5.1', servicename: 'es-svc' });
    await create('oapserverconfigs', 'OAPServerConfig', 'cfg', { version: '10.2.0', env: [{ name: 'SW_CORE_RECORD_DATA_TTL', value: '7' }] });
    const get = (plural: string, name: string) => custom().getNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural, name }) as Promise<any>;
    const isReady = (o: any) => o.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
    await eventually('Satellite Ready', async () => {
      const o = await get('satellites', 'sat');
      return isReady(o) && o.status.availableReplicas === 1 && o.status.address === `sat-satellite.${ns}`;
    }, 60_000);
    await eventually('Storage Ready', async () => isReady(await get('storages', 'es')), 60_000);
    expect((await apps().readNamespacedStatefulSet({ name: 'es-elasticsearch', namespace: ns })).metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Storage', name: 'es' });
    expect((await core().readNamespacedService({ name: 'es-svc', namespace: ns })).spec?.clusterIP).toBe('None');
    const env = async () => (await apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns })).spec?.template.spec?.containers[0].env ?? [];
    await eventually('OAPServerConfig env overlaid', async () => (await env()).some(e => e.name === 'SW_CORE_RECORD_DATA_TTL' && e.value === '7'), 30_000);
    await eventually('OAPServerConfig status counts the OAP replicas', async () => {
      const o = await get('oapserverconfigs', 'cfg');
      return o.status?.desired === 2 && o.status?.ready === 2;
    }, 60_000);
    await custom().deleteNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural: 'oapserverconfigs', name: 'cfg' });
    await eventually('overlay removed with the OAPServerConfig', async () => !(await env()).some(e => e.name === 'SW_CORE_RECORD_DATA_TTL'), 30_000);
  });

  it('deleting the backend garbage-collects its children', async () => {
    expect(await backends.delete(ref(), 'user:default/tester')).toEqual({ applied: true, queued: false });
    await eventually('children collected', async () => {
      const sel = 'app.kubernetes.io/instance=demo';
      const [d, s, svc, pods] = await Promise.all([
        apps().listNamespacedDeployment({ namespace: ns, labelSelector: sel }),
        apps().listNamespacedStatefulSet({ namespace: ns, labelSelector: sel }),
        core().listNamespacedService({ namespace: ns, labelSelector: sel }),
        core().listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/part-of=demo' }),
      ]);
      return d.items.length + s.items.length + svc.items.length + pods.items.length === 0;
    }, 90_000);
    expect((await backends.list()).some(b => b.namespace === ns && b.name === 'demo')).toBe(false);
  });
});
