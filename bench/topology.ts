/*
 * Size and build time of the topology response for a large cluster: 1,000
 * Services (each a Deployment with 2 pods, a ClusterIP and an EndpointSlice)
 * and 5,000 OAP relations (service-level, pod-level, unresolvable names and
 * external IPs). The baseline is the unbounded merged graph; the measured
 * case is that graph after boundTopology, as the endpoint returns it. Both in
 * the same run, on the same input.
 */
import zlib from 'node:zlib';
import {
  BoundTopologyOptions,
  DEFAULT_TOPOLOGY_BOUND,
  StructuralGraph,
  TopologyGraph,
  boundTopology,
  mergeTopology,
  trafficInputFromOap,
} from '../plugins/skywalking-common/src/topology';
import type {
  KubernetesTraffic,
  TrafficMetrics,
} from '../plugins/skywalking-common/src/oap/kubernetesTraffic';
import {
  OapDoubleScenario,
  createTrafficSource,
  oapIds,
} from '../packages/oap-double/src/traffic';

/** The endpoint's limits (TopologyService uses the same constant). */
export const ENDPOINT_BOUND: BoundTopologyOptions = DEFAULT_TOPOLOGY_BOUND;

const SERVICES = 1000;
const NAMESPACES = 25;
const RELATIONS = { service: 3800, pod: 800, unresolvable: 250, external: 150 }; // 5,000
const WINDOW = { from: Date.UTC(2026, 0, 1, 10, 0), minutes: 15 };

/** A deterministic stream in [0, 1) (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticCluster() {
  const scenario: OapDoubleScenario = { services: [], calls: [] };
  const structure: Required<
    Pick<StructuralGraph, 'workloads' | 'pods' | 'services' | 'endpointSlices'>
  > = {
    workloads: [],
    pods: [],
    services: [],
    endpointSlices: [],
  };
  for (let i = 0; i < SERVICES; i++) {
    const namespace = `ns-${String(i % NAMESPACES).padStart(2, '0')}`;
    const name = `svc-${String(i).padStart(4, '0')}`;
    const hash = (0x5f3a9c + i * 7919).toString(16).slice(-6);
    const pods = ['x7k2p', 'm4q9z'].map((suffix, j) => {
      const k = 2 * i + j;
      return {
        name: `${name}-${hash}-${suffix}`,
        ip: `10.244.${k >> 8}.${k & 255}`,
      };
    });
    scenario.services.push({ name, namespace, pods });
    structure.services.push({
      name,
      namespace,
      clusterIPs: [`10.96.${i >> 8}.${i & 255}`],
      selector: { app: name },
    });
    structure.workloads.push({ kind: 'Deployment', name, namespace });
    for (const [j, p] of pods.entries()) {
      structure.pods.push({
        name: p.name,
        namespace,
        ips: [p.ip],
        nodeName: `node-${(2 * i + j) % 50}`,
        labels: { app: name, 'pod-template-hash': hash },
        workload: { kind: 'Deployment', name },
      });
    }
    structure.endpointSlices.push({
      name: `${name}-${hash.slice(0, 5)}`,
      namespace,
      serviceName: name,
      endpoints: pods.map(p => ({
        addresses: [p.ip],
        targetRef: { kind: 'Pod', name: p.name, namespace },
      })),
    });
  }
  // service-level calls between distinct services, no duplicates
  const next = rng(42);
  const seen = new Set<string>();
  while (scenario.calls.length < RELATIONS.service) {
    const a = Math.floor(next() * SERVICES);
    const b = Math.floor(next() * SERVICES);
    if (a === b || seen.has(`${a}>${b}`)) continue;
    seen.add(`${a}>${b}`);
    const ref = (x: number) =>
      `${scenario.services[x].name}.${scenario.services[x].namespace}`;
    scenario.calls.push({ from: ref(a), to: ref(b) });
  }

  // metrics from the OAP double's generator, averaged over the window like fetchKubernetesTraffic
  const source = createTrafficSource(scenario, { seed: 7 });
  const mean = (f: (bucket: number) => number) => {
    let sum = 0;
    for (let m = 0; m < WINDOW.minutes; m++) sum += f(WINDOW.from + m * 60_000);
    return sum / WINDOW.minutes;
  };
  const metrics = (key: string): TrafficMetrics => {
    const v = (kind: Parameters<typeof source.value>[0], p?: number) =>
      mean(b => source.value(kind, key, b, p) ?? 0);
    return {
      cpm: v('cpm'),
      latencyMs: v('latency'),
      successRate: v('successRate') / 10000,
      bytesInPerMin: v('bytesIn'),
      bytesOutPerMin: v('bytesOut'),
      percentilesMs: {
        p50: v('percentile', 50),
        p75: v('percentile', 75),
        p90: v('percentile', 90),
        p95: v('percentile', 95),
        p99: v('percentile', 99),
      },
    };
  };
  const rel = (
    source_: string,
    target: string,
    sourceName: string,
    targetName: string,
  ) => ({
    id: oapIds.relation(source_, target),
    source: source_,
    target,
    sourceName,
    targetName,
    detectPoints: ['SERVER' as const, 'CLIENT' as const],
    components: ['http'],
    side: 'server' as const,
    metrics: metrics(oapIds.relation(source_, target)),
  });
  const nameOf = new Map(source.services.map(s => [s.id, s.name]));
  const instances = source.services.flatMap(s => s.instances);
  const instanceById = new Map(instances.map(i => [i.id, i]));

  const relations = source.relations.map(r =>
    rel(r.source, r.target, nameOf.get(r.source)!, nameOf.get(r.target)!),
  );
  // remote sides OAP could not name: Unknown, or a service of another cluster
  for (let i = 0; i < RELATIONS.unresolvable; i++) {
    const from = source.services[(i * 37) % SERVICES];
    const targetName =
      i % 2
        ? 'Unknown'
        : `gone-${i}.ns-${String(i % NAMESPACES).padStart(2, '0')}`;
    relations.push(
      rel(from.id, oapIds.service(targetName), from.name, targetName),
    );
  }
  // external addresses: OAP names a remote it cannot resolve by its IP
  for (let i = 0; i < RELATIONS.external; i++) {
    const from = source.services[(i * 53 + 11) % SERVICES];
    const ip = i % 3 ? `203.0.113.${i % 100}` : `198.51.100.${i % 50}`;
    relations.push(rel(from.id, oapIds.service(ip), from.name, ip));
  }
  // pod-level: the first instance relations of the generated calls (every 4th, to spread them)
  const instanceRelations = source.instanceRelations
    .filter((_, i) => i % 4 === 0)
    .slice(0, RELATIONS.pod)
    .map(r => {
      const a = instanceById.get(r.source)!;
      const b = instanceById.get(r.target)!;
      return {
        ...rel(r.source, r.target, a.name, b.name),
        sourceServiceName: a.serviceName,
        targetServiceName: b.serviceName,
      };
    });

  const iso = (ms: number) => new Date(ms).toISOString();
  const traffic: KubernetesTraffic = {
    layer: source.layer,
    window: {
      from: iso(WINDOW.from),
      to: iso(WINDOW.from + WINDOW.minutes * 60_000),
      step: 'MINUTE',
      duration: {
        start: '2026-01-01 1000',
        end: '2026-01-01 1015',
        step: 'MINUTE',
      },
    },
    services: source.services.map(s => {
      const [name, namespace] = s.name.split('.');
      return {
        id: s.id,
        name: s.name,
        serviceName: name,
        namespace,
        isReal: true,
        metrics: metrics(s.id),
      };
    }),
    instances: instances.map(i => ({
      id: i.id,
      name: i.name,
      serviceId: i.serviceId,
      serviceName: i.serviceName,
      metrics: metrics(i.id),
    })),
    relations,
    instanceRelations,
    warnings: [],
  };
  return { structure: structure as StructuralGraph, traffic };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) =>
    s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { p50: q(0.5), p95: q(0.95) };
};

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

interface Case {
  nodes: number;
  edges: number;
  merge: { p50: number; p95: number };
  bound: { p50: number; p95: number };
  serialize: { p50: number; p95: number };
  gzip: { p50: number; p95: number };
  total: { p50: number; p95: number };
  rawBytes: number;
  gzipBytes: number;
  graph: TopologyGraph;
}

export async function benchTopology(opts = { iterations: 20, warmup: 3 }) {
  const { structure, traffic } = syntheticCluster();
  const now = new Date(WINDOW.from + WINDOW.minutes * 60_000);
  const samples = {
    merge: [] as number[],
    base: {
      serialize: [] as number[],
      gzip: [] as number[],
      total: [] as number[],
    },
    bounded: {
      bound: [] as number[],
      serialize: [] as number[],
      gzip: [] as number[],
      total: [] as number[],
    },
  };
  let last:
    | {
        merged: TopologyGraph;
        bounded: TopologyGraph;
        raw: [number, number];
        gz: [number, number];
      }
    | undefined;
  for (let i = 0; i < opts.warmup + opts.iterations; i++) {
    // what the endpoint does per request: convert OAP's answer, merge, (bound), serialize, compress
    let t = process.hrtime.bigint();
    const merged = mergeTopology(structure, trafficInputFromOap(traffic), {
      now,
    });
    const merge = ms(t);

    t = process.hrtime.bigint();
    const baseJson = JSON.stringify(merged);
    const baseSerialize = ms(t);
    t = process.hrtime.bigint();
    const baseGz = zlib.gzipSync(baseJson);
    const baseGzip = ms(t);

    t = process.hrtime.bigint();
    const bounded = boundTopology(merged, ENDPOINT_BOUND);
    const bound = ms(t);
    t = process.hrtime.bigint();
    const boundedJson = JSON.stringify(bounded);
    const boundedSerialize = ms(t);
    t = process.hrtime.bigint();
    const boundedGz = zlib.gzipSync(boundedJson);
    const boundedGzip = ms(t);

    if (i < opts.warmup) continue;
    samples.merge.push(merge);
    samples.base.serialize.push(baseSerialize);
    samples.base.gzip.push(baseGzip);
    samples.base.total.push(merge + baseSerialize + baseGzip);
    samples.bounded.bound.push(bound);
    samples.bounded.serialize.push(boundedSerialize);
    samples.bounded.gzip.push(boundedGzip);
    samples.bounded.total.push(merge + bound + boundedSerialize + boundedGzip);
    last = {
      merged,
      bounded,
      raw: [Buffer.byteLength(baseJson), Buffer.byteLength(boundedJson)],
      gz: [baseGz.length, boundedGz.length],
    };
  }
  const l = last!;
  const zero = { p50: 0, p95: 0 };
  const baseline: Case = {
    nodes: l.merged.nodes.length,
    edges: l.merged.edges.length,
    merge: stats(samples.merge),
    bound: zero,
    serialize: stats(samples.base.serialize),
    gzip: stats(samples.base.gzip),
    total: stats(samples.base.total),
    rawBytes: l.raw[0],
    gzipBytes: l.gz[0],
    graph: l.merged,
  };
  const boundedCase: Case = {
    nodes: l.bounded.nodes.length,
    edges: l.bounded.edges.length,
    merge: stats(samples.merge),
    bound: stats(samples.bounded.bound),
    serialize: stats(samples.bounded.serialize),
    gzip: stats(samples.bounded.gzip),
    total: stats(samples.bounded.total),
    rawBytes: l.raw[1],
    gzipBytes: l.gz[1],
    graph: l.bounded,
  };
  const relationCount =
    traffic.relations.length + traffic.instanceRelations.length;
  return {
    ...opts,
    input: {
      services: structure.services!.length,
      pods: structure.pods!.length,
      relations: relationCount,
      serviceRelations: traffic.relations.length,
      podRelations: traffic.instanceRelations.length,
    },
    bound: ENDPOINT_BOUND,
    baseline,
    bounded: boundedCase,
  };
}
