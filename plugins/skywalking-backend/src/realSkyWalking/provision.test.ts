/*
 * Real SkyWalking on the real node: a backend the portal provisions (2 OAP
 * replicas, Kubernetes cluster coordinator, external PostgreSQL through the
 * product's own storage.external spec and Secret) really runs. OAP is the
 * image the local image factory builds from Maven Central's server-starter;
 * PostgreSQL is the tests' Debian server, reached from the pods through the
 * real node's relay; nothing here is a double.
 */
import knexFactory, { Knex } from 'knex';
import {
  LocalCluster,
  apiServerRequest,
  describeOnRealNode,
  eventually,
  realNodeNamespaceAnnotations,
  startLocalCluster,
} from '@internal/local-cluster';
import { TestOperator, startTestOperator } from '../__testUtils__/testOperator';

jest.setTimeout(900_000);

const VERSION = '10.1.0';
/** receivers the demo does not use: OAP compiles their rules at start (minutes on 2 cores) */
const RECEIVERS_OFF = ['SW_OTEL_RECEIVER', 'SW_RECEIVER_TELEGRAF', 'SW_RECEIVER_AWS_FIREHOSE', 'SW_ENVOY_METRIC', 'SW_RECEIVER_CLR', 'SW_RECEIVER_BROWSER', 'SW_PROMQL', 'SW_LOGQL'];


describeOnRealNode('a backend the portal provisions runs real OAP on the real node with PostgreSQL', () => {
  let cluster: LocalCluster;
  let op: TestOperator;
  let db: string;
  let pg: Knex;
  const name = 'real';

  beforeAll(async () => {
    const pgUrl = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
    if (!pgUrl) throw new Error('BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is not set (npm test starts PostgreSQL and sets it)');
    cluster = await startLocalCluster({
      realNode: true,
      nodes: 1,
      realNodeImages: ['pause', 'coredns', `oap-${VERSION}`],
      log: m => process.stderr.write(`[real OAP test] ${m}\n`),
    });
    if (!cluster.realNode) throw new Error(`the real node did not start: ${cluster.realNodeUnavailable}`);
    op = await startTestOperator('real-oap', { kubeconfig: cluster.kubeconfig, namespaceAnnotations: realNodeNamespaceAnnotations });

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
  });

  afterAll(async () => {
    await op?.engine.stop();
    await cluster?.stop();
    if (pg) {
      await pg.raw(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
      await pg.destroy();
    }
  });

  /** What the backend and its pods say: in the error when the backend never turns Ready. */
  async function diagnose() {
    const core = op.admin.makeApiClient(op.k8s.CoreV1Api);
    const d = await op.backends.get({ cluster: 'local', namespace: op.ns, name }).catch(e => ({ error: String(e) }));
    const pods = (await core.listNamespacedPod({ namespace: op.ns })).items;
    const lines = [`backend: ${JSON.stringify(d).slice(0, 1500)}`];
    for (const p of pods) {
      lines.push(`pod ${p.metadata!.name} on ${p.spec!.nodeName}: ${p.status!.phase} ${JSON.stringify(p.status!.containerStatuses?.map(c => ({ ready: c.ready, restarts: c.restartCount, state: c.state, last: c.lastState })))}`);
      const log = await core.readNamespacedPodLog({ name: p.metadata!.name!, namespace: op.ns, tailLines: 25 }).catch(e => String(e));
      lines.push(String(log));
    }
    const events = (await core.listNamespacedEvent({ namespace: op.ns })).items.slice(-25);
    lines.push(...events.map(e => `event ${e.involvedObject.name} ${e.reason}: ${e.message}`));
    return lines.join('\n');
  }

  it('turns Ready once both OAP pods answer their probes, with OAP\'s own tables in PostgreSQL', async () => {
    const spec = {
      name,
      namespace: op.ns,
      cluster: 'local',
      version: VERSION,
      ui: { enabled: false },
      oap: { replicas: 2, config: RECEIVERS_OFF.map(n => ({ name: n, value: '-' })), resources: { limits: { memory: '1Gi' } } },
      storage: { type: 'postgresql', external: { address: 'pg:5432', database: db, secretName: 'pg-credentials' } },
    };
    await op.backends.create(spec, 'user:default/tester');
    const detail = await eventually('backend Ready', async () => {
      const d = await op.backends.get({ cluster: 'local', namespace: op.ns, name });
      return d.phase === 'Ready' && d.oap.ready === 2 && d;
    }, 600_000, 2000).catch(async e => {
      throw new Error(`${(e as Error).message}\n${await diagnose()}`);
    });
    expect(detail.conditions.find(c => c.type === 'Ready')).toMatchObject({ status: 'True' });
    const pods = (await op.admin.makeApiClient(op.k8s.CoreV1Api).listNamespacedPod({ namespace: op.ns, labelSelector: 'app=oap' })).items;
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.spec!.nodeName).toBe(cluster.realNode!.nodeName);
    // OAP created its own tables in its database
    const url = new URL(process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING!);
    url.pathname = `/${db}`;
    const oapDb = knexFactory({ client: 'pg', connection: url.toString() });
    try {
      const n = (await oapDb.raw(`SELECT count(*)::int AS n FROM pg_catalog.pg_tables WHERE schemaname = 'public'`)).rows[0].n;
      expect(n).toBeGreaterThan(20);
    } finally {
      await oapDb.destroy();
    }
  });

  it('answers GraphQL through the API server\'s service proxy', async () => {
    const r = await apiServerRequest(op.admin, 'POST', `/api/v1/namespaces/${op.ns}/services/${name}-oap:12800/proxy/graphql`, JSON.stringify({ query: '{ version }' }));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).data.version).toMatch(/^10\.1\.0/);
  });

  it('has both OAP instances see each other through the Kubernetes cluster coordinator', async () => {
    const { admin, ns } = op;
    const pods = (await admin.makeApiClient(op.k8s.CoreV1Api).listNamespacedPod({ namespace: ns, labelSelector: 'app=oap' })).items;
    // OAP's own telemetry (SW_TELEMETRY=prometheus, port 1234) reports the cluster size each instance sees
    const clusterSize = async (pod: string) => {
      const r = await apiServerRequest(admin, 'GET', `/api/v1/namespaces/${ns}/pods/${pod}:1234/proxy/metrics`);
      const m = /^cluster_size(?:\{[^}]*\})? ([0-9.]+)/m.exec(r.body);
      return m ? Number(m[1]) : undefined;
    };
    const sizes = await Promise.all(
      pods.map(p => eventually(`cluster_size 2 on ${p.metadata!.name}`, async () => (await clusterSize(p.metadata!.name!)) === 2 && 2, 120_000, 2000)),
    );
    expect(sizes).toEqual([2, 2]);
  });
});
