/**
 * Deterministic traffic for the OAP test double: services, instances (pods),
 * relations and per-minute metric values, from a scenario the caller passes
 * (e.g. read from the Kubernetes API).
 */

import { GeneralLayer, GeneralScenario, buildGeneralLayer } from './general';

export interface OapDoubleScenario {
  services: Array<{
    name: string;
    namespace: string;
    pods: Array<{ name: string; ip?: string }>;
  }>;
  /** `from`/`to`: `name.namespace` or a bare service name. */
  calls: Array<{ from: string; to: string }>;
  /** Optional cluster name: OAP then names services `cluster::name.namespace`. */
  cluster?: string;
  /** The GENERAL layer: agents (SW_AGENT_NAME) and their calls; default none. */
  general?: GeneralScenario;
}

export interface DoubleService {
  id: string;
  /** OAP name, `[cluster::]name.namespace`. */
  name: string;
  instances: DoubleInstance[];
}

export interface DoubleInstance {
  id: string;
  name: string;
  serviceId: string;
  serviceName: string;
}

export interface DoubleRelation {
  id: string;
  source: string;
  target: string;
}

/** What the double serves. */
export interface OapDoubleTrafficSource {
  readonly layer: string;
  readonly services: DoubleService[];
  readonly relations: DoubleRelation[];
  readonly instanceRelations: DoubleRelation[];
  /** The agents' layer (empty unless the scenario has `general`). */
  readonly general: GeneralLayer;
  serviceByName(name: string): DoubleService | undefined;
  instanceByName(
    serviceName: string,
    instanceName: string,
  ): DoubleInstance | undefined;
  /** A metric value for an entity key at a time bucket (epoch ms), or null. */
  value(
    metric: MetricKind,
    entityKey: string,
    bucketMs: number,
    percentile?: number,
  ): number | null;
}

export type MetricKind =
  | 'cpm'
  | 'successCpm'
  | 'errorCpm'
  | 'latency'
  | 'percentile'
  | 'successRate'
  | 'bytesIn'
  | 'bytesOut';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** OAP's ids: service `base64(name).1`, instance `serviceId_base64(name)`. */
export const oapIds = {
  service: (name: string) => `${b64(name)}.1`,
  instance: (serviceId: string, name: string) => `${serviceId}_${b64(name)}`,
  relation: (source: string, target: string) => `${source}-${target}`,
};

/** FNV-1a, then a mulberry32 step: a stable uniform number in [0, 1). */
function hash01(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  const s = parts.join('|');
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  let t = (h + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const PERCENTILE_FACTORS: Record<number, number> = {
  50: 0.8,
  75: 1.15,
  90: 1.7,
  95: 2.2,
  99: 3.6,
};

/** Builds a deterministic traffic source for a scenario and seed. */
export function createTrafficSource(
  scenario: OapDoubleScenario,
  options: { seed?: number } = {},
): OapDoubleTrafficSource {
  const seed = options.seed ?? 1;
  const prefix = scenario.cluster ? `${scenario.cluster}::` : '';
  const services: DoubleService[] = scenario.services.map(s => {
    const name = `${prefix}${s.name}.${s.namespace}`;
    const id = oapIds.service(name);
    return {
      id,
      name,
      instances: s.pods.map(p => ({
        id: oapIds.instance(id, p.name),
        name: p.name,
        serviceId: id,
        serviceName: name,
      })),
    };
  });
  const byName = new Map(services.map(s => [s.name, s]));
  const find = (ref: string): DoubleService => {
    const exact = byName.get(ref) ?? byName.get(`${prefix}${ref}`);
    if (exact) return exact;
    const matches = scenario.services.filter(s => s.name === ref);
    if (matches.length === 1)
      return byName.get(`${prefix}${matches[0].name}.${matches[0].namespace}`)!;
    throw new Error(
      `OAP test double scenario: call refers to ${
        matches.length ? 'ambiguous' : 'unknown'
      } service "${ref}"`,
    );
  };
  const relations: DoubleRelation[] = [];
  const instanceRelations: DoubleRelation[] = [];
  const seenRel = new Set<string>();
  for (const c of scenario.calls) {
    const from = find(c.from);
    const to = find(c.to);
    if (from.id === to.id) continue; // OAP drops same-service traffic
    const id = oapIds.relation(from.id, to.id);
    if (seenRel.has(id)) continue;
    seenRel.add(id);
    relations.push({ id, source: from.id, target: to.id });
    for (const a of from.instances) {
      for (const b of to.instances) {
        instanceRelations.push({
          id: oapIds.relation(a.id, b.id),
          source: a.id,
          target: b.id,
        });
      }
    }
  }
  const instanceIndex = new Map<string, DoubleInstance>();
  for (const s of services)
    for (const i of s.instances)
      instanceIndex.set(`${s.name}\u0000${i.name}`, i);

  const value: OapDoubleTrafficSource['value'] = (
    metric,
    key,
    bucketMs,
    percentile,
  ) => {
    const minute = Math.floor(bucketMs / 60_000);
    const baseCpm = 5 + 195 * hash01(seed, key, 'cpm');
    const cpm = baseCpm * (0.75 + 0.5 * hash01(seed, key, 'cpm', minute));
    const errShare =
      0.03 * hash01(seed, key, 'err', minute) * hash01(seed, key, 'flaky');
    const latency =
      (5 + 115 * hash01(seed, key, 'lat')) *
      (0.8 + 0.4 * hash01(seed, key, 'lat', minute));
    const size = 300 + 4700 * hash01(seed, key, 'size');
    switch (metric) {
      case 'cpm':
        return Math.round(cpm);
      case 'successCpm':
        return Math.round(cpm * (1 - errShare));
      case 'errorCpm':
        return Math.round(cpm * errShare);
      case 'successRate':
        return Math.round((1 - errShare) * 10000); // OAL percent(): 10000 = 100 %
      case 'latency':
        return Math.round(latency);
      case 'percentile':
        return (
          Math.round(
            (latency * (PERCENTILE_FACTORS[percentile ?? 50] ?? 1)) / 10,
          ) * 10
        ); // percentile2(10)
      case 'bytesIn':
        return Math.round(cpm * size * 0.4);
      case 'bytesOut':
        return Math.round(cpm * size);
      default:
        return null;
    }
  };

  return {
    layer: 'K8S_SERVICE',
    services,
    relations,
    instanceRelations,
    general: buildGeneralLayer(scenario.general),
    serviceByName: n => byName.get(n),
    instanceByName: (s, i) => instanceIndex.get(`${s}\u0000${i}`),
    value,
  };
}

/** Istio's Bookinfo, the scenario of OAP's own access-log e2e test. */
export const BOOKINFO_SCENARIO: OapDoubleScenario = {
  services: [
    {
      name: 'productpage',
      namespace: 'default',
      pods: [{ name: 'productpage-v1-6b746f74dc-9stvs', ip: '10.244.0.11' }],
    },
    {
      name: 'details',
      namespace: 'default',
      pods: [{ name: 'details-v1-5f4d584748-2xn7d', ip: '10.244.0.12' }],
    },
    {
      name: 'reviews',
      namespace: 'default',
      pods: [
        { name: 'reviews-v1-86896b7648-7ckmw', ip: '10.244.0.13' },
        { name: 'reviews-v2-b7dcd98fb-xx5p8', ip: '10.244.0.14' },
        { name: 'reviews-v3-5c5cc7b6d-4lk9c', ip: '10.244.0.15' },
      ],
    },
    {
      name: 'ratings',
      namespace: 'default',
      pods: [{ name: 'ratings-v1-b6994bb9-kq6h2', ip: '10.244.0.16' }],
    },
  ],
  calls: [
    { from: 'productpage', to: 'details' },
    { from: 'productpage', to: 'reviews' },
    { from: 'reviews', to: 'ratings' },
  ],
};
