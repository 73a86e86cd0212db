import { metrics, ObservableResult } from '@opentelemetry/api';

/**
 * Every metric the operator exports, as Prometheus sees it (the Grafana
 * dashboard and the alert rules in observability/ are tested against this
 * list). Histograms add _bucket, _sum and _count.
 */
export const SKYWALKING_METRICS = {
  reconcileTotal: 'skywalking_reconcile_total',
  reconcileDuration: 'skywalking_reconcile_duration_seconds',
  reconcileWrites: 'skywalking_reconcile_writes_total',
  workqueueRetries: 'skywalking_workqueue_retries_total',
  workqueueDepth: 'skywalking_workqueue_depth',
  webhookRequests: 'skywalking_webhook_requests_total',
  webhookLatency: 'skywalking_webhook_latency_seconds',
  webhookInjectedPods: 'skywalking_webhook_injected_pods_total',
  clusterReachable: 'skywalking_cluster_reachable',
  leader: 'skywalking_leader',
  outboxPending: 'skywalking_outbox_pending',
  outboxDeadLetters: 'skywalking_outbox_dead_letters',
} as const;

/** Histogram buckets in seconds (the SDK's default ones are meant for milliseconds). */
const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const ADMISSION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The operator's own metrics, through OpenTelemetry's API as every Backstage
 * plugin does: a MeterProvider configured by the backend (e.g. the Prometheus
 * exporter in packages/backend/src/instrumentation.js) exports them; without
 * one they cost nothing.
 */
export function createSkyWalkingMetrics(meterName = 'skywalking-backstage') {
  const meter = metrics.getMeter(meterName);
  const M = SKYWALKING_METRICS;
  const reconciles = meter.createCounter(M.reconcileTotal, { description: 'Reconciles by kind, cluster and result' });
  const reconcileDuration = meter.createHistogram(M.reconcileDuration, {
    description: 'Reconcile duration',
    unit: 's',
    advice: { explicitBucketBoundaries: RECONCILE_BUCKETS },
  });
  const reconcileWrites = meter.createCounter(M.reconcileWrites, { description: 'API writes made by reconciles (zero in steady state)' });
  const retries = meter.createCounter(M.workqueueRetries, { description: 'Failed reconciles put back on the work queue for a retry with backoff' });
  const admissions = meter.createCounter(M.webhookRequests, { description: 'Admission requests by outcome and HTTP status' });
  const admissionLatency = meter.createHistogram(M.webhookLatency, {
    description: 'Admission request latency',
    unit: 's',
    advice: { explicitBucketBoundaries: ADMISSION_BUCKETS },
  });
  const injectedPods = meter.createCounter(M.webhookInjectedPods, { description: 'Pods the webhook injected the agent into' });
  const gauges = new Map<string, () => Record<string, number>>();
  const observe = (name: string, description: string) => {
    meter.createObservableGauge(name, { description }).addCallback((r: ObservableResult) => {
      for (const [cluster, v] of Object.entries(gauges.get(name)?.() ?? {})) r.observe(v, { cluster });
    });
  };
  observe(M.workqueueDepth, 'Keys waiting in the reconcile queue per cluster');
  observe(M.clusterReachable, '1 when the cluster answered its last health check');
  observe(M.leader, '1 when this portal replica leads the cluster (reported for clusters it runs an engine for)');
  observe(M.outboxPending, 'Queued changes waiting for their cluster (as of the last drain)');
  observe(M.outboxDeadLetters, 'Queued changes given up (attempts refused, expired, no longer allowed): kept for a person to retry');
  return {
    onReconcile(e: { cluster: string; kind: string; durationMs: number; writes: number; error?: string }) {
      const attrs = { cluster: e.cluster, kind: e.kind, result: e.error ? 'error' : 'success' };
      reconciles.add(1, attrs);
      reconcileDuration.record(e.durationMs / 1000, { cluster: e.cluster, kind: e.kind });
      if (e.writes) reconcileWrites.add(e.writes, { cluster: e.cluster, kind: e.kind });
    },
    /** A failed reconcile queued again after a backoff (the WorkQueue's onRetry). */
    onRetry(e: { cluster: string; kind: string }) {
      retries.add(1, { cluster: e.cluster, kind: e.kind });
    },
    onAdmission(e: { durationMs: number; outcome: string; status: number }) {
      admissions.add(1, { outcome: e.outcome, status: String(e.status) });
      admissionLatency.record(e.durationMs / 1000, { outcome: e.outcome });
      if (e.outcome === 'injected') injectedPods.add(1);
    },
    /** The outbox counts per cluster (OutboxDrainer.counts), read at collection time. */
    setOutboxSource(counts: () => { pending: Record<string, number>; dead: Record<string, number> }) {
      gauges.set(M.outboxPending, () => counts().pending);
      gauges.set(M.outboxDeadLetters, () => counts().dead);
    },
    /** Per-cluster gauge sources, read at collection time. */
    setGaugeSources(sources: { queueDepth: () => Record<string, number>; reachable: () => Record<string, number>; leader: () => Record<string, number> }) {
      gauges.set(M.workqueueDepth, sources.queueDepth);
      gauges.set(M.clusterReachable, sources.reachable);
      gauges.set(M.leader, sources.leader);
    },
  };
}

export type SkyWalkingMetrics = ReturnType<typeof createSkyWalkingMetrics>;

/** What observeOperator reads from the reconcile engine (OperatorEngine). */
export interface ObservedOperator {
  onReconcile(cb: (r: { cluster: string; kind: string; durationMs: number; writes: number; error?: unknown }) => void): unknown;
  onRetry(cb: (r: { cluster: string; kind: string }) => void): unknown;
  queueDepth(cluster: string): number;
  isLeader(cluster: string): boolean;
  state(cluster: string): { reconciling: boolean };
}

/** What observeOperator reads from the cluster registry. */
export interface ObservedClusters {
  names(): string[];
  summary(cluster: string): { reachable: boolean };
}

/**
 * Connects the metrics to the operator: reconciles and work queue retries as
 * they happen, queue depth, leadership and cluster reachability at collection
 * time.
 */
export function observeOperator(m: SkyWalkingMetrics, operators: ObservedOperator, clusters: ObservedClusters) {
  operators.onReconcile(r => m.onReconcile({ ...r, error: r.error ? String((r.error as Error).message ?? r.error) : undefined }));
  operators.onRetry(r => m.onRetry(r));
  const perCluster = (f: (cluster: string) => number, only: (cluster: string) => boolean = () => true) => () =>
    Object.fromEntries(clusters.names().filter(only).map(n => [n, f(n)]));
  m.setGaugeSources({
    queueDepth: perCluster(n => operators.queueDepth(n)),
    // only where this replica runs an engine: summed over replicas it is 1 per
    // reconciled cluster, and a cluster left to SWCK's controller never counts as leaderless
    leader: perCluster(
      n => (operators.isLeader(n) ? 1 : 0),
      n => operators.state(n).reconciling,
    ),
    reachable: perCluster(n => (clusters.summary(n).reachable ? 1 : 0)),
  });
}
