import { focusTopology } from './focus';
import { mergeTopology } from './merge';
import { nodeId } from './resolve';
import type { StructuralGraph, TopologyTrafficInput } from './types';

const pod = (name: string, app: string, ip: string, workload: string) => ({
  name,
  namespace: 'shop',
  ips: [ip],
  labels: { app },
  workload: { kind: 'Deployment', name: workload },
});

const structure: StructuralGraph = {
  workloads: [
    { kind: 'Deployment', name: 'web', namespace: 'shop' },
    { kind: 'Deployment', name: 'cart', namespace: 'shop' },
    { kind: 'Deployment', name: 'idle', namespace: 'shop' },
  ],
  pods: [
    pod('web-1', 'web', '10.0.0.1', 'web'),
    pod('cart-1', 'cart', '10.0.0.2', 'cart'),
    pod('cart-2', 'cart', '10.0.0.3', 'cart'),
    pod('idle-1', 'idle', '10.0.0.4', 'idle'),
  ],
  services: [
    { name: 'web', namespace: 'shop', clusterIPs: ['10.96.0.1'], selector: { app: 'web' } },
    { name: 'cart', namespace: 'shop', clusterIPs: ['10.96.0.2'], selector: { app: 'cart' } },
    { name: 'idle', namespace: 'shop', clusterIPs: ['10.96.0.4'], selector: { app: 'idle' } },
  ],
  ingresses: [{ name: 'web', namespace: 'shop', backends: [{ serviceName: 'web' }] }],
};

const traffic: TopologyTrafficInput = {
  window: { from: 'a', to: 'b' },
  nodes: [],
  relations: [
    { source: { oapService: 'web.shop', pod: 'web-1' }, target: { address: '10.96.0.2:8080' }, metrics: { cpm: 10 } },
    { source: { address: '203.0.113.9' }, target: { oapService: 'web.shop', pod: 'web-1' }, metrics: { cpm: 3 } },
  ],
};

const graph = mergeTopology(structure, traffic, { now: new Date(0) });
const ids = (g: { nodes: { id: string }[] }) => g.nodes.map(n => n.id).sort();

describe('focusTopology', () => {
  it('keeps the entity workload with its pods, selecting services, ingresses and one hop of calls', () => {
    const focused = focusTopology(graph, [nodeId.workload('shop', 'Deployment', 'web')]);
    expect(ids(focused)).toEqual(
      [
        nodeId.workload('shop', 'Deployment', 'web'),
        nodeId.pod('shop', 'web-1'),
        nodeId.service('shop', 'web'),
        nodeId.ingress('shop', 'web'),
        nodeId.service('shop', 'cart'), // called by web-1
        nodeId.external('203.0.113.9'), // calls web-1
      ].sort(),
    );
    expect(focused.edges.filter(e => e.kind === 'call')).toHaveLength(2);
    // every kept edge has both ends kept
    const kept = new Set(ids(focused));
    expect(focused.edges.every(e => kept.has(e.source) && kept.has(e.target))).toBe(true);
  });

  it('does not pull in the pods of a peer service that was only called', () => {
    const focused = focusTopology(graph, [nodeId.workload('shop', 'Deployment', 'web')]);
    expect(ids(focused)).not.toContain(nodeId.pod('shop', 'cart-1'));
    expect(ids(focused)).not.toContain(nodeId.workload('shop', 'Deployment', 'idle'));
  });

  it('shows a peer pod with its workload when the call names the pod', () => {
    const g = mergeTopology(
      structure,
      {
        ...traffic,
        relations: [{ source: { oapService: 'web.shop', pod: 'web-1' }, target: { address: '10.0.0.3:8080' }, metrics: { cpm: 1 } }],
      },
      { now: new Date(0) },
    );
    const focused = focusTopology(g, [nodeId.workload('shop', 'Deployment', 'web')]);
    expect(ids(focused)).toContain(nodeId.pod('shop', 'cart-2'));
    expect(ids(focused)).toContain(nodeId.workload('shop', 'Deployment', 'cart'));
    expect(ids(focused)).not.toContain(nodeId.pod('shop', 'cart-1'));
  });

  it('keeps unresolved counts and ignores seeds that are not in the graph', () => {
    const focused = focusTopology(graph, ['workload:other/Deployment/nope']);
    expect(focused.nodes).toEqual([]);
    expect(focused.edges).toEqual([]);
    expect(focused.unresolved).toEqual(graph.unresolved);
  });
});
