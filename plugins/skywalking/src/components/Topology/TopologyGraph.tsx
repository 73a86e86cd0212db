import { useEffect, useRef } from 'react';
import cytoscape, { Core, ElementDefinition } from 'cytoscape';
import { TopologyResponse, TrafficMetrics } from '@skywalking-backstage/plugin-skywalking-common';

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

/**
 * Canvas-rendered graph (cytoscape): zoom and pan built in, and fast enough
 * for several hundred nodes, where an SVG/DOM graph would not be.
 */
export const TopologyGraph = ({
  topology,
  onSelect,
}: {
  topology: TopologyResponse;
  onSelect: (id: string | undefined) => void;
}) => {
  const container = useRef<HTMLDivElement>(null);
  const cy = useRef<Core>();

  useEffect(() => {
    if (!container.current) return undefined;
    const large = topology.nodes.length > 300;
    const instance = cytoscape({
      container: container.current,
      elements: toElements(topology),
      wheelSensitivity: 0.2,
      style: [
        {
          selector: 'node',
          style: {
            'background-color': 'data(color)',
            label: 'data(label)',
            'font-size': 10,
            'text-valign': 'bottom',
            'text-margin-y': 4,
            width: 22,
            height: 22,
          },
        },
        { selector: 'node[kind = "pod"]', style: { shape: 'round-rectangle', width: 16, height: 16 } },
        { selector: 'node[kind = "external"]', style: { shape: 'diamond' } },
        {
          selector: 'edge',
          style: {
            width: 1,
            'line-color': '#bbb',
            'curve-style': large ? 'haystack' : 'bezier',
            'line-style': 'dashed',
          },
        },
        {
          selector: 'edge[kind = "call"]',
          style: {
            width: 2,
            'line-color': '#d62728',
            'line-style': 'solid',
            'target-arrow-shape': 'triangle',
            'target-arrow-color': '#d62728',
            label: 'data(label)',
            'font-size': 9,
          },
        },
        { selector: ':selected', style: { 'border-width': 3, 'border-color': '#000' } },
      ],
      layout: large
        ? { name: 'concentric', animate: false }
        : { name: 'cose', animate: false, nodeDimensionsIncludeLabels: true },
    });
    instance.on('tap', 'node', evt => onSelect(evt.target.id()));
    instance.on('tap', evt => {
      if (evt.target === instance) onSelect(undefined);
    });
    cy.current = instance;
    return () => instance.destroy();
  }, [topology, onSelect]);

  return <div ref={container} data-testid="sw-topology-graph" style={{ width: '100%', height: 560 }} />;
};
