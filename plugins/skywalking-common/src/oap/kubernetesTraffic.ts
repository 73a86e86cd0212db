import type { OapClient } from './client';
import { K8S_SERVICE_METRICS, Plan, trafficPlan } from './k8sServiceMetrics';
import { OapDuration, OapStep, makeDuration } from './duration';
import type {
  OapCall,
  OapDetectPoint,
  OapInstanceNode,
  OapTopologyNode,
} from './types';

export { K8S_SERVICE_METRICS } from './k8sServiceMetrics';
export {
  TRAFFIC_PERCENTILES,
  percentileValues,
  singleValue,
} from './mqeValues';

/** OAP's layer of services built from Rover's access logs. @public */
export const K8S_SERVICE_LAYER = 'K8S_SERVICE';

/**
 * Traffic metrics of a node or an edge, averaged over the window.
 * @public
 */
export interface TrafficMetrics {
  /** HTTP calls per minute. */
  cpm?: number;
  /** Average HTTP latency, ms. */
  latencyMs?: number;
  /** Latency percentiles, ms, keyed `p50`, `p75`, ... */
  percentilesMs?: Partial<
    Record<'p50' | 'p75' | 'p90' | 'p95' | 'p99', number>
  >;
  /** 0..1 share of successful (status < 500) HTTP calls. */
  successRate?: number;
  /** Bytes read per minute (into the node / into the edge's source). */
  bytesInPerMin?: number;
  /** Bytes written per minute. */
  bytesOutPerMin?: number;
}

/** @public */
export interface TrafficService {
  /** OAP service id (`base64(name).1`). */
  id: string;
  /** OAP service name: `[cluster::]name.namespace`. */
  name: string;
  /** Kubernetes Service name and namespace parsed from `name`. */
  serviceName: string;
  namespace: string;
  cluster?: string;
  isReal: boolean;
  metrics: TrafficMetrics;
}

/** @public */
export interface TrafficInstance {
  id: string;
  /** Pod name. */
  name: string;
  serviceId: string;
  serviceName: string;
  metrics: TrafficMetrics;
}

/** @public */
export interface TrafficRelation {
  id: string;
  source: string;
  target: string;
  sourceName: string;
  targetName: string;
  detectPoints: OapDetectPoint[];
  components: string[];
  /** Which side's relation metrics were used. */
  side: 'server' | 'client';
  metrics: TrafficMetrics;
}

/** @public */
export interface TrafficInstanceRelation extends TrafficRelation {
  sourceServiceName: string;
  targetServiceName: string;
}

/** @public */
export interface KubernetesTraffic {
  layer: string;
  window: { from: string; to: string; step: OapStep; duration: OapDuration };
  services: TrafficService[];
  instances: TrafficInstance[];
  relations: TrafficRelation[];
  instanceRelations: TrafficInstanceRelation[];
  /** MQE expressions OAP could not answer (error text per expression). */
  warnings: string[];
}

/** @public */
export interface FetchKubernetesTrafficOptions {
  from: Date | number;
  to: Date | number;
  /** OAP service names (`name.namespace`) to restrict to; default all. */
  services?: string[];
  step?: OapStep;
  /** OAP server time zone, minutes east of UTC (see `parseOapTimezone`). */
  utcOffsetMinutes?: number;
  coldStage?: boolean;
  /** Skip instance topologies and instance metrics. */
  skipInstances?: boolean;
}

/**
 * Splits an OAP K8S_SERVICE service name, `[cluster::]name.namespace` (see
 * OAP's AccessLogServiceHandler#buildRemoteAddress), into its parts.
 * Returns undefined when the name has no namespace part.
 * @public
 */
export function parseK8sServiceName(
  oapName: string,
): { cluster?: string; name: string; namespace: string } | undefined {
  let rest = oapName;
  let cluster: string | undefined;
  const sep = rest.indexOf('::');
  if (sep >= 0) {
    cluster = rest.slice(0, sep);
    rest = rest.slice(sep + 2);
  }
  // Service names and namespaces are DNS labels (no dots).
  const dot = rest.indexOf('.');
  if (dot <= 0 || dot === rest.length - 1) return undefined;
  const name = rest.slice(0, dot);
  const namespace = rest.slice(dot + 1);
  if (namespace.includes('.')) return undefined;
  return cluster ? { cluster, name, namespace } : { name, namespace };
}

function sideOf(detectPoints: OapDetectPoint[]): 'server' | 'client' {
  return detectPoints.includes('SERVER') || !detectPoints.includes('CLIENT')
    ? 'server'
    : 'client';
}

function toService(node: OapTopologyNode): TrafficService {
  const parsed = parseK8sServiceName(node.name);
  return {
    id: node.id,
    name: node.name,
    serviceName: parsed?.name ?? node.name,
    namespace: parsed?.namespace ?? '',
    ...(parsed?.cluster ? { cluster: parsed.cluster } : {}),
    isReal: node.isReal,
    metrics: {},
  };
}

/**
 * Reads the Kubernetes service layer (`K8S_SERVICE`, built by OAP from
 * SkyWalking Rover's access logs): services, their instances (pods),
 * service and instance relations, and traffic metrics of each, averaged over
 * `[from, to]`.
 *
 * Requests: one topology query, one batched instance-topology query per 100
 * calls, and batched MQE requests (6 expressions per entity, 100 per request).
 * @public
 */
export async function fetchKubernetesTraffic(
  client: OapClient,
  options: FetchKubernetesTrafficOptions,
): Promise<KubernetesTraffic> {
  const duration = makeDuration(options.from, options.to, {
    step: options.step,
    utcOffsetMinutes: options.utcOffsetMinutes,
    coldStage: options.coldStage,
  });
  const fromMs =
    typeof options.from === 'number' ? options.from : options.from.getTime();
  const toMs =
    typeof options.to === 'number' ? options.to : options.to.getTime();

  let topology;
  if (options.services) {
    const wanted = new Set(options.services);
    const all = await client.listServices(K8S_SERVICE_LAYER);
    const ids = all.filter(s => wanted.has(s.name)).map(s => s.id);
    topology = ids.length
      ? await client.getServicesTopology(ids, duration)
      : { nodes: [], calls: [] };
  } else {
    topology = await client.getGlobalTopology(duration, K8S_SERVICE_LAYER);
  }

  const services = topology.nodes.map(toService);
  const byId = new Map(services.map(s => [s.id, s]));
  const nameOf = (id: string) => byId.get(id)?.name ?? id;

  const relations: TrafficRelation[] = topology.calls.map((c: OapCall) => ({
    id: c.id,
    source: c.source,
    target: c.target,
    sourceName: nameOf(c.source),
    targetName: nameOf(c.target),
    detectPoints: c.detectPoints,
    components: [...new Set([...c.sourceComponents, ...c.targetComponents])],
    side: sideOf(c.detectPoints),
    metrics: {},
  }));

  const instances: TrafficInstance[] = [];
  const instanceRelations: TrafficInstanceRelation[] = [];
  if (!options.skipInstances && relations.length) {
    const topologies = await client.getServiceInstanceTopologies(
      relations.map(r => ({
        clientServiceId: r.source,
        serverServiceId: r.target,
      })),
      duration,
    );
    const seen = new Map<string, OapInstanceNode>();
    const seenCalls = new Set<string>();
    for (const t of topologies) {
      for (const n of t.nodes) seen.set(n.id, n);
      for (const c of t.calls) {
        if (seenCalls.has(c.id)) continue;
        seenCalls.add(c.id);
        const src = t.nodes.find(n => n.id === c.source);
        const dst = t.nodes.find(n => n.id === c.target);
        instanceRelations.push({
          id: c.id,
          source: c.source,
          target: c.target,
          sourceName: src?.name ?? c.source,
          targetName: dst?.name ?? c.target,
          sourceServiceName: src?.serviceName ?? '',
          targetServiceName: dst?.serviceName ?? '',
          detectPoints: c.detectPoints,
          components: [
            ...new Set([...c.sourceComponents, ...c.targetComponents]),
          ],
          side: sideOf(c.detectPoints),
          metrics: {},
        });
      }
    }
    for (const n of seen.values()) {
      if (!n.isReal) continue;
      instances.push({
        id: n.id,
        name: n.name,
        serviceId: n.serviceId,
        serviceName: n.serviceName,
        metrics: {},
      });
    }
  }

  const plans: Plan[] = [];
  for (const s of services) {
    if (!s.isReal) continue;
    plans.push(
      trafficPlan(
        K8S_SERVICE_METRICS.service,
        K8S_SERVICE_METRICS.service,
        { serviceName: s.name, normal: true },
        s,
      ),
    );
  }
  for (const i of instances) {
    plans.push(
      trafficPlan(
        K8S_SERVICE_METRICS.instance,
        K8S_SERVICE_METRICS.instance,
        {
          serviceName: i.serviceName,
          serviceInstanceName: i.name,
          normal: true,
        },
        i,
      ),
    );
  }
  for (const r of relations) {
    plans.push(
      trafficPlan(
        K8S_SERVICE_METRICS.serviceRelation(r.side),
        K8S_SERVICE_METRICS.serviceRelation(r.side),
        {
          serviceName: r.sourceName,
          normal: byId.get(r.source)?.isReal ?? true,
          destServiceName: r.targetName,
          destNormal: byId.get(r.target)?.isReal ?? true,
        },
        r,
      ),
    );
  }
  for (const r of instanceRelations) {
    plans.push(
      trafficPlan(
        K8S_SERVICE_METRICS.instanceRelation(r.side),
        K8S_SERVICE_METRICS.instanceRelation(r.side),
        {
          serviceName: r.sourceServiceName,
          serviceInstanceName: r.sourceName,
          normal: true,
          destServiceName: r.targetServiceName,
          destServiceInstanceName: r.targetName,
          destNormal: true,
        },
        r,
      ),
    );
  }

  const requests = plans.flatMap(p => p.requests);
  const results = requests.length
    ? await client.execExpressions(requests, duration)
    : [];
  const warnings: string[] = [];
  results.forEach((r, i) => {
    if (r && (r.error || r.type === 'UNKNOWN') && !requests[i].optional) {
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
    warnings.push(
      ...p.apply(results.slice(offset, offset + p.requests.length)),
    );
    offset += p.requests.length;
  }

  return {
    layer: K8S_SERVICE_LAYER,
    window: {
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      step: duration.step,
      duration,
    },
    services,
    instances,
    relations,
    instanceRelations,
    warnings: warnings.slice(0, 50),
  };
}
