import type { KubernetesTraffic } from '../oap/kubernetesTraffic';
import { mergeMetrics, mergeTopology } from './merge';
import { trafficInputFromOap } from './inputs';
import { hostOfAddress, isLoopback, nodeId } from './resolve';
import type {
  StructuralGraph,
  TopologyTrafficInput,
  TrafficEdgeInput,
} from './types';

const now = new Date('2026-01-05T09:00:00Z');
const window = {
  from: '2026-01-05T08:45:00Z',
  to: '2026-01-05T09:00:00Z',
  step: 'MINUTE',
};

const structure: StructuralGraph = {
  workloads: [{ kind: 'Deployment', name: 'web', namespace: 'shop' }],
  pods: [
    {
      name: 'web-1',
      namespace: 'shop',
      ips: ['10.0.0.11'],
      nodeName: 'n1',
      labels: { app: 'web' },
      workload: { kind: 'Deployment', name: 'web' },
    },
    {
      name: 'web-2',
      namespace: 'shop',
      ips: ['10.0.0.12'],
      nodeName: 'n2',
      labels: { app: 'web' },
      workload: { kind: 'Deployment', name: 'web' },
    },
    {
      name: 'cart-1',
      namespace: 'shop',
      ips: ['10.0.0.21'],
      labels: { app: 'cart' },
      workload: { kind: 'Deployment', name: 'cart' },
    },
    {
      name: 'db-0',
      namespace: 'data',
      ips: ['10.0.1.5'],
      labels: { app: 'db' },
      workload: { kind: 'StatefulSet', name: 'db' },
    },
    {
      name: 'agent-x',
      namespace: 'kube-system',
      ips: ['192.168.1.10'],
      hostNetwork: true,
    },
  ],
  services: [
    {
      name: 'web',
      namespace: 'shop',
      clusterIPs: ['10.96.0.10'],
      selector: { app: 'web' },
    },
    {
      name: 'cart',
      namespace: 'shop',
      clusterIPs: ['10.96.0.20'],
      selector: { app: 'cart' },
    },
    {
      name: 'db',
      namespace: 'data',
      clusterIPs: ['None'],
      selector: { app: 'db' },
    },
  ],
  endpointSlices: [
    {
      name: 'cart-abc',
      namespace: 'shop',
      serviceName: 'cart',
      endpoints: [
        {
          addresses: ['10.0.0.21'],
          targetRef: { kind: 'Pod', name: 'cart-1' },
        },
      ],
    },
  ],
  ingresses: [
    {
      name: 'front',
      namespace: 'shop',
      backends: [
        { serviceName: 'web', host: 'shop.example', path: '/' },
        { serviceName: 'gone' },
      ],
    },
  ],
};

const rel = (
  source: TrafficEdgeInput['source'],
  target: TrafficEdgeInput['target'],
  cpm = 10,
  extra = {},
): TrafficEdgeInput => ({
  source,
  target,
  metrics: { cpm, ...extra },
});

const merge = (
  relations: TrafficEdgeInput[],
  nodes: TopologyTrafficInput['nodes'] = [],
) => mergeTopology(structure, { window, nodes, relations }, { now });

const callEdges = (g: ReturnType<typeof merge>) =>
  g.edges.filter(e => e.kind === 'call');

describe('mergeTopology: structure', () => {
  const g = merge([]);

  it('has a node per object, with pod details', () => {
    expect(g.nodes.find(n => n.id === 'pod:shop/web-1')).toMatchObject({
      kind: 'pod',
      name: 'web-1',
      namespace: 'shop',
      details: { nodeName: 'n1', ip: '10.0.0.11' },
    });
    expect(
      g.nodes
        .filter(n => n.kind === 'workload')
        .map(n => n.id)
        .sort(),
    ).toEqual([
      'workload:data/StatefulSet/db',
      'workload:shop/Deployment/cart',
      'workload:shop/Deployment/web',
    ]);
    expect(g.generatedAt).toBe('2026-01-05T09:00:00.000Z');
    expect(g.window).toEqual(window);
  });

  it('owns, selects (slices first, else selector) and routes edges', () => {
    const ids = g.edges.map(e => e.id);
    expect(ids).toContain('owns:workload:shop/Deployment/web->pod:shop/web-1');
    expect(ids).toContain('selects:service:shop/web->pod:shop/web-2');
    expect(ids).toContain('selects:service:shop/cart->pod:shop/cart-1');
    expect(ids).toContain('selects:service:data/db->pod:data/db-0');
    expect(ids).toContain('routes:ingress:shop/front->service:shop/web');
  });

  it('counts an ingress backend that does not exist', () => {
    expect(g.unresolved.count).toBe(1);
    expect(g.unresolved.samples[0].reason).toBe('ingress-backend-not-found');
  });
});

describe('mergeTopology: address resolution', () => {
  it('resolves a pod IP', () => {
    const g = merge([
      rel({ address: '10.0.0.11:43210' }, { address: '10.0.0.21:8080' }),
    ]);
    expect(callEdges(g).map(e => e.id)).toEqual([
      'call:pod:shop/web-1->pod:shop/cart-1',
    ]);
  });

  it('resolves a Service cluster IP', () => {
    const g = merge([
      rel({ address: '10.0.0.11' }, { address: '10.96.0.20:80' }),
    ]);
    expect(callEdges(g).map(e => e.id)).toEqual([
      'call:pod:shop/web-1->service:shop/cart',
    ]);
  });

  it('keeps an unknown address as an external node', () => {
    const g = merge([
      rel({ address: '10.0.0.11' }, { address: '93.184.216.34:443' }),
    ]);
    expect(callEdges(g)[0].target).toBe('external:93.184.216.34');
    expect(g.nodes.find(n => n.id === 'external:93.184.216.34')).toMatchObject({
      kind: 'external',
      name: '93.184.216.34',
      namespace: '',
    });
  });

  it('resolves a pod of another namespace', () => {
    const g = merge([
      rel({ pod: 'cart-1', namespace: 'shop' }, { address: '10.0.1.5:5432' }),
    ]);
    expect(callEdges(g).map(e => e.id)).toEqual([
      'call:pod:shop/cart-1->pod:data/db-0',
    ]);
    expect(g.nodes.find(n => n.id === 'pod:data/db-0')?.namespace).toBe('data');
  });

  it('checks the pod table first by default, the Service table first on request', () => {
    const s: StructuralGraph = {
      pods: [{ name: 'p', namespace: 'a', ips: ['10.1.1.1'] }],
      services: [{ name: 's', namespace: 'a', clusterIPs: ['10.1.1.1'] }],
    };
    const t = {
      window,
      nodes: [],
      relations: [rel({ address: '1.2.3.4' }, { address: '10.1.1.1' })],
    };
    expect(callEdges(mergeTopology(s, t, { now }))[0].target).toBe('pod:a/p');
    expect(
      callEdges(mergeTopology(s, t, { now, ipLookupOrder: 'service-first' }))[0]
        .target,
    ).toBe('service:a/s');
  });

  it('does not resolve the shared IP of host-network pods to a pod', () => {
    const g = merge([
      rel({ address: '10.0.0.11' }, { address: '192.168.1.10:9100' }),
    ]);
    expect(callEdges(g)[0].target).toBe('external:192.168.1.10');
  });

  it('counts an IP shared by two pods as unresolved (ambiguous)', () => {
    const s: StructuralGraph = {
      pods: [
        { name: 'a', namespace: 'x', ips: ['10.2.2.2'] },
        { name: 'b', namespace: 'x', ips: ['10.2.2.2'] },
      ],
    };
    const g = mergeTopology(
      s,
      {
        window,
        nodes: [],
        relations: [rel({ address: '1.1.1.1' }, { address: '10.2.2.2' })],
      },
      { now },
    );
    expect(callEdges(g)).toHaveLength(0);
    expect(g.unresolved.count).toBe(1);
    expect(g.unresolved.samples[0].reason).toMatch(/ambiguous-pod-ip/);
  });

  it('parses IPv6 and port forms', () => {
    expect(hostOfAddress('[fd00::1]:8080')).toBe('fd00::1');
    expect(hostOfAddress('fd00::1')).toBe('fd00::1');
    expect(hostOfAddress('10.0.0.1:80')).toBe('10.0.0.1');
    expect(hostOfAddress('10.0.0.1')).toBe('10.0.0.1');
    expect(isLoopback('127.0.0.6')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });
});

describe('mergeTopology: what is not a call', () => {
  it('does not count sidecar-internal traffic (istio-proxy to the app on localhost)', () => {
    const g = merge([
      rel(
        { pod: 'web-1', namespace: 'shop', container: 'istio-proxy' },
        { address: '127.0.0.1:8080', container: 'app' },
      ),
      rel(
        { pod: 'web-1', namespace: 'shop', container: 'istio-proxy' },
        { pod: 'web-1', namespace: 'shop', container: 'app' },
      ),
      rel({ address: '10.0.0.11:15001' }, { address: '10.0.0.11:8080' }),
    ]);
    expect(callEdges(g)).toHaveLength(0);
    expect(g.skipped.sidecarInternal).toBe(3);
    expect(g.unresolved.count).toBe(1); // only the ingress backend
  });

  it('lists unresolved relations with reasons instead of hiding them', () => {
    const g = merge([
      rel({ oapService: 'web.shop' }, { oapService: 'Unknown' }, 7),
      rel({ oapService: 'web.shop' }, { oapService: 'payments.billing' }, 3),
      rel({ pod: 'ghost', namespace: 'shop' }, { oapService: 'cart.shop' }),
      rel({}, { oapService: 'cart.shop' }),
    ]);
    expect(callEdges(g)).toHaveLength(0);
    expect(g.unresolved.count).toBe(5);
    expect(g.unresolved.samples.map(s => s.reason)).toEqual([
      'ingress-backend-not-found',
      'target: unknown-in-oap',
      'target: service-not-in-cluster',
      'source: pod-not-found',
      'source: empty-endpoint',
    ]);
    expect(g.unresolved.samples[1]).toMatchObject({
      source: 'web.shop',
      target: 'Unknown',
      cpm: 7,
    });
  });

  it('caps samples but keeps the exact count', () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      rel({ oapService: 'web.shop' }, { oapService: `x${i}.nowhere` }),
    );
    const g = mergeTopology(
      structure,
      { window, nodes: [], relations: many },
      { now, maxUnresolvedSamples: 5 },
    );
    expect(g.unresolved.count).toBe(31);
    expect(g.unresolved.samples).toHaveLength(5);
  });
});

describe('mergeTopology: merging and aggregation', () => {
  it('merges duplicate relations into one edge', () => {
    const g = merge([
      rel({ address: '10.0.0.11:1111' }, { address: '10.96.0.20:80' }, 10, {
        latencyMs: 10,
        successRate: 1,
        bytesOutPerMin: 100,
        percentilesMs: { p99: 50 },
      }),
      rel(
        { pod: 'web-1', namespace: 'shop' },
        { oapService: 'cart.shop' },
        30,
        {
          latencyMs: 30,
          successRate: 0.9,
          bytesOutPerMin: 300,
          percentilesMs: { p99: 80 },
        },
      ),
    ]);
    const calls = callEdges(g);
    expect(calls).toHaveLength(1);
    expect(calls[0].id).toBe('call:pod:shop/web-1->service:shop/cart');
    expect(calls[0].metrics.cpm).toBe(40);
    expect(calls[0].metrics.latencyMs).toBeCloseTo(25); // (10*10 + 30*30) / 40
    expect(calls[0].metrics.successRate).toBeCloseTo(0.925);
    expect(calls[0].metrics.bytesOutPerMin).toBe(400);
    expect(calls[0].metrics.percentilesMs).toEqual({ p99: 80 });
  });

  it('attaches OAP metrics to services and pods, and aggregates pods into their workload', () => {
    const g = merge(
      [rel({ oapService: 'web.shop' }, { oapService: 'cart.shop' }, 12)],
      [
        {
          endpoint: { oapService: 'web.shop' },
          metrics: { cpm: 50, latencyMs: 20 },
        },
        {
          endpoint: { oapService: 'web.shop', pod: 'web-1' },
          metrics: { cpm: 20, latencyMs: 10, bytesInPerMin: 1000 },
        },
        {
          endpoint: { oapService: 'web.shop', pod: 'web-2' },
          metrics: { cpm: 30, latencyMs: 30, bytesInPerMin: 3000 },
        },
      ],
    );
    expect(
      g.nodes.find(n => n.id === nodeId.service('shop', 'web'))?.metrics,
    ).toEqual({ cpm: 50, latencyMs: 20 });
    const wl = g.nodes.find(
      n => n.id === nodeId.workload('shop', 'Deployment', 'web'),
    )!;
    expect(wl.metrics.cpm).toBe(50);
    expect(wl.metrics.latencyMs).toBeCloseTo(22);
    expect(wl.metrics.bytesInPerMin).toBe(4000);
    expect(callEdges(g).map(e => e.id)).toEqual([
      'call:service:shop/web->service:shop/cart',
    ]);
  });

  it('mergeMetrics keeps undefined out', () => {
    expect(mergeMetrics({}, {})).toEqual({});
    expect(mergeMetrics({ cpm: 1 }, {})).toEqual({ cpm: 1 });
  });

  it('converts OAP traffic, including the cluster prefix of service names', () => {
    const t: KubernetesTraffic = {
      layer: 'K8S_SERVICE',
      window: {
        from: window.from,
        to: window.to,
        step: 'MINUTE',
        duration: { start: '', end: '', step: 'MINUTE' },
      },
      services: [
        {
          id: 'a',
          name: 'prod::web.shop',
          serviceName: 'web',
          namespace: 'shop',
          cluster: 'prod',
          isReal: true,
          metrics: { cpm: 1 },
        },
      ],
      instances: [
        {
          id: 'i',
          name: 'web-1',
          serviceId: 'a',
          serviceName: 'web.shop',
          metrics: { cpm: 1 },
        },
      ],
      relations: [
        {
          id: 'r',
          source: 'a',
          target: 'b',
          sourceName: 'web.shop',
          targetName: 'cart.shop',
          detectPoints: ['SERVER'],
          components: [],
          side: 'server',
          metrics: { cpm: 2 },
        },
      ],
      instanceRelations: [
        {
          id: 'ir',
          source: 'i',
          target: 'j',
          sourceName: 'web-2',
          targetName: 'cart-1',
          sourceServiceName: 'web.shop',
          targetServiceName: 'cart.shop',
          detectPoints: ['CLIENT'],
          components: [],
          side: 'client',
          metrics: { cpm: 3 },
        },
      ],
      warnings: [],
    };
    const g = mergeTopology(structure, trafficInputFromOap(t), { now });
    expect(
      callEdges(g)
        .map(e => e.id)
        .sort(),
    ).toEqual([
      'call:pod:shop/web-2->pod:shop/cart-1',
      'call:service:shop/web->service:shop/cart',
    ]);
    expect(g.nodes.find(n => n.id === 'service:shop/web')?.metrics.cpm).toBe(1);
    expect(g.nodes.find(n => n.id === 'pod:shop/web-1')?.metrics.cpm).toBe(1);
  });

  it('works without traffic', () => {
    const g = mergeTopology({}, undefined, { now });
    expect(g).toEqual({
      nodes: [],
      edges: [],
      unresolved: { count: 0, samples: [] },
      skipped: { sidecarInternal: 0 },
      generatedAt: now.toISOString(),
      window: { from: '', to: '' },
    });
  });
});
