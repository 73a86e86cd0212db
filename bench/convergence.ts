/*
 * The operator on the local control plane (etcd, kube-apiserver,
 * controller-manager, scheduler, KWOK nodes): convergence time of N backends
 * created through BackendService (N = 10, 100, 500 by default), API requests
 * per reconcile in steady state, and the heap of this process (the plugin's
 * engine and its JavaAgent pod watch) while watching 10,000 injected pods,
 * against the heap before they existed.
 *
 *   SWB_BENCH_SIZES=10,100,500   batch sizes (each batch in a namespace of its own)
 *   SWB_BENCH_PODS=10000         injected pods for the memory figure (0 skips it)
 *   SWB_BENCH_STEADY_SECONDS=30  steady-state window
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { startLocalCluster } from '@internal/local-cluster';
import { ClusterRegistry } from '../plugins/skywalking-backend/src/clusters/ClusterRegistry';
import { K8s, loadK8s } from '../plugins/skywalking-backend/src/clusters/k8s';
import { OperatorEngine } from '../plugins/skywalking-backend/src/engine';
import { JavaAgentController } from '../plugins/skywalking-backend/src/operator/JavaAgentController';
import {
  BackendOutbox,
  BackendService,
  OutboxEntry,
} from '../plugins/skywalking-backend/src/service/BackendService';

const silent: any = {
  info() {},
  warn() {},
  debug() {},
  error() {},
  child: () => silent,
};
const CLUSTER = 'bench';
const GROUP = 'operator.skywalking.apache.org';

class MemoryOutbox implements BackendOutbox {
  private next = 1;
  async enqueue(_cluster: string, _op: OutboxEntry['op']) {
    return this.next++;
  }
  async pending() {
    return [];
  }
  async dead() {
    return [];
  }
  async claim() {
    return true;
  }
  async markDone() {}
  async markFailed() {
    return 0;
  }
  async markDead() {}
  async retry() {
    return false;
  }
}

/** Requests one KubeConfig sends, by kind: generated clients (reads, writes, Lease) and watches. */
class RequestCounter {
  counts = { read: 0, write: 0, lease: 0, watch: 0 };
  byUrl = new Map<string, number>();
  constructor(kc: K8s.KubeConfig) {
    const k: any = kc;
    const auth = k.applySecurityAuthentication.bind(k);
    k.applySecurityAuthentication = async (ctx: any) => {
      const method = String(ctx.getHttpMethod());
      const url = new URL(ctx.getUrl());
      let kind: keyof RequestCounter['counts'] =
        method === 'GET' ? 'read' : 'write';
      if (/\/leases(\/|$)/.test(url.pathname)) kind = 'lease';
      this.counts[kind]++;
      const path = `${method} ${url.pathname.replace(
        /\/namespaces\/[^/]+/,
        '/namespaces/*',
      )}`;
      this.byUrl.set(path, (this.byUrl.get(path) ?? 0) + 1);
      return auth(ctx);
    };
    const fetchOptions = k.applyToFetchOptions.bind(k);
    k.applyToFetchOptions = async (opts: any) => {
      this.counts.watch++;
      return fetchOptions(opts);
    };
  }
  snapshot() {
    return { ...this.counts, byUrl: new Map(this.byUrl) };
  }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (t: T, i: number) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

function gcNow() {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) gc();
}

function memory() {
  gcNow();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

export interface ConvergenceRow {
  n: number;
  createMs: number;
  convergeMs: number;
  reconciles: number;
  writes: number;
}

export interface ConvergenceResult {
  nodes: number;
  rows: ConvergenceRow[];
  steady: {
    seconds: number;
    reconciles: number;
    read: number;
    write: number;
    lease: number;
    watch: number;
    top: [string, number][];
  };
  memory?: {
    pods: number;
    running: number;
    podsMs: number;
    before: { heapUsed: number; rss: number };
    after: { heapUsed: number; rss: number };
  };
  cut: string[];
}

export async function benchConvergence(): Promise<ConvergenceResult> {
  const sizes = (process.env.SWB_BENCH_SIZES ?? '10,100,500')
    .split(',')
    .map(Number)
    .filter(Boolean);
  const podCount = Number(process.env.SWB_BENCH_PODS ?? 10_000);
  const steadySeconds = Number(process.env.SWB_BENCH_STEADY_SECONDS ?? 30);
  const total = sizes.reduce((a, b) => a + b, 0);
  // 110 pods per KWOK node: room for every backend's OAP and BanyanDB pod and the injected pods
  const nodes = Math.max(3, Math.ceil((total * 2 + podCount) / 100));
  const cut: string[] = [];
  const t0 = Date.now();
  // two ClusterIP Services per backend: more than the default /24 holds
  const cluster = await startLocalCluster({ nodes, serviceCidr: '10.0.0.0/20' });
  console.error(
    `[convergence] local cluster with ${nodes} KWOK nodes up in ${(
      (Date.now() - t0) /
      1000
    ).toFixed(1)} s`,
  );
  const k8s = await loadK8s();
  const engineRegistry = await ClusterRegistry.fromDefinitions(
    [{ name: CLUSTER, kubeconfig: cluster.kubeconfig }],
    silent,
  );
  const serviceRegistry = await ClusterRegistry.fromDefinitions(
    [{ name: CLUSTER, kubeconfig: cluster.kubeconfig }],
    silent,
  );
  const admin = new k8s.KubeConfig();
  admin.loadFromString(cluster.kubeconfig);
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const custom = admin.makeApiClient(k8s.CustomObjectsApi);
  const counter = new RequestCounter(engineRegistry.kubeConfig(CLUSTER));
  const engine = new OperatorEngine({
    clusters: engineRegistry,
    logger: silent,
    identity: 'bench',
  });
  let reconciles = 0;
  let writes = 0;
  engine.onReconcile(r => {
    reconciles++;
    writes += r.writes;
  });
  const backends = new BackendService({
    clusters: serviceRegistry,
    outbox: new MemoryOutbox(),
    logger: silent,
    operatorState: c => engine.state(c),
  });
  let agents: JavaAgentController | undefined;
  try {
    await engine.start();
    for (let i = 0; !engine.isLeader(CLUSTER); i++) {
      if (i > 600) throw new Error('the engine did not take the lead');
      await sleep(50);
    }
    const rows: ConvergenceRow[] = [];
    for (const n of sizes) {
      const ns = `bench-${n}`;
      await core.createNamespace({ body: { metadata: { name: ns } } });
      const before = { reconciles, writes };
      const started = Date.now();
      const ready = async () => {
        const list: any = await custom.listNamespacedCustomObject({
          group: GROUP,
          version: 'v1alpha1',
          namespace: ns,
          plural: 'oapservers',
        });
        return list.items.filter((o: any) =>
          (o.status?.conditions ?? []).some(
            (c: any) => c.type === 'Ready' && c.status === 'True',
          ),
        ).length;
      };
      await pool(
        Array.from({ length: n }, (_, i) => i),
        8,
        async i => {
          const r = await backends.create(
            {
              name: `b${i}`,
              namespace: ns,
              cluster: CLUSTER,
              version: '10.2.0',
              oap: { replicas: 1 },
              ui: { enabled: false },
            },
            'user:default/bench',
          );
          if (!r.applied)
            throw new Error(
              `backend b${i} was not applied: ${JSON.stringify(r)}`,
            );
        },
      );
      const createMs = Date.now() - started;
      const deadline = started + 15 * 60_000;
      let last = -1;
      for (;;) {
        const done = await ready();
        if (done !== last)
          console.error(
            `[convergence] N=${n}: ${done}/${n} Ready after ${(
              (Date.now() - started) /
              1000
            ).toFixed(1)} s`,
          );
        last = done;
        if (done === n) break;
        if (Date.now() > deadline)
          throw new Error(`N=${n}: only ${done} Ready after 15 min`);
        await sleep(250);
      }
      rows.push({
        n,
        createMs,
        convergeMs: Date.now() - started,
        reconciles: reconciles - before.reconciles,
        writes: writes - before.writes,
      });
    }

    // steady state: nothing changes; every custom object is reconciled again twice (as the periodic resync does)
    const ce = engine.engine(CLUSTER)!;
    for (let round = 0; ; round++) {
      await ce.idle(300_000);
      const w = writes;
      ce.resync();
      await ce.idle(300_000);
      if (writes === w) break;
      if (round > 10)
        throw new Error('the engine keeps writing after convergence');
    }
    const before = { ...counter.snapshot(), reconciles };
    const windowStart = Date.now();
    ce.resync();
    await ce.idle(300_000);
    while (Date.now() - windowStart < (steadySeconds * 1000) / 2)
      await sleep(100);
    ce.resync();
    await ce.idle(300_000);
    while (Date.now() - windowStart < steadySeconds * 1000) await sleep(100);
    const after = counter.snapshot();
    const top = [...after.byUrl]
      .map(([k, v]) => [k, v - (before.byUrl.get(k) ?? 0)] as [string, number])
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8);
    const steady = {
      seconds: (Date.now() - windowStart) / 1000,
      reconciles: reconciles - before.reconciles,
      read: after.read - before.read,
      write: after.write - before.write,
      lease: after.lease - before.lease,
      watch: after.watch - before.watch,
      top,
    };

    // memory: the JavaAgent controller's watch of injected pods, beside the engine
    let mem: ConvergenceResult['memory'];
    if (podCount > 0) {
      agents = new JavaAgentController({
        cluster: CLUSTER,
        kc: engineRegistry.kubeConfig(CLUSTER),
        logger: silent,
        isLeader: () => engine.isLeader(CLUSTER),
      });
      await agents.start();
      const informer = (agents as any).informer as K8s.ObjectCache<K8s.V1Pod>;
      const memBefore = memory();
      await core.createNamespace({
        body: {
          metadata: {
            name: 'bench-pods',
            labels: { 'swck-injection': 'enabled' },
          },
        },
      });
      const nodeNames = Array.from(
        { length: nodes },
        (_, i) => `kwok-node-${i}`,
      );
      const podsStarted = Date.now();
      await pool(
        Array.from({ length: podCount }, (_, i) => i),
        32,
        async i => {
          const app = `svc-${i % 200}`;
          await core.createNamespacedPod({
            namespace: 'bench-pods',
            body: injectedPod(app, i, nodeNames[i % nodeNames.length]),
          });
        },
      );
      const createdMs = Date.now() - podsStarted;
      console.error(
        `[convergence] ${podCount} pods created in ${(createdMs / 1000).toFixed(
          1,
        )} s`,
      );
      const running = () =>
        informer.list('bench-pods').filter(p => p.status?.phase === 'Running')
          .length;
      const deadline = Date.now() + 240_000;
      while (
        (informer.list('bench-pods').length < podCount ||
          running() < podCount) &&
        Date.now() < deadline
      )
        await sleep(500);
      const seen = informer.list('bench-pods').length;
      const up = running();
      if (up < podCount)
        cut.push(
          `only ${up} of ${podCount} pods were Running in the watch cache after 4 min (${seen} seen); heap measured then`,
        );
      await agents.idle(300_000).catch(() => undefined);
      mem = {
        pods: seen,
        running: up,
        podsMs: Date.now() - podsStarted,
        before: memBefore,
        after: memory(),
      };
    }
    return { nodes, rows, steady, memory: mem, cut };
  } finally {
    await agents?.stop?.();
    await engine.stop();
    await cluster.stop();
  }
}

/** A pod as the webhook leaves it: agent init container, shared volume, JAVA_TOOL_OPTIONS, agent annotations. */
function injectedPod(app: string, i: number, nodeName: string): K8s.V1Pod {
  return {
    metadata: {
      name: `${app}-${i.toString(36)}`,
      labels: {
        app,
        'pod-template-hash': '7d9f8c',
        'swck-java-agent-injected': 'true',
      },
      annotations: {
        'agent.skywalking.apache.org/agent.service_name': app,
        'agent.skywalking.apache.org/collector.backend_service':
          'b0-oap.bench-10:11800',
        'sidecar.skywalking.apache.org/succeed': 'true',
      },
    },
    spec: {
      nodeName,
      initContainers: [
        {
          name: 'inject-skywalking-agent',
          image: 'apache/skywalking-java-agent:9.4.0-java17',
          command: ['sh'],
          args: [
            '-c',
            'mkdir -p /sky/agent && cp -r /skywalking/agent/* /sky/agent',
          ],
          volumeMounts: [{ name: 'sky-agent', mountPath: '/sky/agent' }],
        },
      ],
      containers: [
        {
          name: 'app',
          image: 'eclipse-temurin:21-jre',
          env: [
            {
              name: 'JAVA_TOOL_OPTIONS',
              value: '-javaagent:/sky/agent/skywalking-agent.jar -Xmx512m',
            },
            { name: 'SW_AGENT_NAME', value: app },
            {
              name: 'SW_AGENT_COLLECTOR_BACKEND_SERVICES',
              value: 'b0-oap.bench-10:11800',
            },
          ],
          ports: [{ containerPort: 8080 }],
          resources: { requests: { cpu: '10m', memory: '64Mi' } },
          volumeMounts: [{ name: 'sky-agent', mountPath: '/sky/agent' }],
        },
      ],
      volumes: [{ name: 'sky-agent', emptyDir: {} }],
    },
  };
}
