import { validateBackendSpec } from '../backendSpec';
import {
  BACKUP_ANNOTATION,
  backupRunsFromJobs,
  banyandbAtLeast,
  renderBackupJob,
  RESTORE_ANNOTATION,
  restoredCondition,
  restoreIdOf,
  timeDirOf,
  withBackupAndRestore,
} from './backup';
import { CustomObject, renderBanyanDB } from './render';
import { TLS_ANNOTATION } from './tls';

const base = { name: 'demo', namespace: 'sw', cluster: 'local', version: '10.2.0' };
const withBackup = (backup: unknown, extra: Record<string, unknown> = {}) => ({ ...base, storage: { type: 'banyandb', banyandb: { ...extra, backup } } });
const paths = (spec: unknown) => validateBackendSpec(spec).map(e => e.path);

function banyandb(annotations: Record<string, string> = {}, spec: Record<string, unknown> = {}): CustomObject {
  return {
    apiVersion: 'operator.skywalking.apache.org/v1alpha1',
    kind: 'BanyanDB',
    metadata: { name: 'demo', namespace: 'sw', uid: 'u-1', annotations },
    spec: { version: '0.9.0', counts: 1, image: 'apache/skywalking-banyandb:0.9.0', config: ['standalone'], ...spec },
  };
}
const pvcStorage = { storages: [{ name: 'data', path: '/tmp', persistentVolumeClaimSpec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] };
const sts = (cr: CustomObject) => withBackupAndRestore(cr, renderBanyanDB(cr)).find(o => o.kind === 'StatefulSet')!;

describe('backup spec validation', () => {
  it('accepts a scheduled backup to a PVC and an on-demand one to an object store (BanyanDB 0.9.0)', () => {
    expect(validateBackendSpec(withBackup({ schedule: '@daily', target: { pvc: { claimName: 'skywalking-backups' } } }))).toEqual([]);
    expect(validateBackendSpec(withBackup({ schedule: '@every 6h', timeStyle: 'hourly', target: { pvc: { claimName: 'b' } } }))).toEqual([]);
    expect(validateBackendSpec(withBackup({ target: { url: 's3://bucket/sw', secretName: 'aws' } }, { version: '0.9.0' }))).toEqual([]);
    expect(validateBackendSpec(withBackup({ target: { url: 'gs://bucket/sw', secretName: 'gcs' } }, { version: '0.10.1' }))).toEqual([]);
  });

  it('refuses five-field cron (the tool reads descriptors only), naming the field', () => {
    const errors = validateBackendSpec(withBackup({ schedule: '0 2 * * *', target: { pvc: { claimName: 'b' } } }));
    expect(errors).toEqual([{ path: 'storage.banyandb.backup.schedule', message: expect.stringContaining('not five-field cron') }]);
    expect(paths(withBackup({ schedule: '@every soon', target: { pvc: { claimName: 'b' } } }))).toEqual(['storage.banyandb.backup.schedule']);
  });

  it('wants exactly one target, valid names and known URL schemes', () => {
    expect(paths(withBackup({ schedule: '@daily' }))).toEqual(['storage.banyandb.backup.target']);
    expect(validateBackendSpec(withBackup({ target: { pvc: { claimName: 'b' }, url: 's3://x/y' } }, { version: '0.9.0' }))).toEqual([
      { path: 'storage.banyandb.backup.target', message: 'give exactly one of pvc or url (got pvc and url)' },
    ]);
    expect(paths(withBackup({ target: { pvc: { claimName: 'Not_A_Name' } } }))).toEqual(['storage.banyandb.backup.target.pvc.claimName']);
    expect(paths(withBackup({ target: { url: 'ftp://host/x' } }, { version: '0.9.0' }))).toEqual(['storage.banyandb.backup.target.url']);
    expect(paths(withBackup({ target: { url: 'file:///backups' } }, { version: '0.9.0' }))).toEqual(['storage.banyandb.backup.target.url']);
    expect(paths(withBackup({ target: { url: 's3://bucket/p', secretName: 'Bad Secret' } }, { version: '0.9.0' }))).toEqual(['storage.banyandb.backup.target.secretName']);
    expect(paths(withBackup({ target: { pvc: { claimName: 'b' }, secretName: 's' } }))).toEqual(['storage.banyandb.backup.target.secretName']);
    expect(paths(withBackup({ target: { pvc: { claimName: 'b' } }, timeStyle: 'weekly', retention: 3 }))).toEqual([
      'storage.banyandb.backup.retention',
      'storage.banyandb.backup.timeStyle',
    ]);
  });

  it('refuses object stores on BanyanDB 0.8.0 (the default), whose backup tool writes file:// only', () => {
    const errors = validateBackendSpec(withBackup({ target: { url: 's3://bucket/sw' } }));
    expect(errors).toEqual([{ path: 'storage.banyandb.backup.target.url', message: expect.stringContaining('BanyanDB 0.9.0 or later') }]);
  });

  it('validates a restore: time directory, target, source backend', () => {
    const restore = (r: unknown) => ({ ...base, storage: { type: 'banyandb', banyandb: { restore: r } } });
    expect(validateBackendSpec(restore({ backup: '2026-11-30', target: { pvc: { claimName: 'b' } }, from: { cluster: 'local', namespace: 'sw', name: 'old' }, id: 'r1' }))).toEqual([]);
    expect(validateBackendSpec(restore({ backup: '2026-11-30-14', target: { pvc: { claimName: 'b' } } }))).toEqual([]);
    expect(paths(restore({ backup: 'yesterday', target: { pvc: { claimName: 'b' } }, from: { name: 'old' } }))).toEqual([
      'storage.banyandb.restore.backup',
      'storage.banyandb.restore.from.cluster',
      'storage.banyandb.restore.from.namespace',
    ]);
  });

  it('leaves backups of external storage to the storage itself', () => {
    expect(paths({ ...base, storage: { type: 'postgresql', external: { address: 'pg:5432', secretName: 'pg' }, banyandb: { backup: { target: { pvc: { claimName: 'b' } } } } } })).toEqual(['storage.banyandb']);
  });
});

describe('backup rendering', () => {
  it('knows the BanyanDB versions', () => {
    expect(banyandbAtLeast('0.8.0', '0.9.0')).toBe(false);
    expect(banyandbAtLeast('0.9.0', '0.9.0')).toBe(true);
    expect(banyandbAtLeast('0.10.2', '0.9.0')).toBe(true);
    expect(banyandbAtLeast(undefined, '0.9.0')).toBe(false);
  });

  it('adds nothing without a schedule or a restore', () => {
    const cr = banyandb({ [BACKUP_ANNOTATION]: JSON.stringify({ target: { pvc: { claimName: 'b' } } }) });
    expect(withBackupAndRestore(cr, renderBanyanDB(cr))).toEqual(renderBanyanDB(cr));
  });

  it('runs a scheduled backup as a sidecar sharing the data volume, writing to the PVC target (0.9.0 flags)', () => {
    const cr = banyandb({ [BACKUP_ANNOTATION]: JSON.stringify({ schedule: '@every 6h', timeStyle: 'hourly', target: { pvc: { claimName: 'skywalking-backups' } } }) }, pvcStorage);
    const pod = sts(cr).spec.template.spec;
    expect(pod.containers.map((c: any) => c.name)).toEqual(['banyandb', 'backup']);
    expect(pod.containers[1]).toEqual({
      name: 'backup',
      image: 'apache/skywalking-banyandb:0.9.0',
      command: [
        '/backup',
        '--grpc-addr=127.0.0.1:17912',
        '--stream-root-path=/tmp',
        '--measure-root-path=/tmp',
        '--property-root-path=/tmp',
        '--trace-root-path=/tmp',
        '--dest=file:///backups/demo',
        '--time-style=hourly',
        '--schedule=@every 6h',
      ],
      volumeMounts: [
        { name: 'data', mountPath: '/tmp' },
        { name: 'backup-target', mountPath: '/backups' },
      ],
    });
    expect(pod.volumes).toEqual([{ name: 'backup-target', persistentVolumeClaim: { claimName: 'skywalking-backups' } }]);
  });

  it('gives a BanyanDB without storage an emptyDir both containers share; 0.8.0 has no trace flag', () => {
    const cr = banyandb({ [BACKUP_ANNOTATION]: JSON.stringify({ schedule: '@daily', target: { pvc: { claimName: 'b' } } }) }, { version: '0.8.0', image: 'apache/skywalking-banyandb:0.8.0' });
    const pod = sts(cr).spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'data', emptyDir: {} });
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'data', mountPath: '/tmp' }]);
    expect(pod.containers[1].command).not.toContain('--trace-root-path=/tmp');
  });

  it('passes object store credentials: env from the Secret for s3, a 0600 file for gs; TLS on the loopback', () => {
    const s3 = banyandb({ [BACKUP_ANNOTATION]: JSON.stringify({ schedule: '@daily', target: { url: 's3://bucket/sw', secretName: 'aws' } }), [TLS_ANNOTATION]: JSON.stringify({ enabled: true }) }, pvcStorage);
    const c = sts(s3).spec.template.spec.containers[1];
    expect(c.envFrom).toEqual([{ secretRef: { name: 'aws' } }]);
    expect(c.command).toEqual(expect.arrayContaining(['--dest=s3://bucket/sw', '--enable-tls=true', '--insecure=true']));
    const gs = banyandb({ [BACKUP_ANNOTATION]: JSON.stringify({ schedule: '@daily', target: { url: 'gs://bucket/sw', secretName: 'gcs' } }) }, { ...pvcStorage, version: '0.10.0' });
    const pod = sts(gs).spec.template.spec;
    expect(pod.containers[1].command).toEqual(expect.arrayContaining(['--gcp-service-account-file=/etc/banyandb-backup/service-account.json', '--schema-root-path=/tmp']));
    expect(pod.volumes).toContainEqual({ name: 'backup-credentials', secret: { secretName: 'gcs', defaultMode: 0o600 } });
  });

  it('restores before the data node starts: time-dir markers, restore run from the source backend directory, once per id', () => {
    const restore = { backup: '2026-11-30', target: { pvc: { claimName: 'skywalking-backups' } }, from: { cluster: 'local', namespace: 'sw', name: 'old' }, id: 'r-1' };
    const cr = banyandb({ [RESTORE_ANNOTATION]: JSON.stringify(restore) }, pvcStorage);
    const pod = sts(cr).spec.template.spec;
    expect(pod.containers.map((c: any) => c.name)).toEqual(['banyandb']);
    const [init] = pod.initContainers;
    expect(init.name).toBe('restore');
    expect(init.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    const script = init.command[2];
    // fixed text: the values come from env, referenced as "$VAR"
    expect(script).toContain('/restore timedir create "$RESTORE_BACKUP" "--stream-root=$RESTORE_ROOT" "--measure-root=$RESTORE_ROOT" "--property-root=$RESTORE_ROOT" "--trace-root=$RESTORE_ROOT"');
    expect(script).toContain('/restore run --source="$RESTORE_SOURCE" "--stream-root-path=$RESTORE_ROOT"');
    for (const v of ['2026-11-30', 'file:///backups/old', '/tmp']) expect(script).not.toContain(v);
    expect(init.env).toEqual([
      { name: 'RESTORE_BACKUP', value: '2026-11-30' },
      { name: 'RESTORE_SOURCE', value: 'file:///backups/old' },
      { name: 'RESTORE_ROOT', value: '/tmp' },
      { name: 'RESTORE_MARKER', value: '/tmp/.skywalking-backstage-restored-r-1' },
    ]);
    expect(script.indexOf('if [ -f')).toBeLessThan(script.indexOf('timedir'));
    expect(init.volumeMounts).toEqual([
      { name: 'data', mountPath: '/tmp' },
      { name: 'restore-target', mountPath: '/backups' },
    ]);
    expect(pod.volumes).toContainEqual({ name: 'restore-target', persistentVolumeClaim: { claimName: 'skywalking-backups' } });
    expect(restoreIdOf({ backup: '2026-11-30', target: { url: 's3://b/p' } }, 'x')).toBe(restoreIdOf({ backup: '2026-11-30', target: { url: 's3://b/p' } }, 'x'));
  });

  it('renders an on-demand backup Job on the data node, owned by the BanyanDB, through the gRPC Service', () => {
    const cr = banyandb({}, pvcStorage);
    const job = renderBackupJob(cr, { target: { pvc: { claimName: 'skywalking-backups' } } }, {
      jobName: 'demo-backup-20261130101500',
      nodeName: 'node-1',
      dataClaim: 'data-demo-banyandb-0',
      now: new Date('2026-11-30T10:15:00Z'),
      requestedBy: 'user:default/alice',
    });
    expect(job.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'BanyanDB', name: 'demo', uid: 'u-1', controller: true })]);
    expect(job.metadata.labels['skywalking-backstage.io/backup-of']).toBe('demo');
    expect(job.metadata.annotations).toEqual({
      'skywalking-backstage.io/backup-target': 'file:///backups/demo',
      'skywalking-backstage.io/backup-dir': '2026-11-30',
      'skywalking-backstage.io/requested-by': 'user:default/alice',
    });
    const pod = job.spec.template.spec;
    expect(pod.nodeName).toBe('node-1');
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.containers[0].command).toEqual(expect.arrayContaining(['/backup', '--grpc-addr=demo-banyandb-grpc.sw:17912', '--dest=file:///backups/demo', '--time-style=daily']));
    expect(pod.containers[0].command.some((a: string) => a.startsWith('--schedule'))).toBe(false);
    expect(pod.volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'data-demo-banyandb-0' } },
      { name: 'backup-target', persistentVolumeClaim: { claimName: 'skywalking-backups' } },
    ]);
  });

  it('computes the time directory the tool writes (UTC)', () => {
    expect(timeDirOf(new Date('2026-11-30T23:59:00Z'))).toBe('2026-11-30');
    expect(timeDirOf(new Date('2026-11-30T07:05:00Z'), 'hourly')).toBe('2026-11-30-07');
  });
});

describe('backup history and restore status', () => {
  it('reads the history from Jobs, newest first', () => {
    const job = (name: string, created: string, status: any) => ({
      metadata: { name, creationTimestamp: created, annotations: { 'skywalking-backstage.io/backup-target': 'file:///backups/demo', 'skywalking-backstage.io/backup-dir': created.slice(0, 10) } },
      status,
    });
    const runs = backupRunsFromJobs([
      job('a', '2026-11-28T10:00:00Z', { startTime: '2026-11-28T10:00:01Z', completionTime: '2026-11-28T10:01:00Z', conditions: [{ type: 'Complete', status: 'True' }] }),
      job('c', '2026-11-30T10:00:00Z', { startTime: '2026-11-30T10:00:01Z' }),
      job('b', '2026-11-29T10:00:00Z', { startTime: '2026-11-29T10:00:01Z', conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastTransitionTime: '2026-11-29T10:02:00Z' }] }),
      job('d', '2026-11-30T11:00:00Z', {}),
    ]);
    expect(runs.map(r => [r.name, r.phase])).toEqual([['d', 'Pending'], ['c', 'Running'], ['b', 'Failed'], ['a', 'Succeeded']]);
    expect(runs[2]).toMatchObject({ finished: '2026-11-29T10:02:00.000Z', message: 'BackoffLimitExceeded: Job has reached the specified backoff limit' });
    expect(runs[3]).toMatchObject({ backup: '2026-11-28', target: 'file:///backups/demo', finished: '2026-11-28T10:01:00.000Z' });
  });

  it('reports Restored from the restore init container', () => {
    const r = { backup: '2026-11-30', target: { pvc: { claimName: 'b' } } };
    const pod = (state: any) => ({ status: { initContainerStatuses: [{ name: 'restore', state }] } });
    expect(restoredCondition(undefined, [])).toBeUndefined();
    expect(restoredCondition(r, [])).toMatchObject({ status: 'False', reason: 'Pending' });
    expect(restoredCondition(r, [pod({ running: {} })])).toMatchObject({ status: 'False', reason: 'Restoring' });
    expect(restoredCondition(r, [pod({ terminated: { exitCode: 1, reason: 'Error' } })])).toMatchObject({ status: 'False', reason: 'RestoreFailed' });
    expect(restoredCondition(r, [pod({ terminated: { exitCode: 0, reason: 'Completed', finishedAt: 't' } })])).toEqual({
      type: 'Restored',
      status: 'True',
      reason: 'Restored',
      message: 'backup 2026-11-30 restored',
      lastTransitionTime: 't',
    });
  });
});
