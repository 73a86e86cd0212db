/* Which MQE expressions a K8S_SERVICE entity is asked, and how they read. */
import type { OapExpressionRequest } from './client';
import type { TrafficMetrics } from './kubernetesTraffic';
import {
  TRAFFIC_PERCENTILES,
  percentileValues,
  singleValue,
} from './mqeValues';
import type { OapEntity, OapExpressionResult } from './types';

/**
 * Metric names from OAP's `oal/ebpf.oal` (apache/skywalking,
 * oap-server/server-starter/src/main/resources/oal/ebpf.oal). HTTP metrics of
 * services and instances are server-side (`detectPoint == SERVER`); relation
 * metrics exist per side, `server` or `client`.
 *
 * Two generations: OAP 10.1.0 defines `*_http_call_duration` (latency sum)
 * and no percentiles; 10.2.0 (apache/skywalking#12726) added
 * `*_http_call_time` (average), `*_percentile` and `*_successful_rate`.
 * `cpm`, `*_http_status_5xx_cpm`, `*_http_success_cpm` (relations) and the
 * package sizes are in both, so success rates come from those, latency from
 * whichever generation answers, percentiles only from 10.2+.
 * @public
 */
export const K8S_SERVICE_METRICS = {
  service: {
    cpm: 'kubernetes_service_http_call_cpm',
    latency: 'kubernetes_service_http_call_time',
    percentile: 'kubernetes_service_percentile',
    /** `percent()`: 10000 = 100 %. OAP 10.2+. */
    successRate: 'kubernetes_service_http_call_successful_rate',
    /** Sum of latencies per minute (OAP 10.1.0): latency = duration / cpm. */
    duration: 'kubernetes_service_http_call_duration',
    errorCpm: 'kubernetes_service_http_status_5xx_cpm',
    bytesIn: 'kubernetes_service_read_package_size',
    bytesOut: 'kubernetes_service_write_package_size',
  },
  instance: {
    cpm: 'kubernetes_service_instance_http_call_cpm',
    latency: 'kubernetes_service_instance_http_call_time',
    percentile: 'kubernetes_service_instance_percentile',
    successRate: 'kubernetes_service_instance_http_call_successful_rate',
    duration: 'kubernetes_service_instance_http_call_duration',
    errorCpm: 'kubernetes_service_instance_http_status_5xx_cpm',
    bytesIn: 'kubernetes_service_instance_read_package_size',
    bytesOut: 'kubernetes_service_instance_write_package_size',
  },
  serviceRelation: (side: 'server' | 'client') => ({
    cpm: `kubernetes_service_relation_${side}_http_call_cpm`,
    successCpm: `kubernetes_service_relation_${side}_http_success_cpm`,
    latency: `kubernetes_service_relation_${side}_http_call_time`,
    duration: `kubernetes_service_relation_${side}_http_call_duration`,
    percentile: `kubernetes_service_relation_${side}_percentile`,
    /** Bytes the source wrote = bytes out of the source. */
    bytesOut: `kubernetes_service_relation_${side}_write_package_size`,
    bytesIn: `kubernetes_service_relation_${side}_read_package_size`,
  }),
  instanceRelation: (side: 'server' | 'client') => ({
    cpm: `kubernetes_service_instance_relation_${side}_http_call_cpm`,
    /** No success cpm per instance relation in ebpf.oal; success = 1 - 5xx/cpm. */
    errorCpm: `kubernetes_service_instance_relation_${side}_http_status_5xx_cpm`,
    latency: `kubernetes_service_instance_relation_${side}_http_call_time`,
    duration: `kubernetes_service_instance_relation_${side}_http_call_duration`,
    percentile: `kubernetes_service_instance_relation_${side}_percentile`,
    bytesOut: `kubernetes_service_instance_relation_${side}_write_package_size`,
    bytesIn: `kubernetes_service_instance_relation_${side}_read_package_size`,
  }),
} as const;

const avg = (metric: string) => `avg(${metric})`;
const avgPercentiles = (metric: string) =>
  `avg(${metric}{p='${TRAFFIC_PERCENTILES.join(',')}'})`;

/** One expression of a plan; `optional` ones are not warned about one by one. */
export type PlanRequest = OapExpressionRequest & { optional?: boolean };

export interface Plan {
  requests: PlanRequest[];
  /** Reads the results into the target; returns warnings of its own. */
  apply: (results: OapExpressionResult[]) => string[];
}

function compact(m: TrafficMetrics): TrafficMetrics {
  const out: TrafficMetrics = {};
  for (const [k, v] of Object.entries(m)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

const failed = (r: OapExpressionResult | undefined) =>
  !r || !!r.error || r.type === 'UNKNOWN';

/**
 * The expressions every K8S_SERVICE entity gets: cpm, errors (5xx or
 * success cpm), latency of both OAP generations (10.2+ average, 10.1.0
 * duration / cpm as 10.1.0's own UI templates compute it), percentiles
 * (10.2+ only, so never warned about) and package sizes.
 */
export function trafficPlan(
  names: {
    cpm: string;
    latency: string;
    duration: string;
    percentile: string;
    bytesIn: string;
    bytesOut: string;
  },
  outcome: { errorCpm: string } | { successCpm: string },
  entity: OapEntity,
  target: { metrics: TrafficMetrics },
): Plan {
  const okName = 'errorCpm' in outcome ? outcome.errorCpm : outcome.successCpm;
  const requests: PlanRequest[] = [
    { expression: avg(names.cpm), entity },
    { expression: avg(okName), entity },
    { expression: avg(names.latency), entity, optional: true },
    {
      expression: `avg(${names.duration}/${names.cpm})`,
      entity,
      optional: true,
    },
    { expression: avgPercentiles(names.percentile), entity, optional: true },
    { expression: avg(names.bytesIn), entity },
    { expression: avg(names.bytesOut), entity },
  ];
  return {
    requests,
    apply: r => {
      const cpm = singleValue(r[0]);
      const other = singleValue(r[1]);
      let successRate: number | undefined;
      if (cpm && other !== undefined) {
        successRate =
          'errorCpm' in outcome
            ? Math.max(0, 1 - other / cpm)
            : Math.min(1, other / cpm);
      }
      target.metrics = compact({
        cpm,
        successRate,
        latencyMs: singleValue(r[2]) ?? singleValue(r[3]),
        percentilesMs: percentileValues(r[4]),
        bytesInPerMin: singleValue(r[5]),
        bytesOutPerMin: singleValue(r[6]),
      });
      // latency: a warning only when neither generation answered
      return failed(r[2]) && failed(r[3])
        ? [
            `${requests[2].expression} / ${
              requests[3].expression
            } @ ${JSON.stringify(entity)}: ${
              r[2]?.error ?? 'UNKNOWN result'
            }; ${r[3]?.error ?? 'UNKNOWN result'}`,
          ]
        : [];
    },
  };
}
