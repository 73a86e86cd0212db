/*
 * What the topology tab draws, as pure functions (no React, no DOM): the
 * cytoscape elements of a topology, the layout per graph size, and the
 * metric rows of the details panel. The layout bench runs them headless.
 */
import type { ElementDefinition, LayoutOptions } from 'cytoscape';
import type { TopologyResponse, TrafficMetrics } from '@skywalking-backstage/plugin-skywalking-common';

export const NODE_COLORS: Record<string, string> = {
  service: '#1f77b4',
  pod: '#2ca02c',
  workload: '#9467bd',
  ingress: '#ff7f0e',
  external: '#7f7f7f',
};

function fmt(metrics?: TrafficMetrics): string {
  if (metrics?.cpm === undefined) return '';
  const p99 = metrics.percentilesMs?.p99;
  return `${Math.round(metrics.cpm)} cpm${p99 !== undefined ? ` · p99 ${Math.round(p99)} ms` : ''}`;
}

/** Node metrics as rows for the details panel. */
export function metricRows(m?: TrafficMetrics): Record<string, string> {
  if (!m) return {};
  const rows: Record<string, string> = {};
  if (m.cpm !== undefined) rows['calls / min'] = m.cpm.toFixed(1);
  if (m.latencyMs !== undefined) rows['avg latency'] = `${m.latencyMs.toFixed(1)} ms`;
  for (const [p, v] of Object.entries(m.percentilesMs ?? {})) rows[`${p} latency`] = `${Number(v).toFixed(1)} ms`;
  if (m.successRate !== undefined) rows['success rate'] = `${(m.successRate * 100).toFixed(2)} %`;
  if (m.bytesInPerMin !== undefined) rows['bytes in / min'] = String(Math.round(m.bytesInPerMin));
  if (m.bytesOutPerMin !== undefined) rows['bytes out / min'] = String(Math.round(m.bytesOutPerMin));
  return rows;
}

export function toElements(t: TopologyResponse): ElementDefinition[] {
  return [
    ...t.nodes.map(n => ({
      data: { id: n.id, label: n.name, kind: n.kind, color: NODE_COLORS[n.kind] ?? '#999' },
    })),
    ...t.edges.map(e => ({
      data: { id: e.id, source: e.source, target: e.target, kind: e.kind, label: e.kind === 'call' ? fmt(e.metrics) : '' },
    })),
  ];
}

/** Above this many nodes the force-directed layout is too slow to feel interactive (see `npm run bench`). */
export const LARGE_GRAPH_NODES = 100;

/** The layout the tab runs: force-directed (cose) for small graphs, concentric for large ones. */
export function graphLayout(nodeCount: number): LayoutOptions {
  return nodeCount > LARGE_GRAPH_NODES
    ? { name: 'concentric', animate: false }
    : { name: 'cose', animate: false, nodeDimensionsIncludeLabels: true };
}

