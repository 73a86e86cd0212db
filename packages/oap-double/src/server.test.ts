// Deep imports until the common plugin's index exports oap/ and topology/.
// eslint-disable-next-line @backstage/no-forbidden-package-imports
import {
  OapClient,
  OapGraphQLError,
  fetchKubernetesTraffic,
} from '@skywalking-backstage/plugin-skywalking-common/src/oap';
// eslint-disable-next-line @backstage/no-forbidden-package-imports
import {
  mergeTopology,
  trafficInputFromOap,
} from '@skywalking-backstage/plugin-skywalking-common/src/topology';
import { RunningOapDouble, startOapDouble } from './server';
import { BOOKINFO_SCENARIO, createTrafficSource, oapIds } from './traffic';

const silent = { info: () => undefined, warn: () => undefined };
const from = Date.UTC(2026, 0, 5, 9, 0);
const to = Date.UTC(2026, 0, 5, 9, 15);

describe('our OAP client against the OAP test double (real HTTP on loopback)', () => {
  let double: RunningOapDouble;
  let client: OapClient;

  beforeAll(async () => {
    double = await startOapDouble({
      port: 0,
      trafficSource: createTrafficSource(BOOKINFO_SCENARIO, { seed: 7 }),
      logger: silent,
    });
    client = new OapClient({ baseUrl: double.url, timeoutMs: 5000 });
  });
  afterAll(() => double.stop());

  it('listens on loopback', () => {
    expect(double.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('lists layers and services with OAP ids', async () => {
    await expect(client.listLayers()).resolves.toEqual(['K8S_SERVICE']);
    const services = await client.listServices('K8S_SERVICE');
    expect(services.map(s => s.name)).toEqual([
      'productpage.default',
      'details.default',
      'reviews.default',
      'ratings.default',
    ]);
    expect(services[1].id).toBe(
      `${Buffer.from('details.default').toString('base64')}.1`,
    );
    await expect(client.listServices('GENERAL')).resolves.toEqual([]);
  });

  it('answers the global, services and instance topologies', async () => {
    const duration = {
      start: '2026-01-05 0900',
      end: '2026-01-05 0915',
      step: 'MINUTE' as const,
    };
    const global = await client.getGlobalTopology(duration, 'K8S_SERVICE');
    expect(global.nodes).toHaveLength(4);
    expect(global.calls).toHaveLength(3);
    const pp = oapIds.service('productpage.default');
    const reviews = oapIds.service('reviews.default');
    const partial = await client.getServicesTopology(
      [oapIds.service('ratings.default')],
      duration,
    );
    expect(partial.calls.map(c => [c.source, c.target])).toEqual([
      [reviews, oapIds.service('ratings.default')],
    ]);
    const inst = await client.getServiceInstanceTopology(pp, reviews, duration);
    expect(inst.nodes).toHaveLength(4);
    expect(inst.calls).toHaveLength(3);
  });

  it('answers MQE, deterministic for a seed', async () => {
    const duration = {
      start: '2026-01-05 0900',
      end: '2026-01-05 0904',
      step: 'MINUTE' as const,
    };
    const series = await client.execExpression(
      'kubernetes_service_http_call_cpm',
      { serviceName: 'reviews.default', normal: true },
      duration,
    );
    expect(series.type).toBe('TIME_SERIES_VALUES');
    expect(series.results[0].values).toHaveLength(5);
    const again = await client.execExpression(
      'kubernetes_service_http_call_cpm',
      { serviceName: 'reviews.default', normal: true },
      duration,
    );
    expect(again).toEqual(series);
    const p = await client.execExpression(
      "avg(kubernetes_service_percentile{p='50,99'})",
      { serviceName: 'reviews.default' },
      duration,
    );
    expect(p.type).toBe('SINGLE_VALUE');
    expect(p.results.map(r => r.metric.labels[0].value)).toEqual(['50', '99']);
    const bad = await client.execExpression(
      'no_such_metric',
      { serviceName: 'reviews.default' },
      duration,
    );
    expect(bad).toMatchObject({
      type: 'UNKNOWN',
      error: expect.stringContaining('no_such_metric'),
    });
  });

  it('answers GraphQL errors for invalid queries and bad Durations', async () => {
    await expect(
      client.request('{ listLayers { id } }'),
    ).rejects.toBeInstanceOf(OapGraphQLError);
    await expect(client.request('{ nope }')).rejects.toThrow(
      /Cannot query field "nope"/,
    );
    await expect(client.request('query {')).rejects.toThrow(/Syntax Error/);
    await expect(client.request('{ getMetricsTTL { day } }')).rejects.toThrow(
      /not implemented by the OAP test double/,
    );
    await expect(
      client.getGlobalTopology({
        start: '2026-01-05 09:00',
        end: '2026-01-05 0915',
        step: 'MINUTE',
      }),
    ).rejects.toThrow(/yyyy-MM-dd HHmm/);
  });

  it('answers HTTP errors in GraphQL format', async () => {
    const res = await fetch(`${double.url}/graphql`, {
      method: 'POST',
      body: 'not json',
    });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].message).toMatch(/not JSON/);
    expect((await fetch(`${double.url}/graphql`)).status).toBe(405);
    expect(
      (await fetch(`${double.url}/other`, { method: 'POST' })).status,
    ).toBe(404);
  });

  it('fetchKubernetesTraffic reads services, instances, relations and metrics', async () => {
    const t = await fetchKubernetesTraffic(client, { from, to });
    expect(t.window.duration).toEqual({
      start: '2026-01-05 0900',
      end: '2026-01-05 0915',
      step: 'MINUTE',
    });
    expect(t.services.map(s => s.name).sort()).toEqual([
      'details.default',
      'productpage.default',
      'ratings.default',
      'reviews.default',
    ]);
    expect(t.relations).toHaveLength(3);
    expect(t.instances).toHaveLength(6);
    expect(t.instanceRelations).toHaveLength(1 + 3 + 3);
    expect(t.warnings).toEqual([]);
    for (const entity of [
      ...t.services,
      ...t.instances,
      ...t.relations,
      ...t.instanceRelations,
    ]) {
      expect(entity.metrics).toEqual({
        cpm: expect.any(Number),
        latencyMs: expect.any(Number),
        percentilesMs: {
          p50: expect.any(Number),
          p75: expect.any(Number),
          p90: expect.any(Number),
          p95: expect.any(Number),
          p99: expect.any(Number),
        },
        successRate: expect.any(Number),
        bytesInPerMin: expect.any(Number),
        bytesOutPerMin: expect.any(Number),
      });
      expect(entity.metrics.successRate).toBeGreaterThan(0.9);
      expect(entity.metrics.successRate).toBeLessThanOrEqual(1);
    }
    const reviews = t.services.find(s => s.name === 'reviews.default')!;
    expect(reviews).toMatchObject({
      serviceName: 'reviews',
      namespace: 'default',
      isReal: true,
    });
  });

  it('fetchKubernetesTraffic can be restricted to services', async () => {
    const t = await fetchKubernetesTraffic(client, {
      from,
      to,
      services: ['details.default'],
      skipInstances: true,
    });
    expect(t.relations.map(r => `${r.sourceName}->${r.targetName}`)).toEqual([
      'productpage.default->details.default',
    ]);
    expect(t.instances).toEqual([]);
  });

  it('end to end: OAP traffic merged with the Kubernetes structure', async () => {
    const t = await fetchKubernetesTraffic(client, { from, to });
    const structure = {
      services: BOOKINFO_SCENARIO.services.map(s => ({
        name: s.name,
        namespace: s.namespace,
        clusterIPs: [],
      })),
      pods: BOOKINFO_SCENARIO.services.flatMap(s =>
        s.pods.map(p => ({
          name: p.name,
          namespace: s.namespace,
          ips: p.ip ? [p.ip] : [],
        })),
      ),
    };
    const g = mergeTopology(structure, trafficInputFromOap(t));
    expect(g.unresolved.count).toBe(0);
    expect(g.edges.filter(e => e.kind === 'call')).toHaveLength(3 + 7);
    expect(
      g.nodes.find(n => n.id === 'service:default/reviews')?.metrics.cpm,
    ).toEqual(expect.any(Number));
  });
});

describe('the traffic generator', () => {
  it('rejects calls to unknown services', () => {
    expect(() =>
      createTrafficSource({ services: [], calls: [{ from: 'a', to: 'b' }] }),
    ).toThrow(/unknown service "a"/);
  });

  it('differs by seed and prefixes the cluster', () => {
    const a = createTrafficSource(BOOKINFO_SCENARIO, { seed: 1 });
    const b = createTrafficSource(BOOKINFO_SCENARIO, { seed: 2 });
    const key = a.services[0].id;
    expect(a.value('cpm', key, from)).not.toEqual(b.value('cpm', key, from));
    const c = createTrafficSource({ ...BOOKINFO_SCENARIO, cluster: 'prod' });
    expect(c.services[0].name).toBe('prod::productpage.default');
  });
});
