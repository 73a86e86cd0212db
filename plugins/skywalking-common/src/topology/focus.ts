import type { TopologyEdge, TopologyGraph } from './types';

/**
 * Cuts a merged graph of whole namespaces down to what one catalog entity
 * is about: its workloads (`seeds`), their pods, the Services selecting those
 * pods, the Ingresses routing to those Services, and every node that calls
 * or is called by one of them (one hop, so a peer appears with its calls).
 * Structure edges of peers are not followed, so a busy namespace does not
 * pull in every pod it has. Pure.
 * @public
 */
export function focusTopology(
  graph: TopologyGraph,
  seeds: Iterable<string>,
): TopologyGraph {
  const keep = new Set<string>();
  const nodeIds = new Set(graph.nodes.map(n => n.id));
  for (const s of seeds) if (nodeIds.has(s)) keep.add(s);

  const byKind = (kind: TopologyEdge['kind']) =>
    graph.edges.filter(e => e.kind === kind);
  const owns = byKind('owns');
  const selects = byKind('selects');
  const routes = byKind('routes');
  const calls = byKind('call');

  // workload -> pods
  for (const e of owns) if (keep.has(e.source)) keep.add(e.target);
  // services selecting a kept pod
  for (const e of selects) if (keep.has(e.target)) keep.add(e.source);
  // ingresses routing to a kept service
  for (const e of routes) if (keep.has(e.target)) keep.add(e.source);

  // one hop of traffic in both directions
  const core = new Set(keep);
  for (const e of calls) {
    if (core.has(e.source)) keep.add(e.target);
    if (core.has(e.target)) keep.add(e.source);
  }
  // a peer pod is shown with its workload, so the graph says what it is
  for (const e of owns) if (keep.has(e.target) && !core.has(e.target)) keep.add(e.source);

  return {
    ...graph,
    nodes: graph.nodes.filter(n => keep.has(n.id)),
    edges: graph.edges.filter(e => keep.has(e.source) && keep.has(e.target)),
  };
}
