import { metrics, ObservableResult } from '@opentelemetry/api';

/**
 * The operator's own metrics, through OpenTelemetry's API as every Backstage
 * plugin does: a MeterProvider configured by the backend (e.g. the Prometheus
 * exporter in packages/backend/src/instrumentation.js) exports them; without
 * one they cost nothing.
 */
export function createSkyWalkingMetrics(meterName = 'skywalking-backstage') {
  const meter = metrics.getMeter(meterName);
  const reconciles = meter.createCounter('skywalking_reconcile_total', { description: 'Reconciles by kind, cluster and result' });
  const reconcileDuration = meter.createHistogram('skywalking_reconcile_duration_seconds', { description: 'Reconcile duration', unit: 's' });
  const reconcileWrites = meter.createCounter('skywalking_reconcile_writes_total', { description: 'API writes made by reconciles (zero in steady state)' });
  const admissions = meter.createCounter('skywalking_webhook_requests_total', { description: 'Admission requests by outcome and HTTP status' });
  const admissionLatency = meter.createHistogram('skywalking_webhook_latency_seconds', { description: 'Admission request latency', unit: 's' });
  const injectedPods = meter.createCounter('skywalking_webhook_injected_pods_total', { description: 'Pods the webhook injected the agent into' });
  const gauges = new Map<string, () => Record<string, number>>();
  const observe = (name: string, description: string) => {
    meter.createObservableGauge(name, { description }).addCallback((r: ObservableResult) => {
      for (const [cluster, v] of Object.entries(gauges.get(name)?.() ?? {})) r.observe(v, { cluster });
    });
  };
  observe('skywalking_workqueue_depth', 'Keys waiting in the reconcile queue per cluster');
  observe('skywalking_cluster_reachable', '1 when the cluster answered its last health check');
  observe('skywalking_leader', '1 when this portal replica leads the cluster');
  return {
    onReconcile(e: { cluster: string; kind: string; durationMs: number; writes: number; error?: string }) {
      const attrs = { cluster: e.cluster, kind: e.kind, result: e.error ? 'error' : 'success' };
      reconciles.add(1, attrs);
      reconcileDuration.record(e.durationMs / 1000, { cluster: e.cluster, kind: e.kind });
      if (e.writes) reconcileWrites.add(e.writes, { cluster: e.cluster, kind: e.kind });
    },
    onAdmission(e: { durationMs: number; outcome: string; status: number }) {
      admissions.add(1, { outcome: e.outcome, status: String(e.status) });
      admissionLatency.record(e.durationMs / 1000, { outcome: e.outcome });
      if (e.outcome === 'injected') injectedPods.add(1);
    },
    /** Per-cluster gauge sources, read at collection time. */
    setGaugeSources(sources: { queueDepth: () => Record<string, number>; reachable: () => Record<string, number>; leader: () => Record<string, number> }) {
      gauges.set('skywalking_workqueue_depth', sources.queueDepth);
      gauges.set('skywalking_cluster_reachable', sources.reachable);
      gauges.set('skywalking_leader', sources.leader);
    },
  };
}

export type SkyWalkingMetrics = ReturnType<typeof createSkyWalkingMetrics>;
