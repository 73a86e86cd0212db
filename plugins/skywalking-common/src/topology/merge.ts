import {
  KubernetesTraffic,
  TrafficMetrics,
  parseK8sServiceName,
} from '../oap/kubernetesTraffic';
import type {
  StructuralGraph,
  StructuralPod,
  StructuralService,
  TopologyEdge,
  TopologyEdgeKind,
  TopologyGraph,
  TopologyNode,
  TopologyTrafficInput,
  TrafficEndpoint,
  UnresolvedSample,
} from './types';

/** OAP's `Const.UNKNOWN`, the service of an address OAP could not resolve. */
const OAP_UNKNOWN = 'Unknown';

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
export const nodeId = {
  service: (namespace: string, name: string) => `service:${namespace}/${name}`,
  pod: (namespace: string, name: string) => `pod:${namespace}/${name}`,
  workload: (namespace: string, kind: string, name: string) =>
    `workload:${namespace}/${kind}/${name}`,
  ingress: (namespace: string, name: string) => `ingress:${namespace}/${name}`,
  external: (address: string) => `external:${address}`,
};

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

/** `ip`, `ip:port`, `[v6]:port`, `v6` to the bare host. @public */
export function hostOfAddress(address: string): string {
  const a = address.trim();
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (v6) return v6[1].toLowerCase();
  if ((a.match(/:/g) ?? []).length > 1) return a.toLowerCase(); // bare IPv6
  const i = a.lastIndexOf(':');
  return (i >= 0 ? a.slice(0, i) : a).toLowerCase();
}

/** 127.0.0.0/8, ::1, localhost. @public */
export function isLoopback(host: string): boolean {
  return (
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '::1' ||
    host === '0:0:0:0:0:0:0:1' ||
    host === 'localhost' ||
    /^::ffff:127\./.test(host)
  );
}

type Resolution =
  | { kind: 'node'; id: string }
  | { kind: 'loopback' }
  | { kind: 'unresolved'; reason: string };

function describe(ep: TrafficEndpoint): string {
  const parts: string[] = [];
  if (ep.oapService) parts.push(ep.oapService);
  if (ep.pod)
    parts.push(`pod ${ep.namespace ? `${ep.namespace}/` : ''}${ep.pod}`);
  if (ep.address) parts.push(ep.address);
  if (ep.container) parts.push(`container ${ep.container}`);
  return parts.join(' ') || '(empty)';
}

function selectorMatches(
  selector: Record<string, string> | undefined,
  labels?: Record<string, string>,
) {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

class Builder {
  readonly nodes = new Map<string, TopologyNode>();
  readonly edges = new Map<string, TopologyEdge>();
  readonly podsByKey = new Map<string, StructuralPod>();
  readonly podsByIp = new Map<string, StructuralPod[]>();
  readonly servicesByKey = new Map<string, StructuralService>();
  readonly servicesByIp = new Map<string, StructuralService>();
  unresolvedCount = 0;
  readonly samples: UnresolvedSample[] = [];
  sidecarInternal = 0;

  constructor(
    private readonly maxSamples: number,
    private readonly order: 'pod-first' | 'service-first',
  ) {}

  addNode(node: TopologyNode) {
    const existing = this.nodes.get(node.id);
    if (!existing) this.nodes.set(node.id, node);
    return this.nodes.get(node.id)!;
  }

  addEdge(
    kind: TopologyEdgeKind,
    source: string,
    target: string,
    metrics: TrafficMetrics = {},
  ) {
    const id = edgeId(kind, source, target);
    const existing = this.edges.get(id);
    if (existing) {
      existing.metrics = mergeMetrics(existing.metrics, metrics);
    } else {
      this.edges.set(id, { id, source, target, kind, metrics: { ...metrics } });
    }
  }

  unresolved(sample: UnresolvedSample) {
    this.unresolvedCount++;
    if (this.samples.length < this.maxSamples) this.samples.push(sample);
  }

  resolveIp(host: string): Resolution | undefined {
    const byPod = (): Resolution | undefined => {
      const pods = this.podsByIp.get(host);
      if (!pods?.length) return undefined;
      if (pods.length > 1) {
        return {
          kind: 'unresolved',
          reason: `ambiguous-pod-ip (${pods.length} pods share ${host})`,
        };
      }
      return { kind: 'node', id: nodeId.pod(pods[0].namespace, pods[0].name) };
    };
    const byService = (): Resolution | undefined => {
      const s = this.servicesByIp.get(host);
      return s
        ? { kind: 'node', id: nodeId.service(s.namespace, s.name) }
        : undefined;
    };
    return this.order === 'pod-first'
      ? byPod() ?? byService()
      : byService() ?? byPod();
  }

  resolve(ep: TrafficEndpoint): Resolution {
    const parsed = ep.oapService
      ? parseK8sServiceName(ep.oapService)
      : undefined;
    if (ep.pod) {
      const ns = ep.namespace ?? parsed?.namespace;
      const pod = ns ? this.podsByKey.get(`${ns}/${ep.pod}`) : undefined;
      if (pod) return { kind: 'node', id: nodeId.pod(pod.namespace, pod.name) };
      if (!ep.address) return { kind: 'unresolved', reason: 'pod-not-found' };
    }
    if (ep.address) {
      const host = hostOfAddress(ep.address);
      if (!host) return { kind: 'unresolved', reason: 'empty-address' };
      if (isLoopback(host)) return { kind: 'loopback' };
      const r = this.resolveIp(host);
      if (r) return r;
      // Neither a pod IP nor a Service IP: the bare address.
      return { kind: 'node', id: nodeId.external(host) };
    }
    if (ep.oapService) {
      if (ep.oapService === OAP_UNKNOWN)
        return { kind: 'unresolved', reason: 'unknown-in-oap' };
      if (!parsed) {
        // OAP names an unresolved remote by its IP in some layers.
        if (/^[\d.]+$|:/.test(ep.oapService))
          return this.resolve({ address: ep.oapService });
        return { kind: 'unresolved', reason: 'unparsable-service-name' };
      }
      const s = this.servicesByKey.get(`${parsed.namespace}/${parsed.name}`);
      if (s) return { kind: 'node', id: nodeId.service(s.namespace, s.name) };
      return { kind: 'unresolved', reason: 'service-not-in-cluster' };
    }
    return { kind: 'unresolved', reason: 'empty-endpoint' };
  }
}

/**
 * Merges the structural graph read from the Kubernetes API with traffic
 * (from OAP or access logs) into one {@link TopologyGraph}. Pure: no I/O.
 *
 * - Addresses resolve to a pod IP, then a Service cluster IP (see
 *   `ipLookupOrder`), else the bare address becomes an `external` node.
 * - A relation with a side that cannot be resolved is counted in
 *   `unresolved` and sampled, never dropped silently.
 * - Traffic inside one pod (a loopback target, or both sides the same pod,
 *   e.g. istio-proxy to the app on localhost) is not a call; it is counted
 *   in `skipped.sidecarInternal`.
 * - Relations that resolve to the same pair are merged into one edge with
 *   {@link mergeMetrics}; workloads get the merged metrics of their pods.
 * @public
 */
export function mergeTopology(
  structure: StructuralGraph,
  traffic: TopologyTrafficInput | undefined,
  options: MergeTopologyOptions = {},
): TopologyGraph {
  const b = new Builder(
    options.maxUnresolvedSamples ?? 50,
    options.ipLookupOrder ?? 'pod-first',
  );

  for (const s of structure.services ?? []) {
    b.servicesByKey.set(`${s.namespace}/${s.name}`, s);
    for (const ip of s.clusterIPs ?? []) {
      if (ip && ip !== 'None') b.servicesByIp.set(ip.toLowerCase(), s);
    }
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
    b.podsByKey.set(`${p.namespace}/${p.name}`, p);
    if (!p.hostNetwork) {
      for (const ip of p.ips ?? []) {
        const key = ip.toLowerCase();
        b.podsByIp.set(key, [...(b.podsByIp.get(key) ?? []), p]);
      }
    }
    const details: Record<string, string> = {};
    if (p.nodeName) details.nodeName = p.nodeName;
    if (p.ips?.length) details.ip = p.ips.join(',');
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
    const svc = b.servicesByKey.get(`${slice.namespace}/${slice.serviceName}`);
    if (!svc) continue;
    slicedServices.add(`${svc.namespace}/${svc.name}`);
    for (const ep of slice.endpoints) {
      let pod: StructuralPod | undefined;
      if (ep.targetRef?.kind === 'Pod') {
        pod = b.podsByKey.get(
          `${ep.targetRef.namespace ?? slice.namespace}/${ep.targetRef.name}`,
        );
      }
      if (!pod) {
        const candidates = ep.addresses.flatMap(
          a => b.podsByIp.get(a.toLowerCase()) ?? [],
        );
        pod = candidates.length === 1 ? candidates[0] : undefined;
      }
      if (pod)
        b.addEdge(
          'selects',
          nodeId.service(svc.namespace, svc.name),
          nodeId.pod(pod.namespace, pod.name),
        );
    }
  }
  for (const svc of structure.services ?? []) {
    if (slicedServices.has(`${svc.namespace}/${svc.name}`)) continue;
    for (const p of structure.pods ?? []) {
      if (
        p.namespace === svc.namespace &&
        selectorMatches(svc.selector, p.labels)
      ) {
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
      const svc = b.servicesByKey.get(
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
    const r = b.resolve(n.endpoint);
    if (r.kind !== 'node') continue; // node metrics without a node: nothing to attach to
    ensureExternal(r.id);
    const node = b.nodes.get(r.id)!;
    node.metrics = mergeMetrics(node.metrics, n.metrics);
  }

  for (const rel of traffic?.relations ?? []) {
    const s = b.resolve(rel.source);
    const t = b.resolve(rel.target);
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
        source: describe(rel.source),
        target: describe(rel.target),
        reason: reasons.join('; '),
        ...(rel.metrics.cpm !== undefined ? { cpm: rel.metrics.cpm } : {}),
      });
      continue;
    }
    ensureExternal(s.id);
    ensureExternal(t.id);
    b.addEdge('call', s.id, t.id, rel.metrics);
  }

  // Workloads: merged metrics of their pods.
  for (const e of b.edges.values()) {
    if (e.kind !== 'owns') continue;
    const pod = b.nodes.get(e.target);
    const wl = b.nodes.get(e.source);
    if (pod && wl && Object.keys(pod.metrics).length)
      wl.metrics = mergeMetrics(wl.metrics, pod.metrics);
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

/**
 * Turns {@link KubernetesTraffic} from OAP into merge input: services by
 * OAP name, instances as pods of the service's namespace.
 * @public
 */
export function trafficInputFromOap(
  traffic: KubernetesTraffic,
): TopologyTrafficInput {
  return {
    window: {
      from: traffic.window.from,
      to: traffic.window.to,
      step: traffic.window.step,
    },
    nodes: [
      ...traffic.services.map(s => ({
        endpoint: { oapService: s.name },
        metrics: s.metrics,
      })),
      ...traffic.instances.map(i => ({
        endpoint: { oapService: i.serviceName, pod: i.name },
        metrics: i.metrics,
      })),
    ],
    relations: [
      ...traffic.relations.map(r => ({
        source: { oapService: r.sourceName },
        target: { oapService: r.targetName },
        metrics: r.metrics,
      })),
      ...traffic.instanceRelations.map(r => ({
        source: { oapService: r.sourceServiceName, pod: r.sourceName },
        target: { oapService: r.targetServiceName, pod: r.targetName },
        metrics: r.metrics,
      })),
    ],
  };
}
