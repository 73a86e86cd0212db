/*
 * Kubernetes-layer traffic without Rover, for real: the demo shop runs on the
 * real node and calls frontend -> orders -> payments on its own; the stand-in
 * for SkyWalking Rover (packages/rover-stand-in; Rover's eBPF cannot load on
 * this kernel) reads the shop's request lines from the pods' logs and streams
 * them over Rover's protocol to a real OAP 10.1.0 the portal provisioned
 * (PostgreSQL storage). OAP resolves the callers' pod IPs through the
 * Kubernetes API, in the shop's namespace, with the cluster-wide read its
 * rendered ClusterRole grants, and builds the K8S_SERVICE layer.
 */
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import knexFactory, { Knex } from 'knex';
import { LocalCluster, apiServerRequest, describeOnRealNode, eventually, realNodeNamespaceAnnotations, startLocalCluster } from '@internal/local-cluster';
import { RoverStandIn, startRoverStandIn } from '@internal/rover-stand-in';
import { OAP_QUERIES, makeDuration } from '@skywalking-backstage/plugin-skywalking-common';
import { TestOperator, startTestOperator } from '../__testUtils__/testOperator';

jest.setTimeout(1_200_000);

const VERSION = '10.1.0';
/** receivers the demo does not use: OAP compiles their rules at start (minutes on 2 cores); the eBPF receiver stays on */
const RECEIVERS_OFF = ['SW_OTEL_RECEIVER', 'SW_RECEIVER_TELEGRAF', 'SW_RECEIVER_AWS_FIREHOSE', 'SW_ENVOY_METRIC', 'SW_RECEIVER_CLR', 'SW_RECEIVER_BROWSER', 'SW_PROMQL', 'SW_LOGQL'];
// eslint-disable-next-line no-restricted-syntax
const shopManifest = path.resolve(__dirname, '../../../../examples/kubernetes/shop.yaml');
const SHOP = ['shop-frontend.shop', 'shop-orders.shop', 'shop-payments.shop'];

describeOnRealNode('the stand-in for Rover feeds real OAP the shop\'s real calls (K8S_SERVICE layer)', () => {
  let cluster: LocalCluster;
  let op: TestOperator;
  let db: string;
  let pg: Knex;
  let standIn: RoverStandIn | undefined;
  const standInLog: string[] = [];
  const name = 'k8s';

  const graphql = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await apiServerRequest(op.admin, 'POST', `/api/v1/namespaces/${op.ns}/services/${name}-oap:12800/proxy/graphql`, JSON.stringify({ query, variables }));
    if (r.status !== 200) throw new Error(`GraphQL answered ${r.status}: ${r.body.slice(0, 500)}`);
    const body = JSON.parse(r.body);
    if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
    return body.data;
  };
  const lastMinutes = () => makeDuration(Date.now() - 20 * 60_000, Date.now() + 60_000, { step: 'MINUTE' });

  beforeAll(async () => {
    const pgUrl = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
    if (!pgUrl) throw new Error('BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is not set (npm test starts PostgreSQL and sets it)');
    cluster = await startLocalCluster({
      realNode: true,
      nodes: 1,
      realNodeImages: ['pause', 'coredns', `oap-${VERSION}`, 'demo-shop'],
      log: m => process.stderr.write(`[rover stand-in test] ${m}\n`),
    });
    if (!cluster.realNode) throw new Error(`the real node did not start: ${cluster.realNodeUnavailable}`);
    op = await startTestOperator('rover-stand-in', { kubeconfig: cluster.kubeconfig, namespaceAnnotations: realNodeNamespaceAnnotations });

    // the tests' PostgreSQL, a database of this test's own, reachable from pods as the Service "pg"
    const u = new URL(pgUrl);
    pg = knexFactory({ client: 'pg', connection: pgUrl });
    db = `oap_${Date.now().toString(36)}`;
    await pg.raw(`CREATE DATABASE ${db}`);
    const exposed = await cluster.realNode.exposeHostPort(Number(u.port));
    const core = op.admin.makeApiClient(op.k8s.CoreV1Api);
    await core.createNamespacedService({ namespace: op.ns, body: { metadata: { name: 'pg' }, spec: { ports: [{ port: 5432, targetPort: exposed.port as any }] } } });
    await op.admin.makeApiClient(op.k8s.DiscoveryV1Api).createNamespacedEndpointSlice({
      namespace: op.ns,
      body: {
        metadata: { name: 'pg-host', labels: { 'kubernetes.io/service-name': 'pg' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: [exposed.host] }],
        ports: [{ port: exposed.port, protocol: 'TCP' }],
      },
    });
    await core.createNamespacedSecret({
      namespace: op.ns,
      body: { metadata: { name: 'pg-credentials' }, stringData: { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } },
    });

    // the demo shop exactly as shipped (namespace "shop", not OAP's)
    const api = op.k8s.KubernetesObjectApi.makeApiClient(op.admin);
    for (const d of YAML.parseAllDocuments(fs.readFileSync(shopManifest, 'utf8')).map(x => x.toJSON()).filter(Boolean)) await api.create(d);

    await op.backends.create(
      {
        name,
        namespace: op.ns,
        cluster: 'local',
        version: VERSION,
        ui: { enabled: false },
        oap: { replicas: 1, config: RECEIVERS_OFF.map(n => ({ name: n, value: '-' })), resources: { limits: { memory: '1Gi' } } },
        storage: { type: 'postgresql', external: { address: 'pg:5432', database: db, secretName: 'pg-credentials' } },
      },
      'user:default/tester',
    );
  });

  afterAll(async () => {
    await standIn?.stop();
    await op?.engine.stop();
    await cluster?.stop();
    if (pg) {
      await pg.raw(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
      await pg.destroy();
    }
  });

  it('streams the shop\'s request lines to the OAP pod over Rover\'s protocol once the backend and the shop are up', async () => {
    const core = op.admin.makeApiClient(op.k8s.CoreV1Api);
    await eventually('backend Ready', async () => {
      const d = await op.backends.get({ cluster: 'local', namespace: op.ns, name });
      return d.phase === 'Ready' && d.oap.ready === 1;
    }, 900_000, 3000);
    await eventually('the shop\'s five pods ready', async () => {
      const pods = (await core.listNamespacedPod({ namespace: 'shop' })).items;
      return pods.length === 5 && pods.every(p => p.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True'));
    }, 300_000, 2000);
    const [oapPod] = (await core.listNamespacedPod({ namespace: op.ns, labelSelector: 'app=oap' })).items;
    standIn = await startRoverStandIn({
      kubeConfig: op.admin,
      // the OAP Service's ready endpoint: the pod IP, which the host reaches
      oapService: `${op.ns}/${name}-oap`,
      namespace: 'shop',
      log: m => {
        standInLog.push(m);
        process.stderr.write(`[rover-stand-in] ${m}\n`);
      },
    });
    expect(standIn.stats().followed).toBe(5);
    expect(standInLog.some(l => l.includes(`OAP's Service ${op.ns}/${name}-oap (${oapPod.status!.podIP}:11800)`))).toBe(true);
    await eventually('access logs delivered to OAP', async () => {
      const s = standIn!.stats();
      return s.requests > 0 && Object.values(s.nodes).some(n => n.delivered > 0 && n.connected === true) && s;
    }, 120_000, 1000);
    expect(standIn.stats().unreadable).toBe(0);
  });

  it('makes OAP list the shop\'s services in the K8S_SERVICE layer, named as Rover names them', async () => {
    const names = await eventually('the three shop services listed', async () => {
      const list: { name: string }[] = (await graphql(OAP_QUERIES.listServices, { layer: 'K8S_SERVICE' })).listServices;
      const n = list.map(s => s.name);
      return SHOP.every(s => n.includes(s)) && n;
    }, 300_000, 5000).catch(e => {
      throw new Error(`${(e as Error).message}\nstand-in: ${JSON.stringify(standIn?.stats())}\n${standInLog.slice(-20).join('\n')}`);
    });
    expect(names).toEqual(expect.arrayContaining(SHOP));
  });

  it('has the frontend -> orders and orders -> payments calls in the K8S_SERVICE topology (callers resolved from their pod IPs)', async () => {
    const calls = await eventually('both calls in the topology', async () => {
      const t = (await graphql(OAP_QUERIES.getGlobalTopology, { duration: lastMinutes(), layer: 'K8S_SERVICE' })).getGlobalTopology;
      const nameOf = (id: string) => t.nodes.find((n: any) => n.id === id)?.name;
      const byEdge = new Map<string, string[]>(t.calls.map((c: any) => [`${nameOf(c.source)} -> ${nameOf(c.target)}`, c.detectPoints]));
      return byEdge.has('shop-frontend.shop -> shop-orders.shop') && byEdge.has('shop-orders.shop -> shop-payments.shop') && byEdge;
    }, 300_000, 5000);
    // seen from the server side: the access logs are the servers'
    expect(calls.get('shop-frontend.shop -> shop-orders.shop')).toContain('SERVER');
    expect(calls.get('shop-orders.shop -> shop-payments.shop')).toContain('SERVER');
  });

  it('computes kubernetes_service_http_call_cpm > 0 for orders and payments, and the relation\'s server-side cpm', async () => {
    const value = async (expression: string, entity: Record<string, unknown>) => {
      const r = (await graphql(OAP_QUERIES.execExpression, { expression, entity, duration: lastMinutes() })).execExpression;
      if (r.error) throw new Error(`${expression}: ${r.error}`);
      return Math.max(0, ...r.results.flatMap((x: any) => x.values.map((v: any) => Number(v.value ?? 0))));
    };
    const positive = async (what: string, expression: string, entity: Record<string, unknown>) =>
      eventually(`${what} > 0`, async () => {
        const v = await value(expression, entity);
        return v > 0 && v;
      }, 300_000, 5000);
    for (const service of ['shop-orders.shop', 'shop-payments.shop']) {
      expect(await positive(`kubernetes_service_http_call_cpm of ${service}`, 'kubernetes_service_http_call_cpm', { serviceName: service, normal: true })).toBeGreaterThan(0);
    }
    const relation = { serviceName: 'shop-frontend.shop', normal: true, destServiceName: 'shop-orders.shop', destNormal: true };
    expect(await positive('kubernetes_service_relation_server_http_call_cpm frontend -> orders', 'kubernetes_service_relation_server_http_call_cpm', relation)).toBeGreaterThan(0);
  });

  it('drops a deleted pod and follows its replacement, whose requests reach OAP too', async () => {
    const core = op.admin.makeApiClient(op.k8s.CoreV1Api);
    const before = (await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=orders' })).items.map(p => p.metadata!.name!);
    await core.deleteNamespacedPod({ name: before[0], namespace: 'shop' });
    await eventually(`${before[0]} no longer followed`, async () => standInLog.some(l => l.startsWith(`shop/${before[0]} orders: gone`)), 120_000, 500);
    const replacement = await eventually('its replacement followed', async () => {
      const line = standInLog.find(l => /^shop\/shop-orders-\S+ orders on \S+: following/.test(l) && !before.some(b => l.startsWith(`shop/${b} `)));
      return line?.split(' ')[0].slice('shop/'.length);
    }, 120_000, 500);
    const delivered = () => Object.values(standIn!.stats().nodes).reduce((n, s) => n + s.delivered, 0);
    const mark = delivered();
    await eventually('more access logs delivered after the replacement', async () => delivered() > mark, 60_000, 1000);
    expect(standIn!.stats().followed).toBe(5);
    // OAP knows the new pod as an instance of shop-orders
    const services: { id: string; name: string }[] = (await graphql(OAP_QUERIES.listServices, { layer: 'K8S_SERVICE' })).listServices;
    const orders = services.find(x => x.name === 'shop-orders.shop')!;
    const instances = await eventually(`${replacement} an instance of shop-orders in OAP`, async () => {
      const list: { name: string }[] = (await graphql(OAP_QUERIES.listInstances, { serviceId: orders.id, duration: lastMinutes() })).listInstances;
      return list.some(i => i.name === replacement) && list.map(i => i.name);
    }, 300_000, 5000);
    expect(instances).toContain(replacement);
  });
});
