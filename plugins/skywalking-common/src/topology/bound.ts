import type { TrafficMetrics } from '../oap/kubernetesTraffic';
import type { TopologyGraph } from './types';

/** @public */
export interface BoundTopologyOptions {
  /** Unresolved samples kept; default 20. */
  maxSamples?: number;
  /** Decimals kept for rates, latencies and bytes; default 1. */
  decimals?: number;
  /** Decimals kept for `successRate` (0..1); default 4. */
  rateDecimals?: number;
  /** Keep at most this many edges (call edges with the most traffic first). */
  maxEdges?: number;
  /** Keep at most this many nodes (nodes with edges first). */
  maxNodes?: number;
  /** Percentiles kept; default p50, p95, p99. */
  percentiles?: string[];
}

/**
 * The limits the topology endpoint applies: a 1,000-service, 5,000-relation
 * answer stays within a few hundred kilobytes (see `npm run bench`).
 * @public
 */
export const DEFAULT_TOPOLOGY_BOUND: BoundTopologyOptions = {
  maxNodes: 2000,
  maxEdges: 6000,
};

const DEFAULT_PERCENTILES = ['p50', 'p95', 'p99'];

const round = (v: number, decimals: number) => {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
};

/** Rounds metrics and drops non-finite values. @public */
export function roundMetrics(
  m: TrafficMetrics,
  decimals = 1,
  rateDecimals = 4,
  percentiles?: string[],
): TrafficMetrics {
  const out: TrafficMetrics = {};
  const num = (v: number | undefined, d: number) =>
    v !== undefined && Number.isFinite(v) ? round(v, d) : undefined;
  const put = <K extends keyof TrafficMetrics>(k: K, v: TrafficMetrics[K]) => {
    if (v !== undefined) out[k] = v;
  };
  put('cpm', num(m.cpm, decimals));
  put('latencyMs', num(m.latencyMs, decimals));
  put('successRate', num(m.successRate, rateDecimals));
  put('bytesInPerMin', num(m.bytesInPerMin, 0));
  put('bytesOutPerMin', num(m.bytesOutPerMin, 0));
  if (m.percentilesMs) {
    const p: Record<string, number> = {};
    for (const [k, v] of Object.entries(m.percentilesMs)) {
      if (percentiles && !percentiles.includes(k)) continue;
      const r = num(v, decimals);
      if (r !== undefined) p[k] = r;
    }
    if (Object.keys(p).length) out.percentilesMs = p;
  }
  return out;
}

/**
 * Bounds the size of a topology response: rounds metrics, caps unresolved
 * samples (the count stays exact) and optionally keeps only the busiest
 * edges and the nodes they touch; what it drops is counted in `truncated`.
 * @public
 */
export function boundTopology(
  graph: TopologyGraph,
  options: BoundTopologyOptions = {},
): TopologyGraph {
  const decimals = options.decimals ?? 1;
  const rateDecimals = options.rateDecimals ?? 4;
  const percentiles = options.percentiles ?? DEFAULT_PERCENTILES;
  let edges = graph.edges;
  let nodes = graph.nodes;
  let droppedEdges = 0;
  let droppedNodes = 0;
  // calls with the most traffic first, then structure edges
  const rankedEdges = () =>
    [...edges].sort(
      (a, b) =>
        Number(b.kind === 'call') - Number(a.kind === 'call') ||
        (b.metrics.cpm ?? 0) - (a.metrics.cpm ?? 0),
    );
  if (options.maxEdges !== undefined && edges.length > options.maxEdges) {
    const keep = new Set(
      rankedEdges()
        .slice(0, options.maxEdges)
        .map(e => e.id),
    );
    droppedEdges = edges.length - keep.size;
    edges = edges.filter(e => keep.has(e.id));
  }
  if (options.maxNodes !== undefined && nodes.length > options.maxNodes) {
    // Greedy by edge rank: the busiest calls keep both their ends, so a cut
    // never leaves the top traffic without its nodes; the rest of the budget
    // goes to nodes that still have an edge, then to the others.
    const max = options.maxNodes;
    const keep = new Set<string>();
    for (const e of rankedEdges()) {
      const need = Number(!keep.has(e.source)) + Number(!keep.has(e.target));
      if (need && keep.size + need <= max) {
        keep.add(e.source);
        keep.add(e.target);
      }
      if (keep.size >= max) break;
    }
    for (const n of nodes) {
      if (keep.size >= max) break;
      keep.add(n.id);
    }
    droppedNodes = nodes.length - keep.size;
    nodes = nodes.filter(n => keep.has(n.id));
    const before = edges.length;
    edges = edges.filter(e => keep.has(e.source) && keep.has(e.target));
    droppedEdges += before - edges.length;
  }
  const roundAll = (m: TrafficMetrics) =>
    roundMetrics(m, decimals, rateDecimals, percentiles);
  // the metrics and each layer's the same way
  const rounded = <
    T extends {
      metrics: TrafficMetrics;
      layers?: Record<string, TrafficMetrics>;
    },
  >(
    x: T,
  ): T => ({
    ...x,
    metrics: roundAll(x.metrics),
    ...(x.layers
      ? {
          layers: Object.fromEntries(
            Object.entries(x.layers).map(([l, m]) => [l, roundAll(m)]),
          ),
        }
      : {}),
  });
  const out: TopologyGraph = {
    ...graph,
    nodes: nodes.map(rounded),
    edges: edges.map(rounded),
    unresolved: {
      count: graph.unresolved.count,
      samples: graph.unresolved.samples.slice(0, options.maxSamples ?? 20),
    },
  };
  if (droppedEdges || droppedNodes || graph.truncated) {
    out.truncated = {
      nodes: droppedNodes + (graph.truncated?.nodes ?? 0),
      edges: droppedEdges + (graph.truncated?.edges ?? 0),
    };
  }
  return out;
}
