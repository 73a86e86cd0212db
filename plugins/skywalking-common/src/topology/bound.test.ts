import { boundTopology, roundMetrics } from './bound';
import { mergeTopology } from './merge';
import type { StructuralGraph, TrafficEdgeInput } from './types';

/** Deterministic pseudo-random numbers. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The stated bound for 1,000 services and 5,000 relations, all with full metrics:
// 2.2 MB (about 400 bytes per relation with its node share). Measured: ~2.14 MB
// with each item marked seenBy K8S_SERVICE (~1.99 MB before layers were kept).
const MAX_BYTES = 2_200_000;

describe('boundTopology', () => {
  it('rounds metrics and drops non-finite values', () => {
    expect(
      roundMetrics({
        cpm: 1.23456,
        latencyMs: NaN,
        successRate: 0.987654,
        bytesInPerMin: 10.6,
        percentilesMs: { p50: 3.14159 },
      }),
    ).toEqual({
      cpm: 1.2,
      successRate: 0.9877,
      bytesInPerMin: 11,
      percentilesMs: { p50: 3.1 },
    });
  });

  it('rounds each layer\'s metrics like the metrics', () => {
    const g = mergeTopology(
      { services: ['a', 'b'].map(name => ({ name, namespace: 'n' })) },
      {
        window: { from: '', to: '' },
        nodes: [],
        relations: [
          { source: { oapService: 'a.n' }, target: { oapService: 'b.n' }, metrics: { cpm: 1.26, percentilesMs: { p75: 9.99, p99: 12.345 } }, layer: 'K8S_SERVICE' },
          { source: { agentService: 'a' }, target: { agentService: 'b' }, metrics: { cpm: 2.04, successRate: 0.123456 }, layer: 'GENERAL' },
        ],
      },
    );
    const e = boundTopology(g).edges.find(x => x.kind === 'call')!;
    expect(e.metrics).toEqual({ cpm: 1.3, percentilesMs: { p99: 12.3 } });
    expect(e.seenBy).toEqual(['K8S_SERVICE', 'GENERAL']);
    expect(e.layers).toEqual({ GENERAL: { cpm: 2, successRate: 0.1235 } });
  });

  it('caps samples, keeps the busiest edges and counts what it dropped', () => {
    const structure: StructuralGraph = {
      services: ['a', 'b', 'c'].map(name => ({ name, namespace: 'n' })),
    };
    const relations: TrafficEdgeInput[] = [
      {
        source: { oapService: 'a.n' },
        target: { oapService: 'b.n' },
        metrics: { cpm: 1 },
      },
      {
        source: { oapService: 'a.n' },
        target: { oapService: 'c.n' },
        metrics: { cpm: 9 },
      },
      ...Array.from({ length: 40 }, (_, i) => ({
        source: { oapService: 'a.n' },
        target: { oapService: `z${i}.n` },
        metrics: {},
      })),
    ];
    const g = mergeTopology(structure, {
      window: { from: '', to: '' },
      nodes: [],
      relations,
    });
    const b = boundTopology(g, { maxSamples: 3, maxEdges: 1 });
    expect(b.unresolved).toMatchObject({ count: 40 });
    expect(b.unresolved.samples).toHaveLength(3);
    expect(b.edges.map(e => e.id)).toEqual(['call:service:n/a->service:n/c']);
    expect(b.truncated).toEqual({ nodes: 0, edges: 1 });
    // a node cut keeps both ends of the busiest call (a->c, 9 cpm), not the first nodes
    const n = boundTopology(g, { maxNodes: 2 });
    expect(n.nodes.map(x => x.id)).toEqual(['service:n/a', 'service:n/c']);
    expect(n.edges.map(e => e.id)).toEqual(['call:service:n/a->service:n/c']);
    expect(n.truncated).toEqual({ nodes: 1, edges: 1 });
  });

  it(`a topology of 1,000 services and 5,000 relations serializes under ${MAX_BYTES} bytes`, () => {
    const rand = rng(42);
    const services = Array.from({ length: 1000 }, (_, i) => ({
      name: `service-${i}`,
      namespace: `namespace-${i % 25}`,
      clusterIPs: [`10.96.${i >> 8}.${i & 255}`],
    }));
    const metrics = () => ({
      cpm: rand() * 1000,
      latencyMs: rand() * 500,
      successRate: 0.9 + rand() / 10,
      bytesInPerMin: rand() * 1e7,
      bytesOutPerMin: rand() * 1e7,
      percentilesMs: {
        p50: rand() * 100,
        p75: rand() * 200,
        p90: rand() * 300,
        p95: rand() * 400,
        p99: rand() * 900,
      },
    });
    const relations: TrafficEdgeInput[] = [];
    const seen = new Set<string>();
    while (relations.length < 5000) {
      const a = Math.floor(rand() * 1000);
      const b = Math.floor(rand() * 1000);
      if (a === b || seen.has(`${a}-${b}`)) continue;
      seen.add(`${a}-${b}`);
      relations.push({
        source: { oapService: `${services[a].name}.${services[a].namespace}` },
        target: { oapService: `${services[b].name}.${services[b].namespace}` },
        metrics: metrics(),
        layer: 'K8S_SERVICE', // as TopologyService sends it: seenBy on each item
      });
    }
    // 200 relations to nowhere: unresolved, sampled.
    for (let i = 0; i < 200; i++)
      relations.push({
        source: { oapService: 'service-1.namespace-1' },
        target: { oapService: `gone-${i}.x` },
        metrics: metrics(),
      });
    const nodes = services.map(s => ({
      endpoint: { oapService: `${s.name}.${s.namespace}` },
      metrics: metrics(),
      layer: 'K8S_SERVICE',
    }));
    const g = mergeTopology(
      { services },
      {
        window: {
          from: '2026-01-05T08:00:00Z',
          to: '2026-01-05T09:00:00Z',
          step: 'MINUTE',
        },
        nodes,
        relations,
      },
    );
    expect(g.nodes).toHaveLength(1000);
    expect(g.edges).toHaveLength(5000);
    expect(g.unresolved.count).toBe(200);
    const raw = Buffer.byteLength(JSON.stringify(g));
    const bounded = boundTopology(g);
    const size = Buffer.byteLength(JSON.stringify(bounded));
    expect(bounded.edges).toHaveLength(5000);
    expect(bounded.unresolved.samples).toHaveLength(20);
    expect(size).toBeLessThan(MAX_BYTES);
    expect(size).toBeLessThan(raw);
    expect(bounded.edges[0].metrics.percentilesMs).toEqual({
      p50: expect.any(Number),
      p95: expect.any(Number),
      p99: expect.any(Number),
    });
    // eslint-disable-next-line no-console
    console.log(
      `topology 1000 services / 5000 relations: raw ${raw} B, bounded ${size} B`,
    );
  });
});
