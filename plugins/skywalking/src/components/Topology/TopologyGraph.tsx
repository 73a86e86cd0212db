import { useEffect, useRef } from 'react';
import cytoscape, { Core } from 'cytoscape';
import { TopologyResponse } from '@skywalking-backstage/plugin-skywalking-common';
import { graphLayout, LARGE_GRAPH_NODES, toElements } from './elements';

export { metricRows, NODE_COLORS, CALL_LAYERS } from './elements';

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
            // the layer(s) that saw the call, see CALL_LAYERS and the legend
            'line-color': 'data(color)',
            'line-style': 'solid',
            'target-arrow-shape': 'triangle',
            'target-arrow-color': 'data(color)',
            label: 'data(label)',
            'font-size': 9,
          },
        },
        { selector: 'edge[layer = "both"]', style: { width: 3 } },
        { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#000' } },
        { selector: 'edge:selected', style: { width: 4 } },
      ],
      layout: graphLayout(topology.nodes.length),
    });
    instance.on('tap', 'node', evt => onSelect(evt.target.id()));
    // a call: its layers' metrics in the details panel, and as a tooltip on hover
    instance.on('tap', 'edge[kind = "call"]', evt => onSelect(evt.target.id()));
    instance.on('mouseover', 'edge[kind = "call"]', evt => {
      if (container.current) container.current.title = evt.target.data('tooltip') ?? '';
    });
    instance.on('mouseout', 'edge', () => {
      if (container.current) container.current.title = '';
    });
    instance.on('tap', evt => {
      if (evt.target === instance) onSelect(undefined);
    });
    cy.current = instance;
    return () => instance.destroy();
  }, [topology, onSelect]);

  return <div ref={container} data-testid="sw-topology-graph" style={{ width: '100%', height: 560 }} />;
};
