/*
 * Real snapshots of a real OAP backend's PostgreSQL on the real node (issue
 * 14): OAP 10.1.0 on the PostgreSQL pod of examples/kubernetes/postgresql.yaml
 * (the image factory's Debian-built skywalking-backstage/postgresql:15, here
 * also OAP's storage), a trace posted to OAP's own HTTP receiver, a snapshot
 * taken through the product's BackupService (pg_dump in a Job of the same
 * image, the one the spec names from the image allowlist) to a PVC, restored
 * through the product's restore (pg_restore in a Job) into a new backend with
 * an empty database, which then serves the trace recorded before the
 * snapshot and not the one recorded after. The PVC is bound to a hostPath
 * PersistentVolume in the real node's own /var/lib (a tmpfs of its mount
 * namespace): the local cluster has no storage provisioner. Nothing here is a
 * double. The figures are printed at the end ([backup figures]).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  LocalCluster,
  apiServerRequest,
  describeOnRealNode,
  eventually,
  realNodeNamespaceAnnotations,
  startLocalCluster,
} from '@internal/local-cluster';
import { BackendRef, defaultSpecPolicy, validateSpecPolicy } from '@skywalking-backstage/plugin-skywalking-common';
import { TestOperator, startTestOperator } from '../__testUtils__/testOperator';
import { BackupService } from '../service/BackupService';
import { quietLogger } from '../service/testOutbox';

jest.setTimeout(900_000);

const VERSION = '10.1.0';
/** the factory's PostgreSQL: OAP's storage and the snapshot Jobs' pg_dump / pg_restore */
const PG_IMAGE = 'skywalking-backstage/postgresql:15';
/** receivers the test does not use: OAP compiles their rules at start (minutes on 2 cores) */
const RECEIVERS_OFF = ['SW_OTEL_RECEIVER', 'SW_RECEIVER_TELEGRAF', 'SW_RECEIVER_AWS_FIREHOSE', 'SW_ENVOY_METRIC', 'SW_RECEIVER_CLR', 'SW_RECEIVER_BROWSER', 'SW_PROMQL', 'SW_LOGQL'];
/** records reach PostgreSQL every few seconds instead of every 25 (OAP's default): a posted segment is found sooner */
const OAP_CONFIG = [...RECEIVERS_OFF.map(n => ({ name: n, value: '-' })), { name: 'SW_CORE_PERSISTENT_PERIOD', value: '3' }];
const READY_WITHIN = 600_000;
const ACTOR = 'user:default/tester';
const MANIFEST = path.resolve(__dirname, '../../../../examples/kubernetes/postgresql.yaml');

const figures: Record<string, string> = {};
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
function measure(what: string, ms: number) {
  figures[what] = seconds(ms);
  process.stderr.write(`[backup] ${what}: ${figures[what]}\n`);
}

describeOnRealNode('snapshots of a real OAP backend\'s PostgreSQL run pg_dump and pg_restore for real on the real node', () => {
  let cluster: LocalCluster;
  let op: TestOperator;
  let backups: BackupService;
  /** where the PersistentVolume's files are, in the real node's mount namespace */
  let volumeDir: string;
  const fileStarted = Date.now();
  const source = 'traced';
  const restored = 'restored';
  const ref = (name: string): BackendRef => ({ cluster: 'local', namespace: op.ns, name });
  const core = () => op.admin.makeApiClient(op.k8s.CoreV1Api);
  const before = { traceId: `before-snapshot-${Date.now().toString(36)}`, at: 0 };
  const after = { traceId: `after-snapshot-${Date.now().toString(36)}`, at: 0 };
  let snapshot = '';

  beforeAll(async () => {
    cluster = await startLocalCluster({
      realNode: true,
      nodes: 1,
      realNodeImages: ['pause', 'coredns', `oap-${VERSION}`, 'postgresql'],
      log: m => process.stderr.write(`[backup test] ${m}\n`),
    });
    if (!cluster.realNode) throw new Error(`the real node did not start: ${cluster.realNodeUnavailable}`);
    op = await startTestOperator('real-backup', { kubeconfig: cluster.kubeconfig, namespaceAnnotations: realNodeNamespaceAnnotations });
    backups = new BackupService({ clusters: op.registry, backends: op.backends, logger: quietLogger });

    // the example manifest's Secret, Deployment and Service, in the test's namespace (its Namespace is the test's)
    const objects = parseAllDocuments(fs.readFileSync(MANIFEST, 'utf8')).map(d => d.toJS()).filter(o => o && o.kind !== 'Namespace');
    const kinds = objects.map(o => o.kind).sort().join(', ');
    if (kinds !== 'Deployment, Secret, Service') throw new Error(`${MANIFEST} holds ${kinds}, not a Secret, a Deployment and a Service`);
    const objectsApi = op.k8s.KubernetesObjectApi.makeApiClient(op.admin);
    for (const o of objects) await objectsApi.create({ ...o, metadata: { ...o.metadata, namespace: op.ns } });
    const credentials = objects.find(o => o.kind === 'Secret').stringData;
    await core().createNamespacedSecret({
      namespace: op.ns,
      body: { metadata: { name: 'pg-credentials' }, stringData: { username: credentials.POSTGRES_USER, password: credentials.POSTGRES_PASSWORD } },
    });

    // the snapshots' volume: a directory of the node's own tmpfs /var/lib, writable by the tool image's user (postgres)
    volumeDir = `/var/lib/swb-snapshots/${op.ns}`;
    cluster.realNode.shInNode(['/bin/sh', '-c', `install -d -m 1777 ${volumeDir}`]);
    await core().createPersistentVolume({
      body: {
        metadata: { name: `snapshots-${op.ns}` },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: '',
          claimRef: { namespace: op.ns, name: 'snapshots' },
          hostPath: { path: volumeDir, type: 'Directory' },
        },
      },
    });
    await core().createNamespacedPersistentVolumeClaim({
      namespace: op.ns,
      body: {
        metadata: { name: 'snapshots' },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: '', volumeName: `snapshots-${op.ns}`, resources: { requests: { storage: '1Gi' } } },
      },
    });
    await eventually('PostgreSQL pod Ready', async () => {
      const d = await op.admin.makeApiClient(op.k8s.AppsV1Api).readNamespacedDeployment({ name: 'postgresql', namespace: op.ns });
      return (d.status?.readyReplicas ?? 0) === 1;
    }, 120_000, 1000).catch(async e => {
      throw new Error(`${(e as Error).message}\n${await diagnose()}`);
    });
  });

  afterAll(async () => {
    figures['test file total'] = seconds(Date.now() - fileStarted);
    process.stderr.write(`[backup figures]\n${Object.entries(figures).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`);
    await op?.engine.stop();
    await cluster?.stop();
  });

  // ------------------------------------------------------------ helpers

  /** The namespace's pods (with logs) and Events: in the error when a wait times out. */
  async function diagnose() {
    const pods = (await core().listNamespacedPod({ namespace: op.ns })).items;
    const lines: string[] = [];
    for (const name of [source, restored]) lines.push(`backend ${name}: ${JSON.stringify(await op.backends.get(ref(name)).catch(e => String(e))).slice(0, 1500)}`);
    for (const p of pods) {
      lines.push(`pod ${p.metadata!.name}: ${p.status!.phase} ${JSON.stringify(p.status!.containerStatuses?.map(c => ({ image: c.image, ready: c.ready, restarts: c.restartCount, state: c.state })))}`);
      lines.push(String(await core().readNamespacedPodLog({ name: p.metadata!.name!, namespace: op.ns, tailLines: 30 }).catch(e => String(e))));
    }
    const events = (await core().listNamespacedEvent({ namespace: op.ns })).items.slice(-30);
    lines.push(...events.map(e => `event ${e.involvedObject.name} ${e.reason}: ${e.message}`));
    return lines.join('\n');
  }

  async function until<T>(what: string, check: () => Promise<T | false | undefined>, ms = READY_WITHIN, interval = 1000): Promise<T> {
    return eventually(what, check, ms, interval).catch(async e => {
      throw new Error(`${(e as Error).message}\n${await diagnose()}`);
    });
  }

  const ready = (name: string) => until(`backend ${name} Ready`, async () => {
    const d = await op.backends.get(ref(name));
    return d.phase === 'Ready' && d.oap.ready === 1 && d;
  });

  async function graphql(backend: string, query: string, variables: Record<string, unknown> = {}) {
    const r = await apiServerRequest(op.admin, 'POST', `/api/v1/namespaces/${op.ns}/services/${backend}-oap:12800/proxy/graphql`, JSON.stringify({ query, variables }));
    if (r.status !== 200) throw new Error(`GraphQL answered ${r.status}: ${r.body.slice(0, 300)}`);
    const body = JSON.parse(r.body);
    if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
    return body.data;
  }

  /** A minute in OAP's query format (the images run in UTC). */
  const minute = (t: number) => new Date(t).toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, '').replace(/:(\d\d)$/, '$1');

  /** Posts one segment of a trace to OAP's own HTTP receiver (SkyWalking's segment JSON). */
  async function postSegment(backend: string, t: { traceId: string; at: number }) {
    t.at = Date.now();
    const segment = {
      traceId: t.traceId,
      traceSegmentId: `${t.traceId}.seg`,
      service: 'backup-probe',
      serviceInstance: 'backup-probe-1',
      spans: [{ operationName: `GET:/${t.traceId}`, startTime: t.at, endTime: t.at + 15, spanType: 'Entry', spanId: 0, parentSpanId: -1, isError: false, componentId: 6000, peer: 'tester', spanLayer: 'Http' }],
    };
    const r = await apiServerRequest(op.admin, 'POST', `/api/v1/namespaces/${op.ns}/services/${backend}-oap:12800/proxy/v3/segments`, JSON.stringify([segment]));
    if (r.status !== 200) throw new Error(`POST /v3/segments answered ${r.status}: ${r.body.slice(0, 300)}`);
  }

  /** Whether queryBasicTraces lists the trace (by its id, within the minutes around it). */
  async function traceFound(backend: string, t: { traceId: string; at: number }) {
    const data = await graphql(
      backend,
      `query ($condition: TraceQueryCondition) { queryBasicTraces(condition: $condition) { traces { segmentId traceIds endpointNames } } }`,
      {
        condition: {
          traceId: t.traceId,
          queryDuration: { start: minute(before.at - 120_000), end: minute(Date.now() + 120_000), step: 'MINUTE' },
          traceState: 'ALL',
          queryOrder: 'BY_START_TIME',
          paging: { pageNum: 1, pageSize: 10 },
        },
      },
    );
    return (data.queryBasicTraces?.traces ?? []).some((b: any) => (b.traceIds ?? []).includes(t.traceId) && b.endpointNames.includes(`GET:/${t.traceId}`));
  }

  const expectFound = (backend: string, t: { traceId: string; at: number }) =>
    until(`trace ${t.traceId} found on ${backend}`, () => traceFound(backend, t).catch(() => false), 120_000, 2000);

  /** One pod of the factory's image running a PostgreSQL client command against the Service; resolves with its log. */
  async function psqlPod(name: string, script: string) {
    await core().createNamespacedPod({
      namespace: op.ns,
      body: {
        metadata: { name },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'psql',
              image: PG_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/sh', '-c', script],
              env: [
                { name: 'PGHOST', value: 'postgresql' },
                { name: 'PGUSER', valueFrom: { secretKeyRef: { name: 'pg-credentials', key: 'username' } } },
                { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'pg-credentials', key: 'password' } } },
              ],
            },
          ],
        },
      },
    });
    const phase = await until(`pod ${name} done`, async () => {
      const p = await core().readNamespacedPod({ name, namespace: op.ns });
      return (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p.status.phase;
    }, 120_000);
    const log = String(await core().readNamespacedPodLog({ name, namespace: op.ns }));
    if (phase !== 'Succeeded') throw new Error(`pod ${name} failed:\n${log}`);
    return log;
  }

  /** The run of a snapshot or restore Job as the product lists it, once it finished. */
  async function finished(backend: string, job: string, kind: 'items' | 'restores') {
    return until(`Job ${job} finished`, async () => {
      const runs = (await backups.listBackups(ref(backend)))[kind] ?? [];
      const run = runs.find(r => r.name === job);
      return run && (run.phase === 'Succeeded' || run.phase === 'Failed') && run;
    }, 300_000);
  }

  /** The Job's pod: where it ran, its image, its log. */
  async function jobPod(job: string) {
    const [p] = (await core().listNamespacedPod({ namespace: op.ns, labelSelector: `batch.kubernetes.io/job-name=${job}` })).items;
    return { node: p.spec!.nodeName, image: p.spec!.containers[0].image, log: String(await core().readNamespacedPodLog({ name: p.metadata!.name!, namespace: op.ns })) };
  }

  const snapshotSpec = { target: { pvc: { claimName: 'snapshots' } }, image: PG_IMAGE };
  const backendSpec = (name: string, database: string) => ({
    name,
    namespace: op.ns,
    cluster: 'local',
    version: VERSION,
    ui: { enabled: false },
    oap: { replicas: 1, config: OAP_CONFIG, resources: { limits: { memory: '1Gi' } } },
    storage: { type: 'postgresql', external: { address: 'postgresql:5432', database, secretName: 'pg-credentials', snapshot: snapshotSpec } },
  });

  // ------------------------------------------------------------ the journey

  it('runs OAP on the factory\'s PostgreSQL pod and records a trace posted to OAP\'s HTTP receiver', async () => {
    // the spec names the tool image; the portal's policy admits it only from skywalking.allowedImages
    const spec = backendSpec(source, 'skywalking');
    const imageRefusal = (allowedImages: string[]) =>
      validateSpecPolicy(spec, { ...defaultSpecPolicy(), allowedImages, allowedStorageAddresses: ['postgresql'] }).filter(e => e.path === 'storage.external.snapshot.image');
    expect(imageRefusal(defaultSpecPolicy().allowedImages)).toHaveLength(1);
    expect(imageRefusal([...defaultSpecPolicy().allowedImages, 'skywalking-backstage/postgresql:*'])).toEqual([]);

    const t0 = Date.now();
    await op.backends.create(spec, ACTOR);
    await ready(source);
    measure(`backend ${source} cold start to Ready (OAP ${VERSION}, empty database)`, Date.now() - t0);
    await postSegment(source, before);
    const t1 = Date.now();
    await expectFound(source, before);
    measure('segment posted to trace found', Date.now() - t1);
  });

  it('takes a snapshot through the product: pg_dump runs in a Job on the real node and writes the dump to the PVC', async () => {
    const t0 = Date.now();
    const started = await backups.startBackup(ref(source), {}, ACTOR);
    snapshot = started.name;
    const run = await finished(source, snapshot, 'items');
    measure('snapshot (request to Job Succeeded)', Date.now() - t0);
    const pod = await jobPod(snapshot);
    expect({ phase: run.phase, log: pod.log }).toMatchObject({ phase: 'Succeeded' });
    expect(pod.node).toBe(cluster.realNode!.nodeName);
    expect(pod.image).toBe(PG_IMAGE);
    // the dump, on the volume as the node has it: pg_dump's custom format starts with PGDMP
    const file = `${volumeDir}/${source}/${snapshot}.dump`;
    const [size, magic] = cluster.realNode!.shInNode(['/bin/sh', '-c', `stat -c %s ${file} && head -c 5 ${file}`]).trim().split('\n');
    expect(magic).toBe('PGDMP');
    expect(Number(size)).toBeGreaterThan(10_000);
    expect(pod.log).toContain(`snapshot ${snapshot} written: ${size} bytes`);
    figures['dump size'] = `${(Number(size) / 1024).toFixed(0)} KiB`;
    expect(cluster.realNode!.shInNode(['/bin/sh', '-c', `ls ${volumeDir}/${source}`]).trim()).toBe(`${snapshot}.dump`);

    // recorded after the snapshot: not in it
    await postSegment(source, after);
    await expectFound(source, after);
  });

  it('restores the snapshot into a new backend with an empty database, which serves the trace from before the snapshot and not the one after', async () => {
    await psqlPod('create-restored-db', `createdb ${restored} && psql -d ${restored} -tAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"`).then(log =>
      expect(log.trim()).toBe('0'),
    );
    await op.backends.create(backendSpec(restored, restored), ACTOR);
    // the product restores only into a paused backend: OAP would write into the tables being replaced
    await expect(backups.restore(ref(restored), { backup: snapshot, from: ref(source) }, ACTOR)).rejects.toThrow(/pause restored first/);
    await op.backends.pause(ref(restored), ACTOR);
    await until('no OAP pod of the new backend', async () => {
      const pods = (await core().listNamespacedPod({ namespace: op.ns, labelSelector: `app=oap,operator.skywalking.apache.org/oap-server-name=${restored}` })).items;
      return pods.length === 0;
    }, 180_000);

    const t0 = Date.now();
    const result = await backups.restore(ref(restored), { backup: snapshot, from: ref(source) }, ACTOR);
    const run = await finished(restored, result.job!, 'restores');
    measure('restore (request to Job Succeeded)', Date.now() - t0);
    const pod = await jobPod(result.job!);
    expect({ phase: run.phase, log: pod.log }).toMatchObject({ phase: 'Succeeded' });
    expect(pod.node).toBe(cluster.realNode!.nodeName);
    expect(pod.log).toContain(`snapshot ${snapshot} restored`);

    const t1 = Date.now();
    await op.backends.resume(ref(restored), ACTOR);
    await ready(restored);
    measure(`backend ${restored} resumed to Ready on the restored database`, Date.now() - t1);
    await expectFound(restored, before);
    expect(await traceFound(restored, after)).toBe(false);
  });
});
