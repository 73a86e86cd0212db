import https from 'node:https';
import { metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { createTestNamespace, eventually, getSharedTestCluster } from '@internal/local-cluster';
import { ClusterRegistry } from './clusters/ClusterRegistry';
import { K8s, loadK8s } from './clusters/k8s';
import { OperatorEngine } from './engine';
import { createSkyWalkingMetrics, observeOperator, SKYWALKING_METRICS } from './metrics';
import { BackendService } from './service/BackendService';
import { MemoryOutbox } from './service/testOutbox';
import { deleteWebhookConfiguration, ensureWebhookConfiguration } from './tracing/admissionMutator';
import { generateServingCertificate } from './webhook/certificates';
import { MUTATE_PODS_PATH, WebhookServer } from './webhook/server';

jest.setTimeout(240_000);

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush() {}
  protected async onShutdown() {}
}

type Point = { attributes: Record<string, unknown>; value: any };
type Snapshot = Record<string, Point[]>;

/** Collects one meter's metrics (the SDK reader a real exporter would use), by metric name. */
async function collect(reader: TestReader, meter: string): Promise<Snapshot> {
  const { resourceMetrics } = await reader.collect();
  const out: Snapshot = {};
  for (const sm of resourceMetrics.scopeMetrics) {
    if (sm.scope.name !== meter) continue;
    for (const m of sm.metrics) out[m.descriptor.name] = m.dataPoints as Point[];
  }
  return out;
}

/** Sum of a counter or gauge, or the count of a histogram, over the points matching attrs. */
function sum(got: Snapshot, name: string, attrs: Record<string, string> = {}) {
  return (got[name] ?? [])
    .filter(p => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))
    .reduce((a, p) => a + (typeof p.value === 'number' ? p.value : p.value.count), 0);
}

// one SDK for the file, as instrumentation.js installs one for the backend
const reader = new TestReader();
const spans = new InMemorySpanExporter();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }));

describe('SkyWalking operator metrics', () => {
  it('count reconciles and admissions and move with every event', async () => {
    const m = createSkyWalkingMetrics('test-meter');
    m.setGaugeSources({ queueDepth: () => ({ local: 3 }), reachable: () => ({ local: 1, east: 0 }), leader: () => ({ local: 1 }) });
    m.setOutboxSource(() => ({ pending: { local: 2, east: 0 }, dead: { local: 1, east: 4 } }));
    m.onReconcile({ cluster: 'local', kind: 'OAPServer', durationMs: 12, writes: 2 });
    m.onReconcile({ cluster: 'local', kind: 'OAPServer', durationMs: 8, writes: 0, error: 'boom' });
    m.onRetry({ cluster: 'local', kind: 'OAPServer' });
    m.onAdmission({ durationMs: 3, outcome: 'injected', status: 200 });
    m.onAdmission({ durationMs: 1, outcome: 'refused', status: 400 });
    const got = await collect(reader, 'test-meter');
    expect(sum(got, 'skywalking_reconcile_total', { result: 'success' })).toBe(1);
    expect(sum(got, 'skywalking_reconcile_total', { result: 'error' })).toBe(1);
    expect(sum(got, 'skywalking_reconcile_duration_seconds')).toBe(2);
    expect(sum(got, 'skywalking_reconcile_writes_total')).toBe(2);
    expect(sum(got, 'skywalking_workqueue_retries_total', { cluster: 'local', kind: 'OAPServer' })).toBe(1);
    expect(sum(got, 'skywalking_webhook_requests_total', { outcome: 'refused', status: '400' })).toBe(1);
    expect(sum(got, 'skywalking_webhook_injected_pods_total')).toBe(1);
    expect(sum(got, 'skywalking_webhook_latency_seconds')).toBe(2);
    expect(sum(got, 'skywalking_workqueue_depth', { cluster: 'local' })).toBe(3);
    expect(sum(got, 'skywalking_cluster_reachable', { cluster: 'east' })).toBe(0);
    expect(sum(got, 'skywalking_leader', { cluster: 'local' })).toBe(1);
    expect(sum(got, 'skywalking_outbox_pending', { cluster: 'local' })).toBe(2);
    expect(sum(got, 'skywalking_outbox_dead_letters', { cluster: 'east' })).toBe(4);
    // every metric the dashboard and alerts may use is registered
    expect(Object.keys(got).sort()).toEqual(Object.values(SKYWALKING_METRICS).sort());
    // histograms are in seconds: buckets fit a 12 ms reconcile, not the SDK's millisecond defaults
    const buckets = got.skywalking_reconcile_duration_seconds[0].value.buckets.boundaries as number[];
    expect(buckets[0]).toBeLessThan(0.01);
    expect(buckets.at(-1)).toBeLessThanOrEqual(60);

    m.onAdmission({ durationMs: 2, outcome: 'injected', status: 200 });
    expect(sum(got, 'skywalking_webhook_injected_pods_total')).toBe(1); // old snapshot
    expect(sum(await collect(reader, 'test-meter'), 'skywalking_webhook_injected_pods_total')).toBe(2);
  });
});

/** A logger that keeps every line with the fields of its child loggers, as the root logger would print them. */
type Line = { level: string; message: string; fields: Record<string, unknown> };
function recordingLogger(lines: Line[], fields: Record<string, unknown> = {}): any {
  const at = (level: string) => (message: string, meta?: Record<string, unknown>) => lines.push({ level, message, fields: { ...fields, ...meta } });
  return { info: at('info'), warn: at('warn'), debug: at('debug'), error: at('error'), child: (f: Record<string, unknown>) => recordingLogger(lines, { ...fields, ...f }) };
}

describe('metrics of real reconciles and admissions on the local control plane', () => {
  const CLUSTER = 'local';
  const METER = 'skywalking-backstage';
  const lines: Line[] = [];
  const logger = recordingLogger(lines);
  let k8s: typeof K8s;
  let admin: K8s.KubeConfig;
  let ns: string;
  let engine: OperatorEngine;
  let backends: BackendService;
  let m: ReturnType<typeof createSkyWalkingMetrics>;

  beforeAll(async () => {
    const cluster = await getSharedTestCluster();
    k8s = await loadK8s();
    admin = new k8s.KubeConfig();
    admin.loadFromString(cluster.kubeconfig);
    ns = await createTestNamespace('metrics');
    const registry = await ClusterRegistry.fromDefinitions([{ name: CLUSTER, kubeconfig: cluster.kubeconfig }], logger);
    engine = new OperatorEngine({
      clusters: registry,
      logger,
      identity: 'metrics-test',
      namespace: ns,
      leaseNamespace: ns,
      leaseDurationSeconds: 3,
      renewIntervalMs: 500,
      healthIntervalMs: 500,
    });
    backends = new BackendService({ clusters: registry, outbox: new MemoryOutbox(), logger, operatorState: c => engine.state(c) });
    engine.setOutboxDrainer(c => backends.drainOutbox(c));
    // as plugin.ts does
    m = createSkyWalkingMetrics();
    observeOperator(m, engine, registry);
    await engine.start();
    await eventually('the engine leads', async () => engine.isLeader(CLUSTER), 30_000);
  });

  afterAll(async () => {
    await engine?.stop();
  });

  it('reconciles move the reconcile count, duration and writes per kind and cluster; gauges show leader, reachability and queue depth; spans and log lines carry the key', async () => {
    const before = await collect(reader, METER);
    await backends.create({ name: 'demo', namespace: ns, cluster: CLUSTER, version: '10.2.0', oap: { replicas: 1 }, ui: { enabled: false } }, 'user:default/tester');
    await eventually('backend Ready', async () => (await backends.get({ cluster: CLUSTER, namespace: ns, name: 'demo' })).phase === 'Ready', 120_000);
    await engine.engine(CLUSTER)!.idle(30_000);
    const after = await collect(reader, METER);

    const oap = { cluster: CLUSTER, kind: 'OAPServer' };
    const moved = (name: string, attrs: Record<string, string>) => sum(after, name, attrs) - sum(before, name, attrs);
    expect(moved('skywalking_reconcile_total', { ...oap, result: 'success' })).toBeGreaterThanOrEqual(1);
    expect(moved('skywalking_reconcile_total', { cluster: CLUSTER, kind: 'BanyanDB', result: 'success' })).toBeGreaterThanOrEqual(1);
    expect(moved('skywalking_reconcile_duration_seconds', oap)).toBeGreaterThanOrEqual(1);
    // the first reconcile applied the Deployment, Service, ... and the status
    expect(moved('skywalking_reconcile_writes_total', oap)).toBeGreaterThanOrEqual(2);
    expect(sum(after, 'skywalking_leader', { cluster: CLUSTER })).toBe(1);
    expect(sum(after, 'skywalking_cluster_reachable', { cluster: CLUSTER })).toBe(1);
    expect(after.skywalking_workqueue_depth.map(p => p.attributes.cluster)).toEqual([CLUSTER]);
    expect(sum(after, 'skywalking_workqueue_depth', { cluster: CLUSTER })).toBe(0);

    const key = `OAPServer/${ns}/demo`;
    const span = spans.getFinishedSpans().find(s => s.name === 'skywalking.reconcile' && s.attributes['skywalking.key'] === key);
    expect(span?.attributes).toEqual({ 'skywalking.kind': 'OAPServer', 'skywalking.cluster': CLUSTER, 'skywalking.key': key });
    expect(span?.status.code).not.toBe(SpanStatusCode.ERROR);
    const ready = lines.find(l => l.message.startsWith('Ready=True') && l.fields.key === key);
    expect(ready?.fields).toMatchObject({ cluster: CLUSTER, kind: 'OAPServer', key });
  });

  it('failed reconciles move the error count and the work queue retries, with an error span', async () => {
    // a quota of no new Services: the reconcile of the next backend fails at its OAP Service and is retried
    await admin.makeApiClient(k8s.CoreV1Api).createNamespacedResourceQuota({ namespace: ns, body: { metadata: { name: 'no-services' }, spec: { hard: { services: '0' } } } });
    const before = await collect(reader, METER);
    await backends.create({ name: 'broken', namespace: ns, cluster: CLUSTER, version: '10.2.0', oap: { replicas: 1 }, ui: { enabled: false } }, 'user:default/tester');
    const oap = { cluster: CLUSTER, kind: 'OAPServer' };
    const after = await eventually(
      'a failed reconcile retried',
      async () => {
        const got = await collect(reader, METER);
        return sum(got, 'skywalking_workqueue_retries_total', oap) - sum(before, 'skywalking_workqueue_retries_total', oap) >= 2 ? got : undefined;
      },
      60_000,
    );
    expect(sum(after, 'skywalking_reconcile_total', { ...oap, result: 'error' }) - sum(before, 'skywalking_reconcile_total', { ...oap, result: 'error' })).toBeGreaterThanOrEqual(2);
    const key = `OAPServer/${ns}/broken`;
    const failed = spans.getFinishedSpans().find(s => s.name === 'skywalking.reconcile' && s.attributes['skywalking.key'] === key && s.status.code === SpanStatusCode.ERROR);
    expect(failed?.status.message).toMatch(/forbidden|exceeded quota/i);
    expect(lines.find(l => l.level === 'warn' && l.message.startsWith('reconcile failed') && l.fields.key === key)?.fields).toMatchObject({ cluster: CLUSTER, kind: 'OAPServer' });
    await admin.makeApiClient(k8s.CoreV1Api).deleteNamespacedResourceQuota({ name: 'no-services', namespace: ns });
  });

  it('admissions the API server sends to the webhook move requests, latency and injected pods, with a span each', async () => {
    const podsNs = await createTestNamespace('metrics-pods');
    const cert = generateServingCertificate({ commonName: 'skywalking-webhook', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityMs: 3600_000 });
    const server = new WebhookServer({
      host: '127.0.0.1',
      port: 0,
      certPem: cert.certPem,
      keyPem: cert.keyPem,
      logger,
      // as WebhookManager is given it in plugin.ts
      observer: { onRequest: e => m.onAdmission(e) },
    });
    const port = await server.start();
    const webhookName = `swb-metrics-${podsNs}`;
    try {
      await ensureWebhookConfiguration(admin, { url: `https://127.0.0.1:${port}`, caPem: cert.caPem, name: webhookName, namespaces: [podsNs] });
      const core = admin.makeApiClient(k8s.CoreV1Api);
      await core.patchNamespace({ name: podsNs, body: { metadata: { labels: { 'swck-injection': 'enabled' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      const createPod = () =>
        core.createNamespacedPod({
          namespace: podsNs,
          body: {
            metadata: {
              generateName: 'app-',
              labels: { 'swck-java-agent-injected': 'true' },
              annotations: { 'agent.skywalking.apache.org/collector.backend_service': `demo-oap.${ns}:11800` },
            },
            spec: { containers: [{ name: 'app', image: 'x' }] },
          },
        });
      const injected = (p: K8s.V1Pod) => (p.spec?.initContainers ?? []).length > 0;
      // the API server picks the configuration up within a moment
      await eventually('the webhook to inject a pod', async () => injected(await createPod()), 30_000, 500);
      const before = await collect(reader, METER);
      const pods = await Promise.all([createPod(), createPod(), createPod()]);
      expect(pods.every(injected)).toBe(true);
      // and one the API server would never send: refused
      await new Promise<void>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port, path: MUTATE_PODS_PATH, method: 'POST', ca: cert.caPem, agent: false, headers: { 'content-type': 'application/json' } }, res => {
          res.resume();
          res.on('end', () => (res.statusCode === 400 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end('{nope');
      });
      const after = await collect(reader, METER);
      const moved = (name: string, attrs: Record<string, string> = {}) => sum(after, name, attrs) - sum(before, name, attrs);
      expect(moved('skywalking_webhook_injected_pods_total')).toBe(3);
      expect(moved('skywalking_webhook_requests_total', { outcome: 'injected', status: '200' })).toBe(3);
      expect(moved('skywalking_webhook_requests_total', { outcome: 'refused', status: '400' })).toBe(1);
      expect(moved('skywalking_webhook_latency_seconds', { outcome: 'injected' })).toBe(3);
      // every request is timed (the API server may also call again, e.g. reinvocation: skipped)
      expect(moved('skywalking_webhook_latency_seconds')).toBe(moved('skywalking_webhook_requests_total'));
      expect(moved('skywalking_webhook_requests_total')).toBe(4 + moved('skywalking_webhook_requests_total', { outcome: 'skipped' }));
      const admissionSpans = spans.getFinishedSpans().filter(s => s.name === 'skywalking.admission' && s.attributes['skywalking.admission.outcome'] === 'injected');
      for (const p of pods) {
        expect(admissionSpans.some(s => String(s.attributes['skywalking.key']).startsWith(`${podsNs}/app-`) && s.attributes['http.response.status_code'] === 200)).toBe(true);
        expect(p.metadata?.namespace).toBe(podsNs);
      }
    } finally {
      await deleteWebhookConfiguration(admin, webhookName);
      await server.stop();
    }
  });
});
