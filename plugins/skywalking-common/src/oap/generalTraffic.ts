import type { OapClient, OapExpressionRequest } from './client';
import { OapDuration, OapStep, makeDuration } from './duration';
import {
  K8S_SERVICE_LAYER,
  TRAFFIC_PERCENTILES,
  TrafficMetrics,
  percentileValues,
  singleValue,
} from './kubernetesTraffic';
import type {
  OapCall,
  OapDetectPoint,
  OapEntity,
  OapExpressionResult,
  OapTopologyNode,
} from './types';

/** OAP's layer of services the language agents report (traces). @public */
export const GENERAL_LAYER = 'GENERAL';

/**
 * Metric names from OAP 10.1.0's `oal/core.oal` (apache/skywalking v10.1.0,
 * oap-server/server-starter/src/main/resources/oal/core.oal): service
 * metrics and relation metrics per detect point. `*_sla` is `percent()`
 * (10000 = 100 %), `*_percentile` is `percentile2(10)` (label `p`).
 * @public
 */
export const GENERAL_METRICS = {
  service: {
    cpm: 'service_cpm',
    latency: 'service_resp_time',
    percentile: 'service_percentile',
    sla: 'service_sla',
  },
  serviceRelation: (side: 'server' | 'client') => ({
    cpm: `service_relation_${side}_cpm`,
    latency: `service_relation_${side}_resp_time`,
    percentile: `service_relation_${side}_percentile`,
    sla: `service_relation_${side}_call_sla`,
  }),
} as const;

/** @public */
export interface GeneralService {
  id: string;
  /** OAP service name: the agent's `SW_AGENT_NAME`, or a peer (`host:port`, `User`). */
  name: string;
  /** False for a conjectural node (a peer the agents call, OAP's `User`). */
  isReal: boolean;
  type: string | null;
  /** K8S_SERVICE services (`name.namespace`) below it in OAP's layer hierarchy. */
  k8sServices: string[];
  metrics: TrafficMetrics;
}

/** @public */
export interface GeneralRelation {
  id: string;
  source: string;
  target: string;
  sourceName: string;
  targetName: string;
  detectPoints: OapDetectPoint[];
  components: string[];
  /** `server` when the callee's agent saw the call, else `client`. */
  side: 'server' | 'client';
  metrics: TrafficMetrics;
}

/** @public */
export interface GeneralTraffic {
  layer: string;
  window: { from: string; to: string; step: OapStep; duration: OapDuration };
  services: GeneralService[];
  relations: GeneralRelation[];
  /** Asked-for names OAP has no GENERAL service for (no agent reported). */
  missing: string[];
  /** MQE expressions or hierarchy queries OAP could not answer. */
  warnings: string[];
}

/** @public */
export interface FetchGeneralTrafficOptions {
  from: Date | number;
  to: Date | number;
  /** Agent service names (`SW_AGENT_NAME`) to start from. */
  services: string[];
  /**
   * Also start from GENERAL services with these short names (OAP's hierarchy
   * rule GENERAL -> K8S_SERVICE: the short name is the Kubernetes Service name).
   */
  shortNames?: string[];
  step?: OapStep;
  utcOffsetMinutes?: number;
  coldStage?: boolean;
  /** Ask OAP's layer hierarchy for the K8S_SERVICE service of each agent; default true. */
  hierarchy?: boolean;
}

const avg = (metric: string) => `avg(${metric})`;
const avgPercentiles = (metric: string) =>
  `avg(${metric}{p='${TRAFFIC_PERCENTILES.join(',')}'})`;

function compact(m: TrafficMetrics): TrafficMetrics {
  const out: TrafficMetrics = {};
  for (const [k, v] of Object.entries(m)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

type MetricNames = {
  cpm: string;
  latency: string;
  percentile: string;
  sla: string;
};

/** The four expressions of a node or relation, and how their results read. */
function plan(names: MetricNames, entity: OapEntity) {
  const requests: OapExpressionRequest[] = [
    avg(names.cpm),
    avg(names.latency),
    avgPercentiles(names.percentile),
    avg(names.sla),
  ].map(expression => ({ expression, entity }));
  const read = (r: OapExpressionResult[]) => {
    const sla = singleValue(r[3]);
    return compact({
      cpm: singleValue(r[0]),
      latencyMs: singleValue(r[1]),
      percentilesMs: percentileValues(r[2]),
      successRate: sla === undefined ? undefined : sla / 10000,
    });
  };
  return { requests, read };
}

const sideOf = (d: OapDetectPoint[]): 'server' | 'client' =>
  d.includes('SERVER') || !d.includes('CLIENT') ? 'server' : 'client';

/**
 * Reads OAP's GENERAL layer around the given agent services: their service
 * topology (`getServicesTopology`, which includes the peers they call and
 * the services calling them), each real service's K8S_SERVICE counterpart
 * from OAP's layer hierarchy (`getServiceHierarchy`), and metrics of nodes
 * and relations (MQE, batched). Hierarchy and MQE failures become warnings.
 *
 * Requests: `listServices(layer: "GENERAL")`, one topology query, one
 * batched hierarchy query, batched MQE (4 expressions per entity).
 * @public
 */
export async function fetchGeneralTraffic(
  client: OapClient,
  options: FetchGeneralTrafficOptions,
): Promise<GeneralTraffic> {
  const duration = makeDuration(options.from, options.to, {
    step: options.step,
    utcOffsetMinutes: options.utcOffsetMinutes,
    coldStage: options.coldStage,
  });
  const ms = (t: Date | number) => (typeof t === 'number' ? t : t.getTime());
  const window = {
    from: new Date(ms(options.from)).toISOString(),
    to: new Date(ms(options.to)).toISOString(),
    step: duration.step,
    duration,
  };
  const warnings: string[] = [];

  const wanted = new Set(options.services);
  const short = new Set(options.shortNames ?? []);
  const listed = await client.listServices(GENERAL_LAYER);
  const start = listed.filter(
    s => wanted.has(s.name) || short.has(s.shortName),
  );
  const found = new Set(start.map(s => s.name));
  const missing = [...wanted].filter(n => !found.has(n)).sort();
  if (!start.length) {
    return {
      layer: GENERAL_LAYER,
      window,
      services: [],
      relations: [],
      missing,
      warnings,
    };
  }

  const topology = await client.getServicesTopology(
    start.map(s => s.id),
    duration,
  );
  // the asked-for services even when they have no call in the window
  const nodes = new Map<string, OapTopologyNode>();
  for (const s of start)
    nodes.set(s.id, {
      id: s.id,
      name: s.name,
      type: null,
      isReal: true,
      layers: s.layers,
    });
  for (const n of topology.nodes) nodes.set(n.id, n);
  const services: GeneralService[] = [...nodes.values()].map(n => ({
    id: n.id,
    name: n.name,
    isReal: n.isReal,
    type: n.type,
    k8sServices: [],
    metrics: {},
  }));
  const byId = new Map(services.map(s => [s.id, s]));
  const relations: GeneralRelation[] = topology.calls.map((c: OapCall) => ({
    id: c.id,
    source: c.source,
    target: c.target,
    sourceName: byId.get(c.source)?.name ?? c.source,
    targetName: byId.get(c.target)?.name ?? c.target,
    detectPoints: c.detectPoints,
    components: [...new Set([...c.sourceComponents, ...c.targetComponents])],
    side: sideOf(c.detectPoints),
    metrics: {},
  }));

  const real = services.filter(s => s.isReal);
  if (options.hierarchy !== false && real.length) {
    try {
      const hierarchies = await client.getServiceHierarchies(
        real.map(s => s.id),
        GENERAL_LAYER,
      );
      real.forEach((s, i) => {
        const names = new Set<string>();
        for (const rel of hierarchies[i]?.relations ?? []) {
          for (const [self, other] of [
            [rel.upperService, rel.lowerService],
            [rel.lowerService, rel.upperService],
          ]) {
            if (self.id === s.id && other.layer === K8S_SERVICE_LAYER)
              names.add(other.name);
          }
        }
        s.k8sServices = [...names].sort();
      });
    } catch (e) {
      warnings.push(
        `GENERAL layer: OAP's service hierarchy could not be read: ${
          (e as Error).message
        }`,
      );
    }
  }

  const plans: Array<{
    requests: OapExpressionRequest[];
    apply: (r: OapExpressionResult[]) => void;
  }> = [];
  for (const s of real) {
    const p = plan(GENERAL_METRICS.service, {
      serviceName: s.name,
      normal: true,
    });
    plans.push({ requests: p.requests, apply: r => (s.metrics = p.read(r)) });
  }
  for (const rel of relations) {
    const p = plan(GENERAL_METRICS.serviceRelation(rel.side), {
      serviceName: rel.sourceName,
      normal: byId.get(rel.source)?.isReal ?? true,
      destServiceName: rel.targetName,
      destNormal: byId.get(rel.target)?.isReal ?? true,
    });
    plans.push({ requests: p.requests, apply: r => (rel.metrics = p.read(r)) });
  }
  const requests = plans.flatMap(p => p.requests);
  if (requests.length) {
    const results = await client.execExpressions(requests, duration);
    results.forEach((r, i) => {
      if (r && (r.error || r.type === 'UNKNOWN')) {
        const req = requests[i];
        warnings.push(
          `${req.expression} @ ${JSON.stringify(req.entity)}: ${
            r.error ?? 'UNKNOWN result'
          }`,
        );
      }
    });
    let offset = 0;
    for (const p of plans) {
      p.apply(results.slice(offset, offset + p.requests.length));
      offset += p.requests.length;
    }
  }

  return {
    layer: GENERAL_LAYER,
    window,
    services,
    relations,
    missing,
    warnings: warnings.slice(0, 50),
  };
}
