/**
 * OAP's HorizontalPodAutoscaler (autoscaling/v2): by CPU, and/or by OAP's own
 * load read from its telemetry (the Prometheus endpoint on port 1234 every
 * backend enables) and served to the HPA as an external metric by the portal
 * (`external.metrics.k8s.io/v1beta1`, plugins/skywalking-backend/src/externalMetrics).
 *
 * Metric naming follows SWCK's metrics adapter: `skywalking.apache.org|<name>`
 * (its `--namespace` prefix and `|`), where <name> is a sample or histogram
 * family of OAP's telemetry, e.g. `trace_in_latency_count`,
 * `persistence_timer_bulk_execute_latency`. SWCK's adapter selects a
 * SkyWalking service by labels; ours selects the OAP Deployment being scaled
 * and how its samples are aggregated.
 */
import type { FieldError } from '../api';
import { isObject, unknownKeys } from '../fields';
import type { OAPAutoscaling, OAPAutoscalingMetric } from '../backendSpec';

/** SWCK's adapter's default metric prefix (its `--namespace` flag), joined with `|`. */
export const EXTERNAL_METRIC_PREFIX = 'skywalking.apache.org|';
/** The API group and version the portal serves OAP's load under. */
export const EXTERNAL_METRICS_GROUP = 'external.metrics.k8s.io';
export const EXTERNAL_METRICS_VERSION = 'v1beta1';
/** Selector label of the external metric: the OAP Deployment (in the HPA's namespace) whose pods are measured. */
export const METRIC_DEPLOYMENT_LABEL = 'deployment';
/** Selector label of the external metric: how the pods' samples become one value (OAPMetricAggregation). */
export const METRIC_AGGREGATION_LABEL = 'aggregation';
/** OAP's telemetry port (SW_TELEMETRY_PROMETHEUS_PORT), where the samples are read. */
export const OAP_TELEMETRY_PORT = 1234;

/**
 * - `rate`: per-second increase of a counter (or of a histogram's `_count`:
 *   observations per second), summed over the pods; the HPA aims at `target`
 *   per replica (AverageValue), e.g. segments received per second per OAP.
 * - `mean`: a histogram's mean observation over the window (`_sum` / `_count`
 *   increases, all pods together), e.g. seconds per persistence bulk; the HPA
 *   scales by current / `target` (Value).
 */
export const OAP_METRIC_AGGREGATIONS = ['rate', 'mean'] as const;
export type OAPMetricAggregation = (typeof OAP_METRIC_AGGREGATIONS)[number];

/** A Prometheus metric name (no labels), as OAP's telemetry names its samples. */
export const PROMETHEUS_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]{0,199}$/;
/** A positive decimal Kubernetes quantity without exponent: "500", "2.5", "250m", "1k". */
const QUANTITY = /^(?=.*[1-9])\d{1,12}(\.\d{1,6})?(m|k|M|G)?$/;

/** The external metric's name for an OAP telemetry metric. */
export function externalMetricName(metric: string): string {
  return `${EXTERNAL_METRIC_PREFIX}${metric}`;
}

/** The OAP telemetry metric an external metric name asks for; undefined when it is not one of ours. */
export function telemetryMetricOf(externalName: string): string | undefined {
  if (!externalName.startsWith(EXTERNAL_METRIC_PREFIX)) return undefined;
  const m = externalName.slice(EXTERNAL_METRIC_PREFIX.length);
  return PROMETHEUS_NAME.test(m) ? m : undefined;
}

/** The aggregation of a metric: as given, else `rate`. */
export function aggregationOf(metric: OAPAutoscalingMetric): OAPMetricAggregation {
  return metric.aggregation ?? 'rate';
}

/** The `metrics` of OAP's HPA: the external metric when configured, CPU when asked for (or when no metric is). */
export function oapHpaMetrics(a: OAPAutoscaling, deployment: string, defaultCpuTarget: number): Record<string, any>[] {
  const out: Record<string, any>[] = [];
  if (a.metric) {
    const aggregation = aggregationOf(a.metric);
    const target = String(a.metric.target);
    out.push({
      type: 'External',
      external: {
        metric: {
          name: externalMetricName(a.metric.name),
          selector: { matchLabels: { [METRIC_DEPLOYMENT_LABEL]: deployment, [METRIC_AGGREGATION_LABEL]: aggregation } },
        },
        target: aggregation === 'rate' ? { type: 'AverageValue', averageValue: target } : { type: 'Value', value: target },
      },
    });
  }
  if (!a.metric || a.targetCPUUtilizationPercentage !== undefined) {
    out.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.targetCPUUtilizationPercentage ?? defaultCpuTarget } } });
  }
  return out;
}

/** The HPA `spec` of one autoscaled OAP Deployment. */
export function oapHpaSpec(a: OAPAutoscaling, deployment: string, defaultCpuTarget: number): Record<string, any> {
  return {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment },
    minReplicas: a.minReplicas,
    maxReplicas: a.maxReplicas,
    metrics: oapHpaMetrics(a, deployment, defaultCpuTarget),
    ...(a.scaleDownStabilizationSeconds !== undefined ? { behavior: { scaleDown: { stabilizationWindowSeconds: a.scaleDownStabilizationSeconds } } } : {}),
  };
}

/** Whether the HPA measures CPU (then the pods must request CPU). */
export function usesCpu(a: Record<string, any>): boolean {
  return a.metric === undefined || a.targetCPUUtilizationPercentage !== undefined;
}

/** oap.autoscaling.metric and oap.autoscaling.scaleDownStabilizationSeconds. */
export function validateAutoscalingMetric(errors: FieldError[], a: Record<string, any>) {
  const s = a.scaleDownStabilizationSeconds;
  if (s !== undefined && !(Number.isInteger(s) && s >= 0 && s <= 3600)) {
    errors.push({ path: 'oap.autoscaling.scaleDownStabilizationSeconds', message: `must be an integer from 0 to 3600 (the HPA's default is 300), got ${JSON.stringify(s)}` });
  }
  const m = a.metric;
  if (m === undefined) return;
  const path = 'oap.autoscaling.metric';
  if (!isObject(m)) {
    errors.push({ path, message: 'must be an object such as { "name": "trace_in_latency_count", "aggregation": "rate", "target": "200" }' });
    return;
  }
  unknownKeys(errors, path, m, ['name', 'aggregation', 'target']);
  if (typeof m.name !== 'string' || !PROMETHEUS_NAME.test(m.name)) {
    errors.push({ path: `${path}.name`, message: `${JSON.stringify(m.name)} is not a metric of OAP's telemetry (a Prometheus name such as trace_in_latency_count or persistence_timer_bulk_execute_latency)` });
  }
  if (m.aggregation !== undefined && !OAP_METRIC_AGGREGATIONS.includes(m.aggregation)) {
    errors.push({ path: `${path}.aggregation`, message: `must be one of ${OAP_METRIC_AGGREGATIONS.join(', ')}, got ${JSON.stringify(m.aggregation)}` });
  }
  const t = m.target;
  const ok = (typeof t === 'number' && Number.isFinite(t) && t > 0 && QUANTITY.test(String(t))) || (typeof t === 'string' && QUANTITY.test(t));
  if (!ok) {
    errors.push({ path: `${path}.target`, message: `is required: a positive quantity such as 200, "2.5" or "250m" (per replica for rate, the whole value for mean), got ${JSON.stringify(t)}` });
  }
}
