import type { GeneralTraffic } from '../oap/generalTraffic';
import type { KubernetesTraffic } from '../oap/kubernetesTraffic';
import {
  combineTrafficInputs,
  trafficInputFromGeneral,
  trafficInputFromOap,
} from './inputs';
import { LAYER_PRIORITY, mergeTopology, metricsByLayer } from './merge';
import type {
  StructuralGraph,
  TopologyTrafficInput,
  TrafficEndpoint,
} from './types';

const window = {
  from: '2026-01-05T08:45:00Z',
  to: '2026-01-05T09:00:00Z',
  step: 'MINUTE' as const,
};
const duration = {
  start: '2026-01-05 0845',
  end: '2026-01-05 0900',
  step: 'MINUTE' as const,
};

const pod = (
  name: string,
  app: string,
  ip: string,
  agent?: string,
  kind = 'Deployment',
) => ({
  name,
  namespace: 'shop',
  ips: [ip],
  labels: { app },
  workload: { kind, name: `shop-${app}` },
  ...(agent ? { agentServices: [agent] } : {}),
});
const svc = (name: string, app: string, ip: string) => ({
  name,
  namespace: 'shop',
  clusterIPs: [ip],
  selector: { app },
});

// the demo shop: frontend and orders run agents, payments does not
const structure: StructuralGraph = {
  pods: [
    pod('frontend-1', 'frontend', '10.0.0.1', 'shop-frontend'),
    pod('frontend-2', 'frontend', '10.0.0.2', 'shop-frontend'),
    pod('orders-1', 'orders', '10.0.0.3', 'shop-orders'),
    pod('payments-0', 'payments', '10.0.0.4', undefined, 'StatefulSet'),
  ],
  services: [
    svc('shop-frontend', 'frontend', '10.96.0.1'),
    svc('shop-orders', 'orders', '10.96.0.2'),
    svc('shop-payments', 'payments', '10.96.0.3'),
  ],
};

const k8s: KubernetesTraffic = {
  layer: 'K8S_SERVICE',
  window: { ...window, duration },
  services: [],
  instances: [],
  relations: [
    {
      id: 'k1',
      source: 'a',
      target: 'b',
      sourceName: 'shop-frontend.shop',
      targetName: 'shop-orders.shop',
      detectPoints: ['SERVER'],
      components: ['http'],
      side: 'server',
      metrics: { cpm: 100, latencyMs: 20 },
    },
    {
      id: 'k2',
      source: 'b',
      target: 'c',
      sourceName: 'shop-orders.shop',
      targetName: 'shop-payments.shop',
      detectPoints: ['SERVER'],
      components: ['http'],
      side: 'server',
      metrics: { cpm: 50 },
    },
  ],
  instanceRelations: [],
  warnings: [],
};

const gs = (
  id: string,
  name: string,
  isReal = true,
  k8sServices: string[] = [],
) => ({
  id,
  name,
  isReal,
  type: null,
  k8sServices,
  metrics: isReal ? { cpm: 90 } : {},
});
const rel = (
  source: string,
  target: string,
  names: [string, string],
  cpm: number,
) => ({
  id: `${source}-${target}`,
  source,
  target,
  sourceName: names[0],
  targetName: names[1],
  detectPoints: ['CLIENT' as const],
  components: [],
  side: 'client' as const,
  metrics: { cpm },
});
const general: GeneralTraffic = {
  layer: 'GENERAL',
  window: { ...window, duration },
  services: [
    gs('u', 'User', false),
    gs('f', 'shop-frontend'),
    gs('o', 'shop-orders'),
    gs('p', 'shop-payments:80', false),
  ],
  relations: [
    rel('u', 'f', ['User', 'shop-frontend'], 95),
    rel('f', 'o', ['shop-frontend', 'shop-orders'], 98),
    rel('o', 'p', ['shop-orders', 'shop-payments:80'], 49),
  ],
  missing: [],
  warnings: [],
};

const now = new Date('2026-01-05T09:00:00Z');
const both = () =>
  mergeTopology(
    structure,
    combineTrafficInputs(
      trafficInputFromOap(k8s),
      trafficInputFromGeneral(general),
    ),
    { now },
  );
const call = (g: ReturnType<typeof both>, from: string, to: string) =>
  g.edges.find(e => e.kind === 'call' && e.source === from && e.target === to);

describe("merging the Kubernetes layer and the agents' GENERAL layer", () => {
  it('draws a call both layers saw as one edge with the metrics of each, the Kubernetes layer first', () => {
    const g = both();
    const e = call(
      g,
      'service:shop/shop-frontend',
      'service:shop/shop-orders',
    )!;
    expect(metricsByLayer(e)).toEqual({
      K8S_SERVICE: { cpm: 100, latencyMs: 20 },
      GENERAL: { cpm: 98 },
    });
    // the first layer's metrics are `metrics`, not sent twice
    expect(e.seenBy).toEqual(['K8S_SERVICE', 'GENERAL']);
    expect(e.metrics).toEqual({ cpm: 100, latencyMs: 20 });
    expect(e.layers).toEqual({ GENERAL: { cpm: 98 } });
    expect(LAYER_PRIORITY[0]).toBe('K8S_SERVICE');
    expect(g.edges.filter(x => x.kind === 'call')).toHaveLength(3);
    expect(g.unresolved.count).toBe(0);
  });

  it("resolves an agent's peer host:port through Kubernetes DNS in the caller's namespace", () => {
    const e = call(
      both(),
      'service:shop/shop-orders',
      'service:shop/shop-payments',
    )!;
    expect(e.seenBy).toEqual(['K8S_SERVICE', 'GENERAL']);
    expect(metricsByLayer(e).GENERAL).toEqual({ cpm: 49 });
  });

  it("draws calls only the agents saw (from OAP's User) with the GENERAL layer alone", () => {
    const g = both();
    const e = call(g, 'external:User', 'service:shop/shop-frontend')!;
    expect(e.seenBy).toEqual(['GENERAL']);
    expect(e).not.toHaveProperty('layers');
    expect(metricsByLayer(e)).toEqual({ GENERAL: { cpm: 95 } });
    expect(e.metrics).toEqual({ cpm: 95 });
    expect(g.nodes.find(n => n.id === 'external:User')?.kind).toBe('external');
  });

  it("keeps each layer's node metrics apart", () => {
    const withNode = {
      ...k8s,
      services: [
        {
          id: 'a',
          name: 'shop-frontend.shop',
          serviceName: 'shop-frontend',
          namespace: 'shop',
          isReal: true,
          metrics: { cpm: 110 },
        },
      ],
    };
    const g = mergeTopology(
      structure,
      combineTrafficInputs(
        trafficInputFromOap(withNode),
        trafficInputFromGeneral(general),
      ),
      { now },
    );
    const n = g.nodes.find(x => x.id === 'service:shop/shop-frontend')!;
    expect(metricsByLayer(n)).toEqual({
      K8S_SERVICE: { cpm: 110 },
      GENERAL: { cpm: 90 },
    });
    expect(n.metrics.cpm).toBe(110);
  });

  it('the structure alone has no layers', () => {
    const g = mergeTopology(structure, undefined, { now });
    const items = [...g.edges, ...g.nodes];
    expect(items.some(x => x.seenBy || x.layers)).toBe(false);
    expect(metricsByLayer(g.nodes[0])).toEqual({});
  });
});

describe('finding an agent service in the cluster', () => {
  const one = (
    source: TrafficEndpoint,
    target: TrafficEndpoint,
    s: StructuralGraph = structure,
  ) => {
    const input: TopologyTrafficInput = {
      window,
      nodes: [],
      relations: [{ source, target, metrics: { cpm: 1 }, layer: 'GENERAL' }],
    };
    return mergeTopology(s, input, { now });
  };
  const noAgents: StructuralGraph = {
    ...structure,
    pods: structure.pods!.map(({ agentServices: _a, ...p }) => p),
  };
  const target = (g: ReturnType<typeof one>) =>
    g.edges.find(e => e.kind === 'call')?.target;

  it('by the pods that report as it: their Service', () => {
    expect(target(one({ peer: 'User' }, { agentService: 'shop-orders' }))).toBe(
      'service:shop/shop-orders',
    );
  });

  it('by their workload when no Service selects them', () => {
    const s = { ...structure, services: [] };
    expect(
      target(one({ peer: 'User' }, { agentService: 'shop-frontend' }, s)),
    ).toBe('workload:shop/Deployment/shop-frontend');
  });

  it("by OAP's hierarchy (its K8S_SERVICE service) when no pod we read names it", () => {
    expect(
      target(
        one(
          { peer: 'User' },
          { agentService: 'orders-v2', oapService: 'shop-orders.shop' },
          noAgents,
        ),
      ),
    ).toBe('service:shop/shop-orders');
  });

  it("by OAP's hierarchy rule (short name = Service name) when OAP gave no hierarchy, group prefix removed", () => {
    expect(
      target(
        one(
          { peer: 'User' },
          { agentService: 'team-a::shop-orders' },
          noAgents,
        ),
      ),
    ).toBe('service:shop/shop-orders');
  });

  it('counts an agent with no Service of its name, and one whose name two namespaces have, as unresolved', () => {
    const g = one({ peer: 'User' }, { agentService: 'legacy-batch' }, noAgents);
    expect(g.unresolved.samples[0]).toMatchObject({
      target: 'agent legacy-batch',
      reason: 'target: agent-service-not-in-cluster',
    });
    const twice = {
      ...noAgents,
      services: [
        ...noAgents.services!,
        { name: 'shop-orders', namespace: 'other' },
      ],
    };
    expect(
      one({ peer: 'User' }, { agentService: 'shop-orders' }, twice).unresolved
        .samples[0].reason,
    ).toMatch(
      /ambiguous-agent-service \(Services shop\/shop-orders, other\/shop-orders\)/,
    );
  });

  it.each([
    ['shop-payments.shop.svc.cluster.local:80', 'service:shop/shop-payments'],
    ['shop-payments.shop:8080', 'service:shop/shop-payments'],
    ['10.0.0.4:8080', 'pod:shop/payments-0'],
    ['10.96.0.3:80', 'service:shop/shop-payments'],
    ['api.example.com:443', 'external:api.example.com'],
    ['203.0.113.7:5432', 'external:203.0.113.7'],
  ])('resolves the peer %s to %s', (peer, id) => {
    expect(target(one({ agentService: 'shop-orders' }, { peer }))).toBe(id);
  });

  it('counts a cluster DNS name of a Service that does not exist as unresolved', () => {
    const g = one(
      { agentService: 'shop-orders' },
      { peer: 'cart.shop.svc.cluster.local:80' },
    );
    expect(g.unresolved.samples[0]).toMatchObject({
      target: 'peer cart.shop.svc.cluster.local:80',
      reason: 'target: service-not-in-cluster',
    });
  });
});
