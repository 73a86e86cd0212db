import { useEffect, useRef } from 'react';
import cytoscape, { Core } from 'cytoscape';
import { TopologyResponse } from '@skywalking-backstage/plugin-skywalking-common';
import { graphLayout, LARGE_GRAPH_NODES, toElements } from './elements';

export { metricRows, NODE_COLORS } from './elements';

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
    const large = topology.nodes.length > LARGE_GRAPH_NODES;
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
      layout: graphLayout(topology.nodes.length),
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
