import type { TrafficMetrics } from '../oap/kubernetesTraffic';
import { Resolver, describeEndpoint, nodeId } from './resolve';
import type {
  StructuralGraph,
  StructuralPod,
  TopologyEdge,
  TopologyEdgeKind,
  TopologyGraph,
  TopologyNode,
  TopologyTrafficInput,
  UnresolvedSample,
} from './types';

/**
 * Which layer's metrics an edge or node shows as its `metrics` when several
 * layers saw it: the Kubernetes layer (every call, agent or not) first.
 * @public
 */
export const LAYER_PRIORITY = ['K8S_SERVICE', 'GENERAL'];

/** @public */
export interface MergeTopologyOptions {
  /** Default `new Date()`. */
  now?: Date;
  /** Max unresolved samples kept; default 50 (the count is always exact). */
  maxUnresolvedSamples?: number;
  /**
   * Which table an IP is looked up in first. The brief and the Rover
   * access-log proposal say pod IP, then Service cluster IP; OAP's
   * `AccessLogServiceHandler#buildProcessAddressByIP` checks the Service IP
   * first. The two only differ when one IP is in both tables. Default `pod-first`.
   */
  ipLookupOrder?: 'pod-first' | 'service-first';
}

/** @public */
export const edgeId = (
  kind: TopologyEdgeKind,
  source: string,
  target: string,
) => `${kind}:${source}->${target}`;

/**
 * Combines two metrics of the same node or edge: rates and bytes add up,
 * latency and success rate are averaged weighted by calls per minute, and
 * percentiles keep the larger value (percentiles cannot be merged exactly;
 * the larger one is the conservative bound).
 * @public
 */
export function mergeMetrics(
  a: TrafficMetrics,
  b: TrafficMetrics,
): TrafficMetrics {
  const out: TrafficMetrics = {};
  const sum = (x?: number, y?: number) => {
    if (x === undefined) return y;
    if (y === undefined) return x;
    return x + y;
  };
  const wa = a.cpm ?? 0;
  const wb = b.cpm ?? 0;
  const weighted = (x?: number, y?: number) => {
    if (x === undefined) return y;
    if (y === undefined) return x;
    return wa + wb > 0 ? (x * wa + y * wb) / (wa + wb) : (x + y) / 2;
  };
  const set = <K extends keyof TrafficMetrics>(k: K, v: TrafficMetrics[K]) => {
    if (v !== undefined) out[k] = v;
  };
  set('cpm', sum(a.cpm, b.cpm));
  set('latencyMs', weighted(a.latencyMs, b.latencyMs));
  set('successRate', weighted(a.successRate, b.successRate));
  set('bytesInPerMin', sum(a.bytesInPerMin, b.bytesInPerMin));
  set('bytesOutPerMin', sum(a.bytesOutPerMin, b.bytesOutPerMin));
  if (a.percentilesMs || b.percentilesMs) {
    const p: Record<string, number> = { ...(a.percentilesMs ?? {}) };
    for (const [k, v] of Object.entries(b.percentilesMs ?? {})) {
      if (v !== undefined) p[k] = p[k] === undefined ? v : Math.max(p[k], v);
    }
    out.percentilesMs = p;
  }
  return out;
}

function selectorMatches(
  selector: Record<string, string> | undefined,
  labels?: Record<string, string>,
) {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Metrics of one node or edge as they arrive: per layer, '' for none. */
type Acc = Map<string, TrafficMetrics>;

function accumulate(acc: Acc, metrics: TrafficMetrics, layer = '') {
  acc.set(layer, mergeMetrics(acc.get(layer) ?? {}, metrics));
}

/**
 * `metrics` (first layer by priority, plus unlayered input), the layers that
 * saw it and the metrics of the layers after the first.
 */
function settle(acc: Acc | undefined): {
  metrics: TrafficMetrics;
  seenBy?: string[];
  layers?: Record<string, TrafficMetrics>;
} {
  if (!acc?.size) return { metrics: {} };
  const named = [...acc.keys()].filter(k => k !== '');
  const rank = (l: string) => {
    const i = LAYER_PRIORITY.indexOf(l);
    return i < 0 ? LAYER_PRIORITY.length : i;
  };
  named.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
  const primary = named.length ? acc.get(named[0])! : {};
  const metrics = mergeMetrics(acc.get('') ?? {}, primary);
  if (!named.length) return { metrics };
  if (named.length === 1) return { metrics, seenBy: named };
  const layers: Record<string, TrafficMetrics> = {};
  for (const l of named.slice(1)) layers[l] = acc.get(l)!;
  return { metrics, seenBy: named, layers };
}

/**
 * Every layer's metrics of a node or edge: `seenBy[0]` -> `metrics`, the
 * others from `layers`; `{}` when no layer is known.
 * @public
 */
export function metricsByLayer(x: {
  metrics: TrafficMetrics;
  seenBy?: string[];
  layers?: Record<string, TrafficMetrics>;
}): Record<string, TrafficMetrics> {
  const out: Record<string, TrafficMetrics> = {};
  (x.seenBy ?? []).forEach((l, i) => {
    out[l] = i === 0 ? x.metrics : x.layers?.[l] ?? {};
  });
  return out;
}

class Builder {
  readonly nodes = new Map<string, TopologyNode>();
  readonly edges = new Map<string, TopologyEdge>();
  readonly acc = new Map<string, Acc>();
  unresolvedCount = 0;
  readonly samples: UnresolvedSample[] = [];
  sidecarInternal = 0;

  constructor(private readonly maxSamples: number) {}

  addNode(node: TopologyNode) {
    if (!this.nodes.has(node.id)) this.nodes.set(node.id, node);
    return this.nodes.get(node.id)!;
  }

  addMetrics(id: string, metrics: TrafficMetrics, layer?: string) {
    const acc = this.acc.get(id) ?? new Map();
    accumulate(acc, metrics, layer);
    this.acc.set(id, acc);
  }

  addEdge(
    kind: TopologyEdgeKind,
    source: string,
    target: string,
    metrics?: TrafficMetrics,
    layer?: string,
  ) {
    const id = edgeId(kind, source, target);
    if (!this.edges.has(id))
      this.edges.set(id, { id, source, target, kind, metrics: {} });
    if (metrics) this.addMetrics(id, metrics, layer);
  }

  unresolved(sample: UnresolvedSample) {
    this.unresolvedCount++;
    if (this.samples.length < this.maxSamples) this.samples.push(sample);
  }
}

/**
 * Merges the structural graph read from the Kubernetes API with traffic
 * (from OAP or access logs) into one {@link TopologyGraph}. Pure: no I/O.
 *
 * - Addresses resolve to a pod IP, then a Service cluster IP (see
 *   `ipLookupOrder`), else the bare address becomes an `external` node.
 * - Agents' service names (GENERAL layer) resolve through the pods that
 *   report as them to the Service selecting those pods (else their
 *   workload); agents' peers (`host:port`) through Kubernetes DNS names
 *   and IPs. See `Resolver`.
 * - A relation with a side that cannot be resolved is counted in
 *   `unresolved` and sampled, never dropped silently.
 * - Traffic inside one pod (a loopback target, or both sides the same pod,
 *   e.g. istio-proxy to the app on localhost) is not a call; it is counted
 *   in `skipped.sidecarInternal`.
 * - Relations that resolve to the same pair are one edge: metrics of the
 *   same layer merge with {@link mergeMetrics}; the layers that saw it are
 *   `seenBy`, the first one's metrics `metrics`, the others' `layers` (see
 *   {@link metricsByLayer}); workloads get the merged metrics of their pods.
 * @public
 */
export function mergeTopology(
  structure: StructuralGraph,
  traffic: TopologyTrafficInput | undefined,
  options: MergeTopologyOptions = {},
): TopologyGraph {
  const b = new Builder(options.maxUnresolvedSamples ?? 50);
  const r = new Resolver(structure, options.ipLookupOrder ?? 'pod-first');

  for (const s of structure.services ?? []) {
    b.addNode({
      id: nodeId.service(s.namespace, s.name),
      kind: 'service',
      name: s.name,
      namespace: s.namespace,
      metrics: {},
    });
  }
  for (const w of structure.workloads ?? []) {
    b.addNode({
      id: nodeId.workload(w.namespace, w.kind, w.name),
      kind: 'workload',
      name: w.name,
      namespace: w.namespace,
      metrics: {},
      details: { workloadKind: w.kind },
    });
  }
  for (const p of structure.pods ?? []) {
    const details: Record<string, string> = {};
    if (p.nodeName) details.nodeName = p.nodeName;
    if (p.ips?.length) details.ip = p.ips.join(',');
    if (p.agentServices?.length)
      details.agentService = p.agentServices.join(',');
    const id = nodeId.pod(p.namespace, p.name);
    b.addNode({
      id,
      kind: 'pod',
      name: p.name,
      namespace: p.namespace,
      metrics: {},
      ...(Object.keys(details).length ? { details } : {}),
    });
    if (p.workload) {
      const wid = nodeId.workload(
        p.namespace,
        p.workload.kind,
        p.workload.name,
      );
      b.addNode({
        id: wid,
        kind: 'workload',
        name: p.workload.name,
        namespace: p.namespace,
        metrics: {},
        details: { workloadKind: p.workload.kind },
      });
      b.addEdge('owns', wid, id);
    }
  }

  // selects: EndpointSlices first, else the Service's selector.
  const slicedServices = new Set<string>();
  for (const slice of structure.endpointSlices ?? []) {
    const svc = r.servicesByKey.get(`${slice.namespace}/${slice.serviceName}`);
    if (!svc) continue;
    slicedServices.add(`${svc.namespace}/${svc.name}`);
    for (const ep of slice.endpoints) {
      let pod: StructuralPod | undefined;
      if (ep.targetRef?.kind === 'Pod') {
        pod = r.podsByKey.get(
          `${ep.targetRef.namespace ?? slice.namespace}/${ep.targetRef.name}`,
        );
      }
      if (!pod) {
        const candidates = ep.addresses.flatMap(
          a => r.podsByIp.get(a.toLowerCase()) ?? [],
        );
        pod = candidates.length === 1 ? candidates[0] : undefined;
      }
      if (pod) {
        r.selected(svc, pod);
        b.addEdge(
          'selects',
          nodeId.service(svc.namespace, svc.name),
          nodeId.pod(pod.namespace, pod.name),
        );
      }
    }
  }
  for (const svc of structure.services ?? []) {
    if (slicedServices.has(`${svc.namespace}/${svc.name}`)) continue;
    for (const p of structure.pods ?? []) {
      if (
        p.namespace === svc.namespace &&
        selectorMatches(svc.selector, p.labels)
      ) {
        r.selected(svc, p);
        b.addEdge(
          'selects',
          nodeId.service(svc.namespace, svc.name),
          nodeId.pod(p.namespace, p.name),
        );
      }
    }
  }

  for (const ing of structure.ingresses ?? []) {
    const iid = nodeId.ingress(ing.namespace, ing.name);
    b.addNode({
      id: iid,
      kind: 'ingress',
      name: ing.name,
      namespace: ing.namespace,
      metrics: {},
    });
    for (const backend of ing.backends) {
      const svc = r.servicesByKey.get(
        `${ing.namespace}/${backend.serviceName}`,
      );
      if (svc) {
        b.addEdge('routes', iid, nodeId.service(svc.namespace, svc.name));
      } else {
        b.unresolved({
          source: `ingress ${ing.namespace}/${ing.name}`,
          target: `service ${ing.namespace}/${backend.serviceName}`,
          reason: 'ingress-backend-not-found',
        });
      }
    }
  }

  const ensureExternal = (id: string) => {
    if (id.startsWith('external:') && !b.nodes.has(id)) {
      b.addNode({
        id,
        kind: 'external',
        name: id.slice('external:'.length),
        namespace: '',
        metrics: {},
      });
    }
  };

  for (const n of traffic?.nodes ?? []) {
    const res = r.resolve(n.endpoint);
    if (res.kind !== 'node') continue; // node metrics without a node: nothing to attach to
    ensureExternal(res.id);
    b.addMetrics(res.id, n.metrics, n.layer);
  }

  for (const rel of traffic?.relations ?? []) {
    const s = r.resolve(rel.source);
    // a bare peer host (`svc:80`) is looked up in the caller's namespace
    const t = r.resolve(
      rel.target,
      s.kind === 'node' ? b.nodes.get(s.id)?.namespace || undefined : undefined,
    );
    if (t.kind === 'loopback' || s.kind === 'loopback') {
      b.sidecarInternal++;
      continue;
    }
    if (
      s.kind === 'node' &&
      t.kind === 'node' &&
      s.id === t.id &&
      s.id.startsWith('pod:')
    ) {
      b.sidecarInternal++;
      continue;
    }
    if (s.kind !== 'node' || t.kind !== 'node') {
      const reasons = [
        s.kind === 'unresolved' ? `source: ${s.reason}` : '',
        t.kind === 'unresolved' ? `target: ${t.reason}` : '',
      ].filter(Boolean);
      b.unresolved({
        source: describeEndpoint(rel.source),
        target: describeEndpoint(rel.target),
        reason: reasons.join('; '),
        ...(rel.metrics.cpm !== undefined ? { cpm: rel.metrics.cpm } : {}),
      });
      continue;
    }
    ensureExternal(s.id);
    ensureExternal(t.id);
    b.addEdge('call', s.id, t.id, rel.metrics, rel.layer);
  }

  // Workloads: merged metrics of their pods, layer by layer.
  for (const e of b.edges.values()) {
    if (e.kind !== 'owns') continue;
    const pod = b.acc.get(e.target);
    if (!pod || !b.nodes.has(e.source)) continue;
    for (const [layer, m] of pod) b.addMetrics(e.source, m, layer);
  }
  for (const [id, acc] of b.acc) {
    const item = b.nodes.get(id) ?? b.edges.get(id);
    if (!item) continue;
    const { metrics, seenBy, layers } = settle(acc);
    item.metrics = metrics;
    if (seenBy) item.seenBy = seenBy;
    if (layers) item.layers = layers;
  }

  const byId = (x: { id: string }, y: { id: string }) => {
    if (x.id === y.id) return 0;
    return x.id < y.id ? -1 : 1;
  };
  return {
    nodes: [...b.nodes.values()].sort(byId),
    edges: [...b.edges.values()].sort(byId),
    unresolved: { count: b.unresolvedCount, samples: b.samples },
    skipped: { sidecarInternal: b.sidecarInternal },
    generatedAt: (options.now ?? new Date()).toISOString(),
    window: traffic?.window ?? { from: '', to: '' },
  };
}
