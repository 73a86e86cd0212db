/*
 * Real SkyWalking on the real node, journeys 4 and 5 of issue 14: one backend
 * (1 OAP replica, the tests' PostgreSQL through storage.external) lives
 * through the operator's lifecycle on the locally built OAP images. A trace
 * posted to OAP's own HTTP receiver is found again after a real 9.6.0 ->
 * 10.1.0 upgrade (OAP migrates its schema itself), after an upgrade whose pods
 * never become ready rolls back, after a killed java process, a deleted pod,
 * and a pause and resume. Nothing here is a double. The figures measured are
 * printed at the end ([lifecycle figures]).
 */
import fs from 'node:fs';
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

const FROM = '9.6.0';
const TO = '10.1.0';
/** the image factory has no recipe for it and the node reaches no registry: its pods never start */
const UNBUILDABLE = '10.2.0';
/** the failing upgrade's deadline (the shortest allowed is 30 s) */
const FAIL_DEADLINE = 40;
/** receivers the demo does not use: OAP compiles their rules at start (minutes on 2 cores) */
const RECEIVERS_OFF = ['SW_OTEL_RECEIVER', 'SW_RECEIVER_TELEGRAF', 'SW_RECEIVER_AWS_FIREHOSE', 'SW_ENVOY_METRIC', 'SW_RECEIVER_CLR', 'SW_RECEIVER_BROWSER', 'SW_PROMQL', 'SW_LOGQL'];
const READY_WITHIN = 600_000;

const figures: Record<string, string> = {};
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
function measure(what: string, ms: number) {
  figures[what] = seconds(ms);
  process.stderr.write(`[lifecycle] ${what}: ${figures[what]}\n`);
}

describeOnRealNode('a real OAP backend lives through upgrade, rollback, a killed process, a deleted pod, pause and resume', () => {
  let cluster: LocalCluster;
  let op: TestOperator;
  let db: string;
  let pg: Knex;
  const name = 'life';
  const fileStarted = Date.now();
  const ref = () => ({ cluster: 'local', namespace: op.ns, name });
  const core = () => op.admin.makeApiClient(op.k8s.CoreV1Api);
  /** the trace posted before the upgrade: found after every step */
  const trace = { traceId: `lifecycle-${Date.now().toString(36)}`, at: Date.now() };

  beforeAll(async () => {
    const pgUrl = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
    if (!pgUrl) throw new Error('BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is not set (npm test starts PostgreSQL and sets it)');
    cluster = await startLocalCluster({
      realNode: true,
      nodes: 1,
      realNodeImages: ['pause', 'coredns', `oap-${FROM}`, `oap-${TO}`],
      log: m => process.stderr.write(`[lifecycle test] ${m}\n`),
    });
    if (!cluster.realNode) throw new Error(`the real node did not start: ${cluster.realNodeUnavailable}`);
    op = await startTestOperator('real-oap-life', { kubeconfig: cluster.kubeconfig, namespaceAnnotations: realNodeNamespaceAnnotations });

    // the tests' PostgreSQL, a database of this test's own, reachable from pods as the Service "pg"
    const u = new URL(pgUrl);
    pg = knexFactory({ client: 'pg', connection: pgUrl });
    db = `oap_life_${Date.now().toString(36)}`;
    await pg.raw(`CREATE DATABASE ${db}`);
    const exposed = await cluster.realNode.exposeHostPort(Number(u.port));
    await core().createNamespacedService({ namespace: op.ns, body: { metadata: { name: 'pg' }, spec: { ports: [{ port: 5432, targetPort: exposed.port as any }] } } });
    await op.admin.makeApiClient(op.k8s.DiscoveryV1Api).createNamespacedEndpointSlice({
      namespace: op.ns,
      body: {
        metadata: { name: 'pg-host', labels: { 'kubernetes.io/service-name': 'pg' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: [exposed.host] }],
        ports: [{ port: exposed.port, protocol: 'TCP' }],
      },
    });
    await core().createNamespacedSecret({
      namespace: op.ns,
      body: { metadata: { name: 'pg-credentials' }, stringData: { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } },
    });
  });

  afterAll(async () => {
    figures['test file total'] = seconds(Date.now() - fileStarted);
    process.stderr.write(`[lifecycle figures]\n${Object.entries(figures).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`);
    await op?.engine.stop();
    await cluster?.stop();
    if (pg) {
      await pg.raw(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
      await pg.destroy();
    }
  });

  // ------------------------------------------------------------ helpers

  /** What the backend, its pods and Events say: in the error when a wait times out. */
  async function diagnose() {
    const d = await op.backends.get(ref()).catch(e => ({ error: String(e) }));
    const pods = (await core().listNamespacedPod({ namespace: op.ns })).items;
    const lines = [`backend: ${JSON.stringify(d).slice(0, 2500)}`];
    for (const p of pods) {
      lines.push(`pod ${p.metadata!.name}: ${p.status!.phase} ${JSON.stringify(p.status!.containerStatuses?.map(c => ({ image: c.image, ready: c.ready, restarts: c.restartCount, state: c.state, last: c.lastState })))}`);
      lines.push(String(await core().readNamespacedPodLog({ name: p.metadata!.name!, namespace: op.ns, tailLines: 30 }).catch(e => String(e))));
    }
    lines.push(...(await backendEvents()).slice(-30).map(e => `event ${e.type} ${e.reason}: ${e.note}`));
    return lines.join('\n');
  }

  /** Waits for a condition of the backend (its BackendService view), with the diagnosis when it never holds. */
  async function until<T>(what: string, check: (d: Awaited<ReturnType<TestOperator['backends']['get']>>) => T | false | undefined, ms = READY_WITHIN): Promise<T> {
    return eventually(what, async () => check(await op.backends.get(ref())), ms, 1000).catch(async e => {
      throw new Error(`${(e as Error).message}\n${await diagnose()}`);
    });
  }

  /** The operator's Events on the backend's OAPServer, oldest first; `since`: only those from then on. */
  async function backendEvents(since = 0) {
    const list = await op.admin.makeApiClient(op.k8s.EventsV1Api).listNamespacedEvent({ namespace: op.ns });
    const at = (e: (typeof list.items)[number]) => new Date((e.eventTime ?? e.metadata?.creationTimestamp) as any).getTime();
    return list.items.filter(e => e.regarding?.name === name && e.regarding?.kind === 'OAPServer' && at(e) >= since).sort((a, b) => at(a) - at(b));
  }

  async function graphql(query: string, variables: Record<string, unknown> = {}) {
    const r = await apiServerRequest(op.admin, 'POST', `/api/v1/namespaces/${op.ns}/services/${name}-oap:12800/proxy/graphql`, JSON.stringify({ query, variables }));
    if (r.status !== 200) throw new Error(`GraphQL answered ${r.status}: ${r.body.slice(0, 300)}`);
    const body = JSON.parse(r.body);
    if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
    return body.data;
  }

  /** OAP's `{ version }`, retried: on a loaded machine a first call through the proxy may time out */
  const oapVersion = () => eventually('GraphQL { version } answers', () => graphql('{ version }').then(d => String(d.version), () => false), 120_000, 3000);

  /** A minute in OAP's query format (the images run in UTC). */
  const minute = (t: number) => new Date(t).toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, '').replace(/:(\d\d)$/, '$1');

  /** Posts one segment of a trace to OAP's own HTTP receiver (SkyWalking's segment JSON). */
  async function postSegment(traceId: string, at: number) {
    const segment = {
      traceId,
      traceSegmentId: `${traceId}.seg`,
      service: 'lifecycle-probe',
      serviceInstance: 'lifecycle-probe-1',
      spans: [
        { operationName: 'GET:/lifecycle', startTime: at, endTime: at + 15, spanType: 'Entry', spanId: 0, parentSpanId: -1, isError: false, componentId: 6000, peer: 'tester', spanLayer: 'Http' },
      ],
    };
    const r = await apiServerRequest(op.admin, 'POST', `/api/v1/namespaces/${op.ns}/services/${name}-oap:12800/proxy/v3/segments`, JSON.stringify([segment]));
    if (r.status !== 200) throw new Error(`POST /v3/segments answered ${r.status}: ${r.body.slice(0, 300)}`);
  }

  /** The trace by queryBasicTraces (its id within the recorded minutes) and queryTrace (its span), or false. */
  async function traceFound(t: { traceId: string; at: number }) {
    const data = await graphql(
      `query ($condition: TraceQueryCondition) { queryBasicTraces(condition: $condition) { traces { segmentId traceIds endpointNames } } }`,
      {
        condition: {
          traceId: t.traceId,
          queryDuration: { start: minute(t.at - 120_000), end: minute(Date.now() + 120_000), step: 'MINUTE' },
          traceState: 'ALL',
          queryOrder: 'BY_START_TIME',
          paging: { pageNum: 1, pageSize: 10 },
        },
      },
    );
    const basic = (data.queryBasicTraces?.traces ?? []).find((b: any) => (b.traceIds ?? []).includes(t.traceId));
    if (!basic) return false;
    const spans = (await graphql(`query ($id: ID!) { queryTrace(traceId: $id) { spans { traceId serviceCode endpointName } } }`, { id: t.traceId })).queryTrace?.spans ?? [];
    return spans.some((s: any) => s.traceId === t.traceId && s.serviceCode === 'lifecycle-probe' && s.endpointName === 'GET:/lifecycle') && basic;
  }

  const expectTraceFound = (what: string) => eventually(`the trace recorded before is found (${what})`, () => traceFound(trace).catch(() => false), 240_000, 3000);

  async function oapPods() {
    return (await core().listNamespacedPod({ namespace: op.ns, labelSelector: `app=oap,operator.skywalking.apache.org/oap-server-name=${name}` })).items.filter(p => !p.metadata!.deletionTimestamp);
  }

  /** The PID of the OAP container's java process, as the node's containerd reports its task. */
  async function javaPid() {
    const pods = await oapPods();
    expect(pods).toHaveLength(1);
    const id = pods[0].status!.containerStatuses![0].containerID!.replace('containerd://', '');
    const tasks = cluster.realNode!.shInNode(['/usr/bin/ctr', '--address', '/run/containerd/containerd.sock', '--namespace', 'k8s.io', 'tasks', 'list']);
    const line = tasks.split('\n').find(l => l.startsWith(`${id} `));
    if (!line) throw new Error(`containerd lists no task of container ${id}:\n${tasks}`);
    const pid = Number(line.trim().split(/\s+/)[1]);
    // the entrypoint execs java: the task's process is the JVM (and in that container's cgroup)
    expect(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('java');
    expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toContain(id);
    return { pid, pod: pods[0] };
  }

  /** RSS of the OAP process (VmRSS) and the memory its pod's cgroup charges (cgroup v1 memory.usage_in_bytes, or v2 memory.current). */
  async function oapMemory() {
    const { pid } = await javaPid();
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
    const cg = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
    const v1 = cg.find(l => /^\d+:memory:/.test(l));
    const pod = (v1 ? v1.split(':')[2] : cg.find(l => l.startsWith('0::'))!.slice(3)).replace(/\/[^/]+$/, '');
    const file = v1 ? `/sys/fs/cgroup/memory${pod}/memory.usage_in_bytes` : `/sys/fs/cgroup${pod}/memory.current`;
    return { rss, cgroup: Number(fs.readFileSync(file, 'utf8').trim()) };
  }
  /** The running OAP pod's own start: its container started -> the pod Ready (the kubelet's timestamps). */
  async function recordPodStart(what: string) {
    const [p] = await oapPods();
    const started = p.status?.containerStatuses?.[0]?.state?.running?.startedAt;
    const ready = p.status?.conditions?.find(c => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime;
    if (started && ready) measure(`OAP container start to pod Ready, ${what}`, new Date(ready).getTime() - new Date(started).getTime());
  }
  const mib = (b: number) => `${Math.round(b / 1024 / 1024)} MiB`;

  /**
   * Polls the backend from `t0` until it went through `via` (a phase) and then
   * reached Ready; returns the times of both.
   */
  async function throughPhase(via: string, t0: number) {
    let sawAt = 0;
    const readyAt = await until(`backend ${via}, then Ready`, d => {
      if (!sawAt && d.phase === via) sawAt = Date.now();
      return sawAt > 0 && d.phase === 'Ready' && d.oap.ready === 1 && Date.now();
    });
    return { degradedAfter: sawAt - t0, readyAfter: readyAt - t0 };
  }

  // ------------------------------------------------------------ journey 4

  it(`runs ${FROM} Ready on PostgreSQL and records a trace posted to OAP's own HTTP receiver`, async () => {
    const t0 = Date.now();
    await op.backends.create(
      {
        name,
        namespace: op.ns,
        cluster: 'local',
        version: FROM,
        ui: { enabled: false },
        oap: { replicas: 1, config: RECEIVERS_OFF.map(n => ({ name: n, value: '-' })), resources: { limits: { memory: '1Gi' } } },
        storage: { type: 'postgresql', external: { address: 'pg:5432', database: db, secretName: 'pg-credentials' } },
      },
      'user:default/tester',
    );
    await until(`backend Ready on ${FROM}`, d => d.phase === 'Ready' && d.oap.ready === 1);
    measure(`cold start to Ready, OAP ${FROM} (create request to backend Ready, empty database)`, Date.now() - t0);
    await recordPodStart(`${FROM} on an empty database`);
    expect(await oapVersion()).toMatch(new RegExp(`^${FROM.replace(/\./g, '\\.')}`));
    const pods = await oapPods();
    expect(pods[0].spec!.nodeName).toBe(cluster.realNode!.nodeName);
    expect(pods[0].spec!.containers[0].image).toBe(`apache/skywalking-oap-server:${FROM}`);

    trace.at = Date.now();
    // OAP's receiver answers once it is up; on a loaded machine the proxy's first calls may time out
    await eventually('the segment accepted by OAP', () => postSegment(trace.traceId, trace.at).then(() => true, () => false), 120_000, 3000);
    const t1 = Date.now();
    await expectTraceFound(`on ${FROM}`);
    measure(`segment posted to trace found (${FROM})`, Date.now() - t1);
  });

  it(`upgrades to ${TO} by the product's upgrade: OAP migrates the schema, Ready on ${TO}, the trace still found`, async () => {
    const t0 = Date.now();
    await op.backends.upgrade(ref(), TO, 'user:default/tester', { deadlineSeconds: 600 });
    await until('the upgrade under way', d => d.phase === 'Upgrading' || d.upgrade?.version === TO, 30_000);
    const d = await until(`upgrade to ${TO} Succeeded and Ready`, b => b.upgrade?.version === TO && b.upgrade.phase === 'Succeeded' && b.phase === 'Ready' && b);
    measure(`upgrade ${FROM} -> ${TO} (request to Ready)`, Date.now() - t0);
    await recordPodStart(`${TO} migrating the ${FROM} schema`);
    expect(d.version).toBe(TO);
    expect(d.conditions.find(c => c.type === 'Upgraded')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    const pods = await oapPods();
    expect(pods.map(p => p.spec!.containers[0].image)).toEqual([`apache/skywalking-oap-server:${TO}`]);
    expect(await oapVersion()).toMatch(/^10\.1\.0/);
    expect((await backendEvents()).some(e => e.reason === 'Upgraded')).toBe(true);
    await expectTraceFound(`after the upgrade to ${TO}`);
    const mem = await oapMemory();
    figures[`memory of the OAP ${TO} pod`] = `VmRSS ${mib(mem.rss)}, cgroup ${mib(mem.cgroup)}`;
  });

  it(`rolls an upgrade to ${UNBUILDABLE} (pods never ready) back to ${TO} by readiness, saying why`, async () => {
    const t0 = Date.now();
    await op.backends.upgrade(ref(), UNBUILDABLE, 'user:default/tester', { deadlineSeconds: FAIL_DEADLINE });
    // the new pod exists and is not ready: its image is on no node and no registry answers
    await eventually(`a ${UNBUILDABLE} pod that does not start`, async () => {
      const pods = await oapPods();
      const p = pods.find(x => x.spec!.containers[0].image === `apache/skywalking-oap-server:${UNBUILDABLE}`);
      return p && !p.status?.containerStatuses?.[0]?.ready && p.status?.containerStatuses?.[0]?.state?.waiting ? p : false;
    }, 60_000, 1000);
    const d = await until(`rolled back to ${TO} and Ready`, b => b.upgrade?.version === UNBUILDABLE && b.upgrade.phase === 'RolledBack' && b.phase === 'Ready' && b.oap.ready === 1 && b, 300_000);
    measure(`rollback of ${UNBUILDABLE} (request to Ready on ${TO}, deadline ${FAIL_DEADLINE} s)`, Date.now() - t0);
    expect(d.version).toBe(TO);
    expect(d.upgrade!.message).toMatch(new RegExp(`OAP not Ready within ${FAIL_DEADLINE}s: .*${UNBUILDABLE.replace(/\./g, '\\.')}.*restored OAP ${TO.replace(/\./g, '\\.')}`));
    // and why: the new pod's own state (its image is on no node and no registry answers)
    expect(d.upgrade!.message).toMatch(/ErrImagePull|ImagePullBackOff/);
    expect(d.conditions.find(c => c.type === 'Upgraded')).toMatchObject({ status: 'False', reason: 'RolledBack' });
    const event = (await backendEvents()).find(e => e.reason === 'UpgradeRolledBack');
    expect(event?.type).toBe('Warning');
    expect(event?.note).toContain(`not Ready within ${FAIL_DEADLINE}s`);
    expect(event?.note).toMatch(/ErrImagePull|ImagePullBackOff/);
    await eventually('only the 10.1.0 pod left', async () => {
      const pods = await oapPods();
      return pods.length === 1 && pods[0].spec!.containers[0].image === `apache/skywalking-oap-server:${TO}`;
    }, 120_000, 1000);
    expect(await oapVersion()).toMatch(/^10\.1\.0/);
    await expectTraceFound('after the rollback');
  });

  // ------------------------------------------------------------ journey 5

  it('goes Degraded with an Event when the OAP java process is killed, and Ready again once the kubelet restarts it', async () => {
    const { pid, pod } = await javaPid();
    const restarts = pod.status!.containerStatuses![0].restartCount;
    const t0 = Date.now();
    process.kill(pid, 'SIGKILL');
    const t = await throughPhase('Degraded', t0);
    measure('java killed -> Degraded', t.degradedAfter);
    measure('java killed -> Ready again (kubelet restart)', t.readyAfter);
    await recordPodStart(`${TO} restarted in its pod`);
    const after = (await oapPods())[0];
    expect(after.metadata!.uid).toBe(pod.metadata!.uid);
    expect(after.status!.containerStatuses![0].restartCount).toBeGreaterThan(restarts);
    const events = await backendEvents(t0 - 1000);
    expect(events.find(e => e.reason === 'ReplicasUnavailable')).toMatchObject({ type: 'Warning' });
    expect(events.some(e => e.reason === 'Ready')).toBe(true);
    await expectTraceFound('after the restart');
  });

  it('goes Degraded with an Event when the OAP pod is deleted, and Ready again on its replacement', async () => {
    const [pod] = await oapPods();
    const t0 = Date.now();
    await core().deleteNamespacedPod({ name: pod.metadata!.name!, namespace: op.ns });
    const t = await throughPhase('Degraded', t0);
    measure('pod deleted -> Degraded', t.degradedAfter);
    measure('pod deleted -> Ready again (new pod)', t.readyAfter);
    const pods = await oapPods();
    expect(pods.map(p => p.metadata!.uid)).not.toContain(pod.metadata!.uid);
    const events = await backendEvents(t0 - 1000);
    expect(events.find(e => e.reason === 'ReplicasUnavailable')).toMatchObject({ type: 'Warning' });
    const mem = await oapMemory();
    figures[`memory of the OAP ${TO} pod after a restart`] = `VmRSS ${mib(mem.rss)}, cgroup ${mib(mem.cgroup)}`;
  });

  it('pauses to no OAP pod keeping the PostgreSQL data, and resumes serving the trace recorded before', async () => {
    const url = new URL(process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING!);
    url.pathname = `/${db}`;
    const oapDb = knexFactory({ client: 'pg', connection: url.toString() });
    try {
      const tables = async () => (await oapDb.raw(`SELECT count(*)::int AS n FROM pg_catalog.pg_tables WHERE schemaname = 'public'`)).rows[0].n as number;
      const before = await tables();
      expect(before).toBeGreaterThan(20);

      let t0 = Date.now();
      await op.backends.pause(ref(), 'user:default/tester');
      await eventually('no OAP pod left', async () => (await oapPods()).length === 0, 180_000, 1000);
      const paused = await op.backends.get(ref());
      expect(paused.phase).toBe('Paused');
      expect(paused.paused).toBe(true);
      const deployment = await op.admin.makeApiClient(op.k8s.AppsV1Api).readNamespacedDeployment({ name: `${name}-oap`, namespace: op.ns });
      expect(deployment.spec!.replicas).toBe(0);
      measure('pause (request to no OAP pod)', Date.now() - t0);
      expect(await tables()).toBe(before);

      t0 = Date.now();
      await op.backends.resume(ref(), 'user:default/tester');
      await until('resumed and Ready', d => d.phase === 'Ready' && d.oap.ready === 1 && !d.paused);
      measure('resume (request to Ready)', Date.now() - t0);
      await recordPodStart(`${TO} resumed`);
    } finally {
      await oapDb.destroy();
    }
    expect(await oapVersion()).toMatch(/^10\.1\.0/);
    await expectTraceFound('after the resume');
  });
});
