import { eventually } from '@internal/local-cluster';
import { K8s } from '../clusters/k8s';
import { OperatorEngine } from '../engine/OperatorEngine';
import { BackendService } from './BackendService';
import { BackupInputError, BackupService } from './BackupService';
import { quietLogger as logger } from './testOutbox';
import { startTestOperator } from '../__testUtils__/testOperator';

/*
 * Snapshot hooks of external storage on the local control plane: the engine
 * renders the CronJob (kube-controller-manager's CronJob controller is the
 * one that would start it), on-demand snapshots are Jobs the Job controller
 * runs (KWOK completes their pods), restores need the backend paused. What
 * the scripts do is tested in snapshotTools.test.ts against a real
 * PostgreSQL; here: objects, ownership, history, errors.
 */

jest.setTimeout(240_000);

const CLUSTER = 'local';
let k8s: typeof K8s;
let admin: K8s.KubeConfig;
let ns: string;
let backends: BackendService;
let backups: BackupService;
let engine: OperatorEngine;

const ref = (name: string) => ({ cluster: CLUSTER, namespace: ns, name });
const core = () => admin.makeApiClient(k8s.CoreV1Api);
const batch = () => admin.makeApiClient(k8s.BatchV1Api);
const snapshot = { schedule: '0 3 * * *', target: { pvc: { claimName: 'db-snapshots' } }, keep: 5 };
const pgSpec = (extra: any = {}) => ({
  name: 'pgdemo',
  namespace: ns,
  cluster: CLUSTER,
  version: '10.2.0',
  ui: { enabled: false },
  storage: { type: 'postgresql', external: { address: 'pg.databases:5432', secretName: 'pg-credentials', database: 'skywalking', snapshot, ...extra } },
});

beforeAll(async () => {
  const t = await startTestOperator('snapshot');
  ({ k8s, admin, ns, backends, engine } = t);
  backups = new BackupService({ clusters: t.registry, backends, logger });
  // a PV bound in advance to the snapshot claim: the snapshot pods schedule without a provisioner
  await core().createPersistentVolume({
    body: {
      metadata: { name: `${ns}-db-snapshots` },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: '',
        hostPath: { path: `/tmp/${ns}/db-snapshots` },
        claimRef: { namespace: ns, name: 'db-snapshots' },
      },
    },
  });
  await core().createNamespacedPersistentVolumeClaim({
    namespace: ns,
    body: { metadata: { name: 'db-snapshots' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: '', resources: { requests: { storage: '1Gi' } } } },
  });
});

afterAll(async () => {
  await engine?.stop();
  await core()
    .deletePersistentVolume({ name: `${ns}-db-snapshots` })
    .catch(() => undefined);
});

describe('snapshots of external storage on the local control plane', () => {
  let taken: string;

  it('renders the schedule as a CronJob owned by the OAPServer, running pg_dump with the credential Secret, and reads the spec back', async () => {
    await eventually('backend created', async () => (await backends.create(pgSpec(), 'user:default/tester')).applied);
    const cron = await eventually('snapshot CronJob', async () => batch().readNamespacedCronJob({ namespace: ns, name: 'pgdemo-snapshot' }).catch(() => undefined), 60_000);
    expect(cron.spec!.schedule).toBe('0 3 * * *');
    expect(cron.spec!.concurrencyPolicy).toBe('Forbid');
    expect(cron.metadata!.ownerReferences![0]).toMatchObject({ kind: 'OAPServer', name: 'pgdemo', controller: true });
    const c = cron.spec!.jobTemplate.spec!.template.spec!.containers[0];
    expect(c.image).toBe('postgres:17-alpine');
    expect(c.command![2]).toContain('pg_dump');
    expect(c.env).toEqual(
      expect.arrayContaining([
        { name: 'DB_HOST', value: 'pg.databases' },
        { name: 'DB_NAME', value: 'skywalking' },
        { name: 'SW_DATA_SOURCE_PASSWORD', valueFrom: { secretKeyRef: { name: 'pg-credentials', key: 'password' } } },
      ]),
    );
    const detail = await backends.get(ref('pgdemo'));
    expect(detail.spec.snapshot).toEqual(snapshot);

    // steady: reconciling again writes nothing (the rendered CronJob matches what the API server keeps)
    const ce = engine.engine(CLUSTER)!;
    await eventually('pgdemo Ready', async () => (await backends.get(ref('pgdemo'))).phase === 'Ready', 90_000);
    await eventually(
      'settled',
      async () => {
        await ce.idle(30_000);
        return ce.queueDepth === 0;
      },
      60_000,
    );
    await new Promise(r => setTimeout(r, 2000));
    await ce.idle(30_000);
    const before = ce.writes;
    ce.enqueue(`OAPServer/${ns}/pgdemo`);
    await ce.idle(30_000);
    expect(ce.writes - before).toBe(0);
  });

  it('heals a deleted CronJob', async () => {
    const before = await batch().readNamespacedCronJob({ namespace: ns, name: 'pgdemo-snapshot' });
    await batch().deleteNamespacedCronJob({ namespace: ns, name: 'pgdemo-snapshot' });
    const healed = await eventually(
      'CronJob recreated',
      async () => {
        const now = await batch()
          .readNamespacedCronJob({ namespace: ns, name: 'pgdemo-snapshot' })
          .catch(() => undefined);
        return now && now.metadata!.uid !== before.metadata!.uid && now;
      },
      60_000,
    );
    expect(healed.metadata!.ownerReferences![0]).toMatchObject({ kind: 'OAPServer', name: 'pgdemo' });
    expect(healed.spec!.schedule).toBe('0 3 * * *');
  });

  it('takes a snapshot on demand: a Job from the same template, Complete, listed as Succeeded under its name', async () => {
    const run = await backups.startBackup(ref('pgdemo'), {}, 'user:default/tester');
    expect(run.name).toMatch(/^pgdemo-snap-\d{14}$/);
    expect(run).toMatchObject({ backup: run.name, target: 'file:///backups/pgdemo', requestedBy: 'user:default/tester' });
    const job = await batch().readNamespacedJob({ namespace: ns, name: run.name });
    expect(job.metadata!.ownerReferences![0]).toMatchObject({ kind: 'OAPServer', name: 'pgdemo' });
    expect(job.spec!.template.spec!.volumes).toEqual([{ name: 'snapshots', persistentVolumeClaim: { claimName: 'db-snapshots' } }]);
    const list = await eventually(
      'snapshot Succeeded',
      async () => {
        const l = await backups.listBackups(ref('pgdemo'));
        return l.items.find(i => i.name === run.name)?.phase === 'Succeeded' && l;
      },
      120_000,
    );
    expect(list).toMatchObject({ kind: 'snapshot', schedule: '0 3 * * *', target: 'file:///backups/pgdemo' });
    // the pod got its Job's name as the snapshot's (downward API), so the file and the history agree
    const pods = await core().listNamespacedPod({ namespace: ns, labelSelector: `batch.kubernetes.io/job-name=${run.name}` });
    expect(pods.items).toHaveLength(1);
    taken = run.name;
  });

  it('refuses a target of the wrong kind with its field path', async () => {
    const err = await backups.startBackup(ref('pgdemo'), { target: { repository: 'es-repo' } }, 'user:default/tester').catch(e => e);
    expect(err).toBeInstanceOf(BackupInputError);
    expect((err as BackupInputError).fields.map(f => f.path).sort()).toEqual(['target.pvc', 'target.repository']);
  });

  it('restores only while paused, then as a Job that names the snapshot, listed under restores', async () => {
    const running = await backups.restore(ref('pgdemo'), { backup: taken }, 'user:default/tester').catch(e => e);
    expect(running.name).toBe('ConflictError');
    expect(running.message).toContain('pause pgdemo first');

    await backends.pause(ref('pgdemo'), 'user:default/tester');
    await eventually('paused recorded', async () => (await backends.get(ref('pgdemo'))).paused);
    const result = await backups.restore(ref('pgdemo'), { backup: taken }, 'user:default/tester');
    expect(result).toMatchObject({ created: false, applied: true, restore: { backup: taken, target: { pvc: { claimName: 'db-snapshots' } } } });
    const job = await batch().readNamespacedJob({ namespace: ns, name: result.job! });
    const c = job.spec!.template.spec!.containers[0];
    expect(c.command![2]).toContain('pg_restore');
    expect(c.env).toEqual(expect.arrayContaining([{ name: 'SNAPSHOT_NAME', value: taken }]));
    const list = await eventually(
      'restore Succeeded',
      async () => {
        const l = await backups.listBackups(ref('pgdemo'));
        return l.restores?.find(r => r.name === result.job)?.phase === 'Succeeded' && l;
      },
      120_000,
    );
    // a restore is not a backup
    expect(list.items.map(i => i.name)).not.toContain(result.job);
    expect(list.restores![0].backup).toBe(`pgdemo/${taken}`);
  });

  it('refuses to restore what is not a snapshot name, or a snapshot from another namespace', async () => {
    const bad = await backups.restore(ref('pgdemo'), { backup: 'Not A Name' }, 'user:default/tester').catch(e => e);
    expect((bad as BackupInputError).fields).toEqual([expect.objectContaining({ path: 'backup' })]);
    const other = await backups.restore(ref('pgdemo'), { backup: taken, from: { cluster: CLUSTER, namespace: 'elsewhere', name: 'pgdemo' } }, 'user:default/tester').catch(e => e);
    expect((other as BackupInputError).fields).toEqual([expect.objectContaining({ path: 'from' })]);
  });

  it('prunes the CronJob when the schedule goes, keeping on-demand snapshots possible', async () => {
    const { schedule: _s, ...onDemand } = snapshot;
    await backends.update(ref('pgdemo'), { ...pgSpec({ snapshot: onDemand }), paused: true }, 'user:default/tester');
    await eventually(
      'CronJob deleted',
      async () =>
        batch()
          .readNamespacedCronJob({ namespace: ns, name: 'pgdemo-snapshot' })
          .then(() => false)
          .catch((e: any) => e?.code === 404),
      60_000,
    );
    const list = await backups.listBackups(ref('pgdemo'));
    expect(list.schedule).toBeUndefined();
    expect(list.items.map(i => i.name)).toContain(taken);
  });

  it('takes Elasticsearch snapshots into its repository and says restoring is Elasticsearch\'s', async () => {
    await backends.create(
      {
        name: 'esdemo',
        namespace: ns,
        cluster: CLUSTER,
        version: '10.2.0',
        ui: { enabled: false },
        storage: { type: 'elasticsearch', external: { address: 'es.search:9200', secretName: 'es-credentials', snapshot: { target: { repository: 'skywalking' } } } },
      },
      'user:default/tester',
    );
    const run = await eventually('OAPServer readable', async () => backups.startBackup(ref('esdemo'), {}, 'user:default/tester').catch(() => undefined), 30_000);
    expect(run.target).toBe('http://es.search:9200/_snapshot/skywalking');
    const job = await batch().readNamespacedJob({ namespace: ns, name: run.name });
    expect(job.spec!.template.spec!.containers[0].image).toBe('curlimages/curl:8.11.1');
    expect(job.spec!.template.spec!.volumes).toBeUndefined();
    await backends.pause(ref('esdemo'), 'user:default/tester');
    const err = await backups.restore(ref('esdemo'), { backup: run.name }, 'user:default/tester').catch(e => e);
    expect(err.name).toBe('ConflictError');
    expect(err.message).toContain('_restore');
  });
});
