import type { OapEntity, OapExpressionResult } from './common';
import type { MetricKind, OapDoubleTrafficSource } from './traffic';

/**
 * The small part of MQE (SkyWalking's Metrics Query Expression) the double
 * understands: `metric`, `metric{p='50,99'}`, and those inside one of
 * `avg(...)`, `sum(...)`, `max(...)`, `min(...)`, `latest(...)`. Anything
 * else answers like OAP does for an expression it cannot resolve:
 * `type: UNKNOWN` with an `error`.
 */

type Scope =
  | 'service'
  | 'instance'
  | 'serviceRelation'
  | 'instanceRelation'
  | 'generalService'
  | 'generalRelation';

/**
 * GENERAL-layer metrics (OAP 10.1.0 oal/core.oal) the double has values for:
 * service and service relation metrics of the agents.
 */
const GENERAL_METRICS: Record<string, { scope: Scope; kind: MetricKind }> = {
  service_cpm: { scope: 'generalService', kind: 'cpm' },
  service_resp_time: { scope: 'generalService', kind: 'latency' },
  service_percentile: { scope: 'generalService', kind: 'percentile' },
  service_sla: { scope: 'generalService', kind: 'successRate' },
};
for (const side of ['server', 'client']) {
  const r = `service_relation_${side}`;
  GENERAL_METRICS[`${r}_cpm`] = { scope: 'generalRelation', kind: 'cpm' };
  GENERAL_METRICS[`${r}_resp_time`] = {
    scope: 'generalRelation',
    kind: 'latency',
  };
  GENERAL_METRICS[`${r}_percentile`] = {
    scope: 'generalRelation',
    kind: 'percentile',
  };
  GENERAL_METRICS[`${r}_call_sla`] = {
    scope: 'generalRelation',
    kind: 'successRate',
  };
}

const SUFFIXES: Array<[string, MetricKind]> = [
  ['_http_call_successful_rate', 'successRate'],
  ['_http_success_cpm', 'successCpm'],
  ['_http_status_5xx_cpm', 'errorCpm'],
  ['_http_call_cpm', 'cpm'],
  ['_http_call_time', 'latency'],
  ['_percentile', 'percentile'],
  ['_read_package_size', 'bytesIn'],
  ['_write_package_size', 'bytesOut'],
];

/** Metric names (OAP's ebpf.oal and, for GENERAL, core.oal) the double has values for. */
export function doubleMetricNames(): string[] {
  const out: string[] = [];
  const add = (prefix: string, kinds: string[]) =>
    kinds.forEach(k => out.push(prefix + k));
  const node = [
    '_http_call_cpm',
    '_http_status_5xx_cpm',
    '_http_call_time',
    '_percentile',
    '_http_call_successful_rate',
    '_read_package_size',
    '_write_package_size',
  ];
  add('kubernetes_service', node);
  add('kubernetes_service_instance', node);
  for (const side of ['server', 'client']) {
    add(`kubernetes_service_relation_${side}`, [
      '_http_call_cpm',
      '_http_success_cpm',
      '_http_call_time',
      '_percentile',
      '_read_package_size',
      '_write_package_size',
    ]);
    add(`kubernetes_service_instance_relation_${side}`, [
      '_http_call_cpm',
      '_http_status_5xx_cpm',
      '_http_call_time',
      '_percentile',
      '_read_package_size',
      '_write_package_size',
    ]);
  }
  return [...out, ...Object.keys(GENERAL_METRICS)];
}

const KNOWN = new Set(doubleMetricNames());

function scopeOf(metric: string): Scope {
  if (metric.startsWith('kubernetes_service_instance_relation_'))
    return 'instanceRelation';
  if (metric.startsWith('kubernetes_service_relation_'))
    return 'serviceRelation';
  if (metric.startsWith('kubernetes_service_instance_')) return 'instance';
  return 'service';
}

const unknown = (error: string): OapExpressionResult => ({
  type: 'UNKNOWN',
  error,
  results: [],
});

/** Evaluates an MQE expression against the traffic source. */
export function evaluateExpression(
  source: OapDoubleTrafficSource,
  expression: string,
  entity: OapEntity,
  points: number[],
): OapExpressionResult {
  const text = expression.trim();
  const outer = /^(avg|sum|max|min|latest)\s*\((.*)\)$/s.exec(text);
  const inner = (outer ? outer[2] : text).trim();
  const m = /^([a-z0-9_]+)\s*(?:\{\s*p\s*=\s*'([0-9,\s]+)'\s*\})?$/.exec(inner);
  if (!m)
    return unknown(
      `OAP test double: unsupported MQE expression "${expression}"`,
    );
  const [, metric, labelText] = m;
  if (!KNOWN.has(metric)) return unknown(`Metric: [${metric}] dose not exist.`);
  const general = GENERAL_METRICS[metric];
  const kind = general
    ? general.kind
    : SUFFIXES.find(([suffix]) => metric.endsWith(suffix))![1];
  const scope = general ? general.scope : scopeOf(metric);

  let key: string | undefined;
  const svc = entity.serviceName
    ? source.serviceByName(entity.serviceName)
    : undefined;
  const dst = entity.destServiceName
    ? source.serviceByName(entity.destServiceName)
    : undefined;
  const agent = (name: unknown) =>
    source.general.services.find(s => s.name === name);
  switch (scope) {
    case 'generalService': {
      const a = agent(entity.serviceName);
      key = a?.isReal ? `general:${a.id}` : undefined;
      break;
    }
    case 'generalRelation': {
      const a = agent(entity.serviceName);
      const b = agent(entity.destServiceName);
      const r =
        a && b
          ? source.general.relations.find(
              x => x.source === a.id && x.target === b.id,
            )
          : undefined;
      // only the side that saw the call has values (a peer has no server side)
      const side = metric.includes('_client_') ? 'CLIENT' : 'SERVER';
      key = r?.detectPoints.includes(side) ? `general:${r.id}` : undefined;
      break;
    }
    case 'service':
      key = svc?.id;
      break;
    case 'instance':
      key =
        svc && entity.serviceInstanceName
          ? source.instanceByName(svc.name, entity.serviceInstanceName)?.id
          : undefined;
      break;
    case 'serviceRelation':
      key =
        svc && dst
          ? source.relations.find(
              r => r.source === svc.id && r.target === dst.id,
            )?.id
          : undefined;
      break;
    case 'instanceRelation': {
      const a =
        svc && entity.serviceInstanceName
          ? source.instanceByName(svc.name, entity.serviceInstanceName)
          : undefined;
      const b =
        dst && entity.destServiceInstanceName
          ? source.instanceByName(dst.name, entity.destServiceInstanceName)
          : undefined;
      key =
        a && b
          ? source.instanceRelations.find(
              r => r.source === a.id && r.target === b.id,
            )?.id
          : undefined;
      break;
    }
    default:
      break;
  }
  const sideKey = key
    ? `${metric.includes('_client_') ? 'client' : 'server'}:${key}`
    : undefined;

  const labels: Array<number | undefined> =
    kind === 'percentile'
      ? (labelText ?? '50,75,90,95,99').split(',').map(s => Number(s.trim()))
      : [undefined];
  if (kind !== 'percentile' && labelText) {
    return unknown(`OAP test double: ${metric} has no label p`);
  }

  const results = labels.map(p => {
    const series = points.map(t => ({
      id: String(t),
      value: sideKey ? source.value(kind, sideKey, t, p) : null,
    }));
    const metricLabels =
      p === undefined ? [] : [{ key: 'p', value: String(p) }];
    if (!outer) {
      return {
        metric: { labels: metricLabels },
        values: series.map(v => ({
          id: v.id,
          value: v.value === null ? null : String(v.value),
        })),
      };
    }
    const nums = series
      .map(v => v.value)
      .filter((v): v is number => v !== null);
    let agg: number | null = null;
    if (nums.length) {
      switch (outer[1]) {
        case 'avg':
          agg = nums.reduce((a, b) => a + b, 0) / nums.length;
          break;
        case 'sum':
          agg = nums.reduce((a, b) => a + b, 0);
          break;
        case 'max':
          agg = Math.max(...nums);
          break;
        case 'min':
          agg = Math.min(...nums);
          break;
        default:
          agg = nums[nums.length - 1];
      }
    }
    return {
      metric: { labels: metricLabels },
      values: [
        {
          id: null,
          value: agg === null ? null : String(Math.round(agg * 100) / 100),
        },
      ],
    };
  });
  return {
    type: outer ? 'SINGLE_VALUE' : 'TIME_SERIES_VALUES',
    error: null,
    results,
  };
}
