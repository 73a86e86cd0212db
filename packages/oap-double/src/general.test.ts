import * as fs from 'fs';
import * as path from 'path';
// Deep imports until the common plugin's index exports oap/ and topology/.
// eslint-disable-next-line @backstage/no-forbidden-package-imports
import {
  OapClient,
  fetchGeneralTraffic,
  fetchKubernetesTraffic,
} from '@skywalking-backstage/plugin-skywalking-common/src/oap';
// eslint-disable-next-line @backstage/no-forbidden-package-imports
import {
  combineTrafficInputs,
  mergeTopology,
  trafficInputFromGeneral,
  trafficInputFromOap,
} from '@skywalking-backstage/plugin-skywalking-common/src/topology';
import { doubleMetricNames } from './mqe';
import { RunningOapDouble, startOapDouble } from './server';
import { createTrafficSource, oapIds } from './traffic';

const silent = { info: () => undefined, warn: () => undefined };
const from = Date.UTC(2026, 0, 5, 9, 0);
const to = Date.UTC(2026, 0, 5, 9, 15);

// the demo shop: frontend and orders run agents; payments does not, so the
// agents see it as the peer shop-payments:80
const SHOP = {
  services: [
    {
      name: 'shop-frontend',
      namespace: 'shop',
      pods: [{ name: 'frontend-1', ip: '10.0.0.1' }],
    },
    {
      name: 'shop-orders',
      namespace: 'shop',
      pods: [{ name: 'orders-1', ip: '10.0.0.2' }],
    },
    {
      name: 'shop-payments',
      namespace: 'shop',
      pods: [{ name: 'payments-0', ip: '10.0.0.3' }],
    },
  ],
  calls: [
    { from: 'shop-frontend', to: 'shop-orders' },
    { from: 'shop-orders', to: 'shop-payments' },
  ],
  general: {
    services: ['shop-frontend', 'shop-orders'],
    calls: [
      { from: 'User', to: 'shop-frontend' },
      { from: 'shop-frontend', to: 'shop-orders' },
      { from: 'shop-orders', to: 'shop-payments:80' },
    ],
  },
};

describe("the OAP double's GENERAL layer (real HTTP on loopback)", () => {
  let double: RunningOapDouble;
  let client: OapClient;
  beforeAll(async () => {
    double = await startOapDouble({
      port: 0,
      trafficSource: createTrafficSource(SHOP, { seed: 3 }),
      logger: silent,
    });
    client = new OapClient({ baseUrl: double.url, timeoutMs: 5000 });
  });
  afterAll(() => double.stop());

  it('lists the agents under GENERAL with OAP ids, and both layers', async () => {
    await expect(client.listLayers()).resolves.toEqual([
      'K8S_SERVICE',
      'GENERAL',
    ]);
    const general = await client.listServices('GENERAL');
    expect(general).toEqual([
      {
        id: oapIds.service('shop-frontend'),
        name: 'shop-frontend',
        group: '',
        shortName: 'shop-frontend',
        layers: ['GENERAL'],
        normal: true,
      },
      {
        id: oapIds.service('shop-orders'),
        name: 'shop-orders',
        group: '',
        shortName: 'shop-orders',
        layers: ['GENERAL'],
        normal: true,
      },
    ]);
    expect(
      (await client.listServices('K8S_SERVICE')).map(s => s.name),
    ).not.toContain('shop-frontend');
  });

  it("answers the hierarchy by OAP's rule, both ways", async () => {
    const [h] = await client.getServiceHierarchies(
      [oapIds.service('shop-orders')],
      'GENERAL',
    );
    expect(h.relations).toEqual([
      {
        upperService: {
          id: oapIds.service('shop-orders'),
          name: 'shop-orders',
          layer: 'GENERAL',
          normal: true,
        },
        lowerService: {
          id: oapIds.service('shop-orders.shop'),
          name: 'shop-orders.shop',
          layer: 'K8S_SERVICE',
          normal: true,
        },
      },
    ]);
    const [up, none] = await client.getServiceHierarchies(
      [
        oapIds.service('shop-orders.shop'),
        oapIds.service('shop-payments.shop'),
      ],
      'K8S_SERVICE',
    );
    expect(up.relations).toEqual(h.relations);
    expect(none.relations).toEqual([]); // payments runs no agent
  });

  it('fetchGeneralTraffic reads agents, peers and metrics of the side that saw each call', async () => {
    const t = await fetchGeneralTraffic(client, {
      from,
      to,
      services: ['shop-frontend'],
    });
    expect(t.warnings).toEqual([]);
    expect(t.missing).toEqual([]);
    expect(t.services.map(s => `${s.name}:${s.isReal}`).sort()).toEqual([
      'User:false',
      'shop-frontend:true',
      'shop-orders:true',
    ]);
    const fo = t.relations.find(r => r.targetName === 'shop-orders')!;
    expect(fo.side).toBe('server');
    expect(fo.metrics).toEqual({
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
    });
    const orders = await fetchGeneralTraffic(client, {
      from,
      to,
      services: ['shop-orders'],
    });
    const peer = orders.relations.find(
      r => r.targetName === 'shop-payments:80',
    )!;
    expect(peer).toMatchObject({ side: 'client', detectPoints: ['CLIENT'] });
    expect(peer.metrics.cpm).toBeGreaterThan(0);
    expect(
      orders.services.find(s => s.name === 'shop-orders')?.k8sServices,
    ).toEqual(['shop-orders.shop']);
  });

  it('both layers merged over the structure: each call one edge with both sets of metrics', async () => {
    const k8s = await fetchKubernetesTraffic(client, {
      from,
      to,
      skipInstances: true,
    });
    const general = await fetchGeneralTraffic(client, {
      from,
      to,
      services: ['shop-frontend', 'shop-orders'],
    });
    const structure = {
      services: SHOP.services.map(s => ({
        name: s.name,
        namespace: s.namespace,
        selector: { app: s.name },
      })),
      pods: SHOP.services.flatMap(s =>
        s.pods.map(p => ({
          name: p.name,
          namespace: s.namespace,
          ips: [p.ip],
          labels: { app: s.name },
        })),
      ),
    };
    const g = mergeTopology(
      structure,
      combineTrafficInputs(
        trafficInputFromOap(k8s),
        trafficInputFromGeneral(general),
      ),
    );
    expect(g.unresolved.count).toBe(0);
    const calls = g.edges.filter(e => e.kind === 'call');
    const layersOf = (s: string, t: string) =>
      [
        ...(calls.find(e => e.source === s && e.target === t)?.seenBy ?? []),
      ].sort();
    expect(
      layersOf('service:shop/shop-frontend', 'service:shop/shop-orders'),
    ).toEqual(['GENERAL', 'K8S_SERVICE']);
    expect(
      layersOf('service:shop/shop-orders', 'service:shop/shop-payments'),
    ).toEqual(['GENERAL', 'K8S_SERVICE']);
    expect(layersOf('external:User', 'service:shop/shop-frontend')).toEqual([
      'GENERAL',
    ]);
    expect(calls).toHaveLength(3);
  });

  it('refuses a scenario call without an agent on either side', () => {
    expect(() =>
      createTrafficSource({
        services: [],
        calls: [],
        general: { services: [], calls: [{ from: 'a:80', to: 'b:80' }] },
      }),
    ).toThrow(/call a:80 -> b:80 has no agent on either side/);
  });
});

it('every GENERAL-layer metric the double serves is one OAP 10.1.0 defines in its OAL files', () => {
  const oal = path.resolve(
    __dirname,
    '../../../third_party/apache-skywalking/oap-10.1.0/config/oal',
  );
  const defined = new Set(
    fs
      .readdirSync(oal)
      .flatMap(f => fs.readFileSync(path.join(oal, f), 'utf8').split('\n'))
      .map(line => /^([a-z0-9_]+)\s*=\s*from\(/.exec(line)?.[1])
      .filter((n): n is string => !!n),
  );
  const undefinedNames = doubleMetricNames()
    .filter(n => !n.startsWith('kubernetes_'))
    .filter(n => !defined.has(n));
  expect(undefinedNames).toEqual([]);
  expect(doubleMetricNames()).toContain('service_relation_client_call_sla');
  expect(defined.has('no_such_metric_cpm')).toBe(false);
});
