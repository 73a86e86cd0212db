import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { createSkyWalkingMetrics } from './metrics';

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush() {}
  protected async onShutdown() {}
}

async function collect(reader: TestReader) {
  const { resourceMetrics } = await reader.collect();
  const out: Record<string, any[]> = {};
  for (const sm of resourceMetrics.scopeMetrics) {
    for (const m of sm.metrics) out[m.descriptor.name] = m.dataPoints as any[];
  }
  return out;
}

describe('SkyWalking operator metrics', () => {
  const reader = new TestReader();
  beforeAll(() => {
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  });

  it('count reconciles and admissions and move with every event', async () => {
    const m = createSkyWalkingMetrics('test-meter');
    m.setGaugeSources({ queueDepth: () => ({ local: 3 }), reachable: () => ({ local: 1, east: 0 }), leader: () => ({ local: 1 }) });
    m.onReconcile({ cluster: 'local', kind: 'OAPServer', durationMs: 12, writes: 2 });
    m.onReconcile({ cluster: 'local', kind: 'OAPServer', durationMs: 8, writes: 0, error: 'boom' });
    m.onAdmission({ durationMs: 3, outcome: 'injected', status: 200 });
    m.onAdmission({ durationMs: 1, outcome: 'refused', status: 400 });
    const got = await collect(reader);
    const sum = (name: string, attrs: Record<string, string> = {}) =>
      (got[name] ?? []).filter(p => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v)).reduce((a, p) => a + (typeof p.value === 'number' ? p.value : p.value.count), 0);
    expect(sum('skywalking_reconcile_total', { result: 'success' })).toBe(1);
    expect(sum('skywalking_reconcile_total', { result: 'error' })).toBe(1);
    expect(sum('skywalking_reconcile_duration_seconds')).toBe(2);
    expect(sum('skywalking_reconcile_writes_total')).toBe(2);
    expect(sum('skywalking_webhook_requests_total', { outcome: 'refused', status: '400' })).toBe(1);
    expect(sum('skywalking_webhook_injected_pods_total')).toBe(1);
    expect(sum('skywalking_webhook_latency_seconds')).toBe(2);
    expect(sum('skywalking_workqueue_depth', { cluster: 'local' })).toBe(3);
    expect(sum('skywalking_cluster_reachable', { cluster: 'east' })).toBe(0);
    expect(sum('skywalking_leader', { cluster: 'local' })).toBe(1);

    m.onAdmission({ durationMs: 2, outcome: 'injected', status: 200 });
    expect(sum.call(null, 'skywalking_webhook_injected_pods_total')).toBe(1); // old snapshot
    const again = await collect(reader);
    expect(again.skywalking_webhook_injected_pods_total.reduce((a, p) => a + p.value, 0)).toBe(2);
  });
});
