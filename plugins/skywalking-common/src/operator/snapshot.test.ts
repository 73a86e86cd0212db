import { FieldError } from '../api';
import { validateBackendSpec } from '../backendSpec';
import { BACKUP_OF_LABEL, backupRunsFromJobs, BACKUP_TARGET_ANNOTATION } from './backup';
import type { CustomObject } from './render';
import {
  cronScheduleProblem,
  renderSnapshotCronJob,
  renderSnapshotJob,
  renderSnapshotRestoreJob,
  RESTORE_OF_LABEL,
  SNAPSHOT_ANNOTATION,
  storageConnectionOf,
  STORAGE_TYPE_ANNOTATION,
  validateSnapshot,
} from './snapshot';
import { STORAGE_TLS_ANNOTATION } from './storageTls';

const secretRef = (key: string) => ({ valueFrom: { secretKeyRef: { name: 'db-credentials', key } } });

function oap(config: any[], annotations: Record<string, string> = {}): CustomObject {
  return {
    apiVersion: 'operator.skywalking.apache.org/v1alpha1',
    kind: 'OAPServer',
    metadata: { name: 'demo', namespace: 'sw', uid: 'u-1', annotations },
    spec: { version: '10.2.0', config },
  };
}

const pg = (annotations: Record<string, string> = {}) =>
  oap(
    [
      { name: 'SW_STORAGE', value: 'postgresql' },
      { name: 'SW_JDBC_URL', value: 'jdbc:postgresql://pg.db:5433/sky?sslmode=prefer' },
      { name: 'SW_DATA_SOURCE_USER', ...secretRef('username') },
      { name: 'SW_DATA_SOURCE_PASSWORD', ...secretRef('password') },
    ],
    annotations,
  );

const validate = (s: unknown, storage = 'postgresql') => {
  const errors: FieldError[] = [];
  validateSnapshot(errors, 'storage.external.snapshot', s, storage);
  return errors;
};

describe('validateSnapshot', () => {
  it('accepts a SQL snapshot to a PVC with a cron schedule and an Elasticsearch one to a repository', () => {
    expect(validate({ schedule: '0 3 * * *', target: { pvc: { claimName: 'backups' } }, keep: 5 })).toEqual([]);
    expect(validate({ schedule: '@daily', target: { repository: 'skywalking' } }, 'elasticsearch')).toEqual([]);
    expect(validate({ target: { pvc: { claimName: 'backups' } } }, 'tidb')).toEqual([]);
  });

  it('names each bad field with its path', () => {
    const errors = validate({ schedule: 'every night', target: { repository: 'x' }, keep: 0, image: 'bad image', extra: 1 });
    expect(errors.map(e => e.path).sort()).toEqual([
      'storage.external.snapshot.extra',
      'storage.external.snapshot.image',
      'storage.external.snapshot.keep',
      'storage.external.snapshot.schedule',
      'storage.external.snapshot.target.pvc',
      'storage.external.snapshot.target.repository',
    ]);
    expect(errors.find(e => e.path.endsWith('repository'))!.message).toContain('postgresql dumps go to a PVC');
  });

  it('tells Elasticsearch users to name a registered repository, not a PVC, and has no keep for it', () => {
    const errors = validate({ target: { pvc: { claimName: 'b' } }, keep: 3 }, 'elasticsearch');
    expect(errors.map(e => e.path).sort()).toEqual(['storage.external.snapshot.keep', 'storage.external.snapshot.target.pvc', 'storage.external.snapshot.target.repository']);
  });

  it('takes the schedules a CronJob takes and explains the rest', () => {
    expect(cronScheduleProblem('*/15 2-4 * * MON-FRI')).toBeUndefined();
    expect(cronScheduleProblem('@hourly')).toBeUndefined();
    expect(cronScheduleProblem('0 3 * *')).toContain('five-field cron expression');
    expect(cronScheduleProblem('CRON_TZ=Europe/Berlin 0 3 * * *')).toContain('time zones are not allowed');
    expect(cronScheduleProblem('')).toContain('is required');
  });

  it('is part of the backend spec: only for external storage', () => {
    const base = { name: 'demo', namespace: 'sw', cluster: 'local', version: '10.2.0' };
    expect(
      validateBackendSpec({ ...base, storage: { type: 'postgresql', external: { address: 'pg:5432', secretName: 'pg', snapshot: { schedule: 'nightly', target: {} } } } } as any).map(e => e.path),
    ).toEqual(['storage.external.snapshot.schedule', 'storage.external.snapshot.target.pvc']);
    expect(validateBackendSpec({ ...base, storage: { type: 'banyandb', external: { snapshot: { target: { pvc: { claimName: 'b' } } } } } } as any)).toEqual([
      expect.objectContaining({ path: 'storage.external.snapshot', message: expect.stringContaining('storage.banyandb.backup') }),
    ]);
  });
});

describe('storageConnectionOf', () => {
  it('reads host, port and database from the JDBC URL and keeps the credentials as secretKeyRefs', () => {
    expect(storageConnectionOf(pg())).toEqual({
      storage: 'postgresql',
      host: 'pg.db',
      port: 5433,
      database: 'sky',
      credentials: [
        { name: 'SW_DATA_SOURCE_USER', ...secretRef('username') },
        { name: 'SW_DATA_SOURCE_PASSWORD', ...secretRef('password') },
      ],
    });
  });

  it('tells TiDB from MySQL by the recorded storage type and defaults its port to 4000', () => {
    const tidb = oap([{ name: 'SW_STORAGE', value: 'mysql' }, { name: 'SW_JDBC_URL', value: 'jdbc:mysql://tidb.db/sw?rewriteBatchedStatements=true' }], { [STORAGE_TYPE_ANNOTATION]: 'tidb' });
    expect(storageConnectionOf(tidb)).toMatchObject({ storage: 'tidb', host: 'tidb.db', port: 4000, database: 'sw' });
  });

  it('takes the first Elasticsearch node, and https when storage TLS is recorded', () => {
    const es = (a: Record<string, string> = {}) => oap([{ name: 'SW_STORAGE', value: 'elasticsearch' }, { name: 'SW_STORAGE_ES_CLUSTER_NODES', value: 'es-0.es:9201,es-1.es:9201' }], a);
    expect(storageConnectionOf(es())).toMatchObject({ storage: 'elasticsearch', host: 'es-0.es', port: 9201, protocol: 'http' });
    expect(storageConnectionOf(es({ [STORAGE_TLS_ANNOTATION]: JSON.stringify({ caSecretName: 'es-ca' }) }))).toMatchObject({ protocol: 'https' });
  });

  it('has none for BanyanDB', () => {
    expect(storageConnectionOf(oap([{ name: 'SW_STORAGE', value: 'banyandb' }]))).toBeUndefined();
  });
});

describe('snapshot Jobs', () => {
  const snapshot = { schedule: '0 3 * * *', target: { pvc: { claimName: 'backups' } } };

  it('renders a CronJob owned by the OAPServer only when a schedule is recorded', () => {
    expect(renderSnapshotCronJob(pg(), {})).toBeUndefined();
    expect(renderSnapshotCronJob(pg({ [SNAPSHOT_ANNOTATION]: JSON.stringify({ target: snapshot.target }) }), {})).toBeUndefined();
    const cron: any = renderSnapshotCronJob(pg({ [SNAPSHOT_ANNOTATION]: JSON.stringify(snapshot) }), { 'app.kubernetes.io/managed-by': 'x' });
    expect(cron.metadata).toMatchObject({ name: 'demo-snapshot', namespace: 'sw', labels: { 'app.kubernetes.io/managed-by': 'x', [BACKUP_OF_LABEL]: 'demo' } });
    expect(cron.metadata.ownerReferences[0]).toMatchObject({ kind: 'OAPServer', name: 'demo', uid: 'u-1', controller: true });
    expect(cron.spec).toMatchObject({ schedule: '0 3 * * *', concurrencyPolicy: 'Forbid', timeZone: 'Etc/UTC' });
    // the Jobs it makes are backups (history), not the engine's children
    expect(cron.spec.jobTemplate.metadata.labels).toEqual(expect.objectContaining({ [BACKUP_OF_LABEL]: 'demo' }));
    expect(cron.spec.jobTemplate.metadata.labels['app.kubernetes.io/managed-by']).toBeUndefined();
    expect(cron.spec.jobTemplate.metadata.annotations[BACKUP_TARGET_ANNOTATION]).toBe('file:///backups/demo');
  });

  it('runs pg_dump with the Job name, the PVC and OAP\'s credential refs', () => {
    const job: any = renderSnapshotJob(pg(), snapshot, { jobName: 'demo-snap-1', requestedBy: 'user:default/guest' });
    const pod = job.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe('postgres:17-alpine');
    expect(c.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(c.command[2]).toContain('pg_dump --host="$DB_HOST" --port="$DB_PORT"');
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      SNAPSHOT_NAME: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } },
      SNAPSHOT_BACKEND: 'demo',
      DB_HOST: 'pg.db',
      DB_PORT: '5433',
      DB_NAME: 'sky',
      SNAPSHOT_DIR: '/backups',
      SNAPSHOT_KEEP: '10',
      SW_DATA_SOURCE_PASSWORD: { secretKeyRef: { name: 'db-credentials', key: 'password' } },
    });
    expect(JSON.stringify(job)).not.toMatch(/"value":"[^"]*password/i);
    expect(pod.volumes).toEqual([{ name: 'snapshots', persistentVolumeClaim: { claimName: 'backups' } }]);
    expect(backupRunsFromJobs([{ ...job, metadata: { ...job.metadata, creationTimestamp: '2026-11-30T12:00:00Z' } }])[0]).toMatchObject({
      name: 'demo-snap-1',
      backup: 'demo-snap-1',
      target: 'file:///backups/demo',
      requestedBy: 'user:default/guest',
      phase: 'Pending',
    });
  });

  it('runs mysqldump without locks, tablespaces, column statistics or GTIDs for MySQL and TiDB', () => {
    const tidb = oap(
      [{ name: 'SW_STORAGE', value: 'mysql' }, { name: 'SW_JDBC_URL', value: 'jdbc:mysql://tidb:4000/sw' }, { name: 'SW_DATA_SOURCE_USER', ...secretRef('username') }],
      { [STORAGE_TYPE_ANNOTATION]: 'tidb' },
    );
    const c: any = (renderSnapshotJob(tidb, snapshot, { jobName: 'j' }) as any).spec.template.spec.containers[0];
    expect(c.image).toBe('mysql:8.4');
    for (const flag of ['--single-transaction', '--skip-lock-tables', '--no-tablespaces', '--column-statistics=0', '--set-gtid-purged=OFF']) expect(c.command[2]).toContain(flag);
  });

  it('verifies the storage against the CA of storage TLS', () => {
    const tls = { [STORAGE_TLS_ANNOTATION]: JSON.stringify({ caSecretName: 'pg-ca', caKey: 'root.pem' }) };
    const pod: any = (renderSnapshotJob(pg(tls), snapshot, { jobName: 'j' }) as any).spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'storage-ca', secret: { secretName: 'pg-ca' } });
    expect(pod.containers[0].env).toEqual(expect.arrayContaining([{ name: 'PGSSLMODE', value: 'verify-full' }, { name: 'PGSSLROOTCERT', value: '/etc/storage-ca/root.pem' }]));
  });

  it('restores a named snapshot, labelled restore-of so it is not listed as a backup, without retries', () => {
    const job: any = renderSnapshotRestoreJob(pg(), snapshot, { jobName: 'demo-restore-1', snapshot: 'old-snap-1', from: 'old' });
    expect(job.metadata.labels[RESTORE_OF_LABEL]).toBe('demo');
    expect(job.metadata.labels[BACKUP_OF_LABEL]).toBeUndefined();
    expect(job.spec.backoffLimit).toBe(0);
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({ SNAPSHOT_NAME: 'old-snap-1', SNAPSHOT_BACKEND: 'old' });
    expect(job.spec.template.spec.containers[0].command[2]).toContain('pg_restore');
  });

  it('renders an Elasticsearch script that hands curl the credentials as a config on stdin, never as --user', () => {
    const es = oap([
      { name: 'SW_STORAGE', value: 'elasticsearch' },
      { name: 'SW_STORAGE_ES_CLUSTER_NODES', value: 'es:9200' },
      { name: 'SW_ES_USER', ...secretRef('username') },
      { name: 'SW_ES_PASSWORD', ...secretRef('password') },
    ]);
    const c = (renderSnapshotJob(es, { target: { repository: 'r' } }, { jobName: 'j' }) as any).spec.template.spec.containers[0];
    const script: string = c.command[2];
    expect(script).toContain('curl --config -');
    expect(script).not.toMatch(/--user|-u /);
    expect(script).toContain('"$SW_ES_USER"');
    // the password stays a secretKeyRef, read by the script from env
    expect(c.env.find((e: any) => e.name === 'SW_ES_PASSWORD')).toEqual({ name: 'SW_ES_PASSWORD', ...secretRef('password') });
  });

  it('does not restore Elasticsearch snapshots (that is Elasticsearch\'s _restore API)', () => {
    const es = oap([{ name: 'SW_STORAGE', value: 'elasticsearch' }, { name: 'SW_STORAGE_ES_CLUSTER_NODES', value: 'es:9200' }]);
    expect(() => renderSnapshotRestoreJob(es, { target: { repository: 'r' } }, { jobName: 'j', snapshot: 's' })).toThrow(/_restore/);
  });
});
