/*
 * What the topology tab draws, as pure functions (no React, no DOM): the
 * cytoscape elements of a topology, the layout per graph size, and the
 * metric rows of the details panel. The layout bench runs them headless.
 */
import type { ElementDefinition, LayoutOptions } from 'cytoscape';
import { metricsByLayer } from '@skywalking-backstage/plugin-skywalking-common';
import type { TopologyEdge, TopologyResponse, TrafficMetrics } from '@skywalking-backstage/plugin-skywalking-common';

type Layered = Pick<TopologyEdge, 'metrics' | 'seenBy' | 'layers'>;

export const NODE_COLORS: Record<string, string> = {
  service: '#1f77b4',
  pod: '#2ca02c',
  workload: '#9467bd',
  ingress: '#ff7f0e',
  external: '#7f7f7f',
};

/**
 * Which OAP layer saw a call, as the graph colours it: the Kubernetes layer
 * (K8S_SERVICE, from Rover's access logs or its stand-in), the agents'
 * layer (GENERAL, from their traces), or both.
 */
export type CallLayer = 'K8S_SERVICE' | 'GENERAL' | 'both' | 'other';

export const CALL_LAYERS: Record<CallLayer, { color: string; legend: string; short: string }> = {
  K8S_SERVICE: { color: '#d62728', legend: 'K8S_SERVICE (Kubernetes layer, access logs)', short: 'k8s' },
  GENERAL: { color: '#17becf', legend: 'GENERAL (agents\' traces)', short: 'agents' },
  both: { color: '#6a3d9a', legend: 'both layers', short: 'both' },
  other: { color: '#d62728', legend: 'calls', short: '' },
};

const shortOf = (layer: string) => (layer in CALL_LAYERS ? CALL_LAYERS[layer as CallLayer].short : layer);

/** The layer class of a call edge. */
export function callLayer(e: Pick<TopologyEdge, 'seenBy'>): CallLayer {
  const layers = e.seenBy ?? [];
  const k8s = layers.includes('K8S_SERVICE');
  const general = layers.includes('GENERAL');
  if (k8s && general) return 'both';
  if (k8s) return 'K8S_SERVICE';
  if (general) return 'GENERAL';
  return 'other';
}

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

/** A call's label: each layer's calls / min and p99, `k8s 12 cpm · p99 40 ms | agents 10 cpm`. */
export function callLabel(e: Layered): string {
  const layers = Object.entries(metricsByLayer(e));
  if (!layers.length) return fmt(e.metrics);
  return layers
    .map(([layer, m]) => [shortOf(layer), fmt(m)].filter(Boolean).join(' '))
    .filter(text => text.includes('cpm'))
    .join(' | ');
}

/** A call's tooltip: one line per layer with all its metrics. */
export function callTooltip(e: Layered): string {
  const layers = Object.entries(metricsByLayer(e));
  const line = (m: TrafficMetrics) =>
    Object.entries(metricRows(m))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'no metrics in this window';
  if (!layers.length) return line(e.metrics);
  return layers.map(([layer, m]) => `${layer}: ${line(m)}`).join('\n');
}

/** The details panel rows of each layer of a node or call, keys prefixed `K8S_SERVICE ·`. */
export function layerRows(x: Layered): Record<string, string> {
  const layers = Object.entries(metricsByLayer(x));
  if (!layers.length) return metricRows(x.metrics);
  const rows: Record<string, string> = {};
  for (const [layer, m] of layers) {
    const own = metricRows(m);
    if (!Object.keys(own).length) rows[`${layer} · calls / min`] = '-';
    for (const [k, v] of Object.entries(own)) rows[`${layer} · ${k}`] = v;
  }
  return rows;
}

export function toElements(t: TopologyResponse): ElementDefinition[] {
  return [
    ...t.nodes.map(n => ({
      data: { id: n.id, label: n.name, kind: n.kind, color: NODE_COLORS[n.kind] ?? '#999' },
    })),
    ...t.edges.map(e => {
      if (e.kind !== 'call') return { data: { id: e.id, source: e.source, target: e.target, kind: e.kind, label: '' } };
      const layer = callLayer(e);
      return {
        data: {
          id: e.id,
          source: e.source,
          target: e.target,
          kind: e.kind,
          layer,
          color: CALL_LAYERS[layer].color,
          label: callLabel(e),
          tooltip: callTooltip(e),
        },
      };
    }),
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

