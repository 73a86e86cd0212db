/*
 * How the topology tab's graph layout cost grows with the number of nodes:
 * cytoscape headless (no canvas: layout and element creation only, which is
 * what blocks the page; drawing is canvas and incremental), with the exact
 * element mapping and layout choice of TopologyGraph. Baseline: 100 nodes.
 */
import cytoscape from 'cytoscape';
import type { TopologyResponse } from '../plugins/skywalking-common/src';
import {
  graphLayout,
  LARGE_GRAPH_NODES,
  toElements,
} from '../plugins/skywalking/src/components/Topology/elements';

/** A service graph: each service with 2 pods, a few calls per service. */
function syntheticTopology(services: number): TopologyResponse {
  const nodes: TopologyResponse['nodes'] = [];
  const edges: TopologyResponse['edges'] = [];
  for (let i = 0; i < services; i++) {
    const svc = `service:ns/s${i}`;
    nodes.push({ id: svc, kind: 'service', name: `s${i}`, namespace: 'ns', metrics: { cpm: i } });
    for (let p = 0; p < 2; p++) {
      const pod = `pod:ns/s${i}-${p}`;
      nodes.push({ id: pod, kind: 'pod', name: `s${i}-${p}`, namespace: 'ns', metrics: {} });
      edges.push({ id: `selects:${svc}->${pod}`, source: svc, target: pod, kind: 'selects', metrics: {} });
    }
    for (const d of [1, 7]) {
      const target = `service:ns/s${(i + d) % services}`;
      edges.push({ id: `call:${svc}->${target}`, source: svc, target, kind: 'call', metrics: { cpm: 10, percentilesMs: { p99: 20 } } });
    }
  }
  return { entityRef: 'component:default/bench', nodes, edges, unresolved: { count: 0, samples: [] }, skipped: { sidecarInternal: 0 }, generatedAt: '', window: { from: '', to: '' } };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export interface LayoutRow {
  nodes: number;
  edges: number;
  layout: string;
  ms: number;
}

export function benchTopologyLayout(sizes = [100, 300, 600, 1200], iterations = 5): LayoutRow[] {
  return sizes.map(n => {
    const t = syntheticTopology(Math.round(n / 3));
    const layout = graphLayout(t.nodes.length);
    const times: number[] = [];
    for (let i = 0; i < iterations + 1; i++) {
      const start = performance.now();
      const cy = cytoscape({ headless: true, styleEnabled: true, elements: toElements(t) });
      cy.layout({ ...layout, boundingBox: { x1: 0, y1: 0, w: 1200, h: 560 } } as cytoscape.LayoutOptions).run();
      const ms = performance.now() - start;
      cy.destroy();
      if (i > 0) times.push(ms); // first run warms up
    }
    return { nodes: t.nodes.length, edges: t.edges.length, layout: String(layout.name), ms: median(times) };
  });
}

export { LARGE_GRAPH_NODES };
