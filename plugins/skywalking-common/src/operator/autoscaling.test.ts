import { validateBackendSpec } from '../backendSpec';
import { AUTOSCALING_ANNOTATION, renderOAPServer } from './render';
import { externalMetricName, oapHpaSpec, telemetryMetricOf } from './autoscaling';

const base = { name: 'demo', namespace: 'sw', cluster: 'local', version: '10.1.0', storage: { type: 'banyandb' } } as any;
const errorsOf = (autoscaling: unknown, extra: Record<string, any> = {}) =>
  validateBackendSpec({ ...base, oap: { replicas: 2, ...extra, autoscaling } }).filter(e => e.path.startsWith('oap.'));

describe('OAP autoscaling on its own load', () => {
  it('renders an External metric named as SWCK names them, per replica for a rate, with no CPU unless asked', () => {
    const a = { enabled: true, minReplicas: 1, maxReplicas: 5, metric: { name: 'trace_in_latency_count', target: 200 } };
    expect(oapHpaSpec(a, 'demo-oap', 70)).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'demo-oap' },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [
        {
          type: 'External',
          external: {
            metric: { name: 'skywalking.apache.org|trace_in_latency_count', selector: { matchLabels: { deployment: 'demo-oap', aggregation: 'rate' } } },
            target: { type: 'AverageValue', averageValue: '200' },
          },
        },
      ],
    });
  });

  it('renders a mean as a whole Value, adds CPU when a CPU target is set too, and the scale-down window', () => {
    const a = {
      enabled: true,
      minReplicas: 2,
      maxReplicas: 4,
      targetCPUUtilizationPercentage: 80,
      scaleDownStabilizationSeconds: 0,
      metric: { name: 'persistence_timer_bulk_execute_latency', aggregation: 'mean' as const, target: '250m' },
    };
    const spec = oapHpaSpec(a, 'demo-oap-receiver', 70);
    expect(spec.metrics).toEqual([
      {
        type: 'External',
        external: {
          metric: { name: 'skywalking.apache.org|persistence_timer_bulk_execute_latency', selector: { matchLabels: { deployment: 'demo-oap-receiver', aggregation: 'mean' } } },
          target: { type: 'Value', value: '250m' },
        },
      },
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
    ]);
    expect(spec.behavior).toEqual({ scaleDown: { stabilizationWindowSeconds: 0 } });
  });

  it('keeps the CPU-only HPA exactly as before when no metric is given', () => {
    expect(oapHpaSpec({ enabled: true, minReplicas: 2, maxReplicas: 6 }, 'demo-oap', 70)).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'demo-oap' },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    });
  });

  it('is what renderOAPServer puts in the HPA of the autoscaled Deployment', () => {
    const auto = { enabled: true, minReplicas: 1, maxReplicas: 3, metric: { name: 'trace_in_latency_count', target: 100 } };
    const cr = {
      apiVersion: 'operator.skywalking.apache.org/v1alpha1',
      kind: 'OAPServer',
      metadata: { name: 'demo', namespace: 'sw', uid: 'u1', annotations: { [AUTOSCALING_ANNOTATION]: JSON.stringify(auto) } },
      spec: { version: '10.1.0', instances: 1, image: 'apache/skywalking-oap-server:10.1.0' },
    };
    const hpa = renderOAPServer(cr as any).find(o => o.kind === 'HorizontalPodAutoscaler')!;
    expect(hpa.spec).toEqual(oapHpaSpec(auto, 'demo-oap', 70));
  });

  it('maps metric names both ways and refuses names that are not ours', () => {
    expect(externalMetricName('trace_in_latency_count')).toBe('skywalking.apache.org|trace_in_latency_count');
    expect(telemetryMetricOf('skywalking.apache.org|trace_in_latency_count')).toBe('trace_in_latency_count');
    for (const n of ['service_cpm', 'other.io|trace_in_latency_count', 'skywalking.apache.org|a{b="c"}', 'skywalking.apache.org|', 'skywalking.apache.org|../x']) {
      expect(telemetryMetricOf(n)).toBeUndefined();
    }
  });

  it('validates the metric: a metric needs no CPU request, CPU alone still does', () => {
    const ok = { enabled: true, minReplicas: 1, maxReplicas: 4, metric: { name: 'trace_in_latency_count', target: '200' } };
    expect(errorsOf(ok)).toEqual([]);
    expect(errorsOf({ ...ok, metric: { name: 'persistence_timer_bulk_execute_latency', aggregation: 'mean', target: '250m' }, scaleDownStabilizationSeconds: 60 })).toEqual([]);
    expect(errorsOf({ ...ok, targetCPUUtilizationPercentage: 70 }).map(e => e.path)).toEqual(['oap.resources.requests.cpu']);
    expect(errorsOf({ enabled: true, minReplicas: 1, maxReplicas: 4 }).map(e => e.path)).toEqual(['oap.resources.requests.cpu']);
    const bad = errorsOf({
      ...ok,
      scaleDownStabilizationSeconds: 4000,
      metric: { name: 'trace_in{x="y"}', aggregation: 'max', target: -1, labels: {} },
    }).map(e => e.path);
    expect(bad.sort()).toEqual([
      'oap.autoscaling.metric.aggregation',
      'oap.autoscaling.metric.labels',
      'oap.autoscaling.metric.name',
      'oap.autoscaling.metric.target',
      'oap.autoscaling.scaleDownStabilizationSeconds',
    ]);
    for (const target of [0, '0', '1e3', 'abc', '', undefined, Infinity]) {
      expect(errorsOf({ ...ok, metric: { name: 'x', target } }).map(e => e.path)).toEqual(['oap.autoscaling.metric.target']);
    }
    expect(errorsOf({ ...ok, metric: 'trace_in_latency_count' }).map(e => e.path)).toEqual(['oap.autoscaling.metric']);
  });
});
