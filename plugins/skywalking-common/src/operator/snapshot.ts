/**
 * Snapshot hooks for external storage, as pure functions: the database's own
 * dump tool (pg_dump, mysqldump) or Elasticsearch's snapshot API, run as
 * Kubernetes Jobs. A schedule becomes a CronJob owned by the OAPServer (the
 * storage is reached over the network, so unlike BanyanDB's backup tool the
 * Job can run on any node); on-demand snapshots are Jobs from the same
 * template, like `kubectl create job --from=cronjob/…`. The history is the
 * Jobs (label skywalking-backstage.io/backup-of), as for BanyanDB backups.
 *
 * Everything the Job needs comes from the OAPServer the portal rendered:
 * the JDBC URL / Elasticsearch nodes from its config, the credentials as the
 * same `secretKeyRef`s OAP uses (they stay in the Secret). A snapshot is
 * named after its Job (`batch.kubernetes.io/job-name`, by the downward API):
 *
 * - PostgreSQL: `pg_dump --format=custom` to `<pvc>/<backend>/<job>.dump`;
 *   restored with `pg_restore --clean --if-exists --single-transaction`.
 * - MySQL, TiDB: `mysqldump --single-transaction` (no table locks, no
 *   tablespaces, no column statistics or GTIDs, which TiDB lacks) to
 *   `<pvc>/<backend>/<job>.sql`; restored with `mysql < file`.
 * - Elasticsearch: `PUT _snapshot/<repository>/<job>?wait_for_completion=true`
 *   into a snapshot repository registered in Elasticsearch (ES writes it; the
 *   Job only asks). Restoring is Elasticsearch's `_restore` API on closed
 *   indices, which the portal does not drive.
 */
import type { FieldError } from '../api';
import type { CustomObject, KubeObject } from './render';
import {
  BACKUP_MOUNT,
  BACKUP_OF_LABEL,
  BACKUP_REQUESTED_BY_ANNOTATION,
  BACKUP_TARGET_ANNOTATION,
  RESTORE_SNAPSHOT_ANNOTATION,
  SNAPSHOT_COMPONENT,
} from './backup';
import { DEFAULT_STORAGE_CA_KEY, storageTlsOf } from './storageTls';
import { isObject, jsonAnnotation, unknownKeys } from '../fields';

export type SnapshotStorage = 'postgresql' | 'mysql' | 'tidb' | 'elasticsearch';

/** Where snapshots go: a PVC for SQL dumps, a registered snapshot repository for Elasticsearch. */
export interface SnapshotTarget {
  pvc?: { claimName: string };
  /** the name of a snapshot repository registered in Elasticsearch (PUT _snapshot/<name>) */
  repository?: string;
}

/** `storage.external.snapshot`: snapshots of external storage with its own tools. */
export interface StorageSnapshot {
  /** when: a five-field cron expression (e.g. "0 3 * * *") or @hourly, @daily, @weekly, @monthly, @yearly; none: on demand only */
  schedule?: string;
  target: SnapshotTarget;
  /** dump files kept on the PVC (newest first; default 10) */
  keep?: number;
  /** the image with the tool; default per storage (SNAPSHOT_IMAGES) */
  image?: string;
}

/** The StorageSnapshot (JSON) recorded on the OAPServer: SWCK's OAPServer has no such field. */
export const SNAPSHOT_ANNOTATION = 'skywalking-backstage.io/storage-snapshot';
/** The storage type the portal was asked for, on the OAPServer (TiDB is configured as mysql). */
export const STORAGE_TYPE_ANNOTATION = 'skywalking-backstage.io/storage-type';
export const SNAPSHOT_RESTORE_COMPONENT = 'storage-restore';
/** On restore Jobs: the backend restored (they are not backups, so not backup-of). */
export const RESTORE_OF_LABEL = 'skywalking-backstage.io/restore-of';
export const SNAPSHOT_CONTAINER = 'snapshot';
export const DEFAULT_SNAPSHOT_KEEP = 10;

/** Images with the client tools; pg_dump must be at least the server's major version, so 17 reads 9.2 to 17. */
export const SNAPSHOT_IMAGES: Record<SnapshotStorage, string> = {
  postgresql: 'postgres:17-alpine',
  mysql: 'mysql:8.4',
  tidb: 'mysql:8.4',
  elasticsearch: 'curlimages/curl:8.11.1',
};

const DEFAULT_PORTS: Record<SnapshotStorage, number> = { postgresql: 5432, mysql: 3306, tidb: 4000, elasticsearch: 9200 };
const DESCRIPTOR = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/;
const CRON_FIELD = /^(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?)*$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Elasticsearch repository names: lowercase, none of its forbidden characters */
const ES_REPOSITORY = /^[a-z0-9][a-z0-9_.-]{0,254}$/;
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]{0,254}$/;
/** a snapshot's name is its Job's: a DNS-1123 label */
const SNAPSHOT_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;



/** Whether `s` names a snapshot (its Job's name). */
export const isSnapshotName = (s: unknown): s is string => typeof s === 'string' && SNAPSHOT_NAME.test(s);

/** Problems of a CronJob schedule, or undefined when Kubernetes takes it. */
export function cronScheduleProblem(s: unknown): string | undefined {
  const example = 'a five-field cron expression such as "0 3 * * *" (minute hour day-of-month month day-of-week, UTC) or @hourly, @daily, @weekly, @monthly, @yearly';
  if (typeof s !== 'string' || !s.trim()) return `is required as ${example}`;
  if (/^\s*(CRON_)?TZ=/.test(s)) return 'time zones are not allowed in the schedule (Kubernetes refuses TZ=); snapshots run on the cluster\'s UTC clock';
  if (DESCRIPTOR.test(s.trim())) return undefined;
  const fields = s.trim().split(/\s+/);
  if (fields.length !== 5 || !fields.every(f => CRON_FIELD.test(f))) return `${JSON.stringify(s)} is not ${example}`;
  return undefined;
}

/** Problems of a `storage.external.snapshot` for `storage`, each with its path. */
export function validateSnapshot(errors: FieldError[], path: string, s: unknown, storage: string) {
  const sql = storage !== 'elasticsearch';
  const example = sql ? '{ "schedule": "0 3 * * *", "target": { "pvc": { "claimName": "skywalking-backups" } } }' : '{ "schedule": "@daily", "target": { "repository": "skywalking" } }';
  if (!isObject(s)) {
    errors.push({ path, message: `must be an object such as ${example}` });
    return;
  }
  unknownKeys(errors, path, s, ['schedule', 'target', 'keep', 'image']);
  if (s.schedule !== undefined) {
    const problem = cronScheduleProblem(s.schedule);
    if (problem) errors.push({ path: `${path}.schedule`, message: problem });
  }
  if (s.keep !== undefined && (!Number.isInteger(s.keep) || s.keep < 1 || s.keep > 1000)) errors.push({ path: `${path}.keep`, message: 'must be a whole number from 1 to 1000' });
  if (s.image !== undefined && (typeof s.image !== 'string' || !IMAGE.test(s.image))) errors.push({ path: `${path}.image`, message: `${JSON.stringify(s.image)} is not an image reference` });
  const t = s.target;
  if (!isObject(t)) {
    errors.push({ path: `${path}.target`, message: `is required: ${sql ? '{ "pvc": { "claimName": "…" } } (the dump files go there)' : '{ "repository": "…" } (a snapshot repository registered in Elasticsearch)'}` });
    return;
  }
  unknownKeys(errors, `${path}.target`, t, ['pvc', 'repository']);
  if (sql) {
    if (t.repository !== undefined) errors.push({ path: `${path}.target.repository`, message: `is Elasticsearch's; ${storage} dumps go to a PVC (target.pvc)` });
    if (!isObject(t.pvc)) {
      errors.push({ path: `${path}.target.pvc`, message: 'is required: { "claimName": "…" }, a PersistentVolumeClaim in the backend\'s namespace' });
    } else {
      unknownKeys(errors, `${path}.target.pvc`, t.pvc, ['claimName']);
      const c = t.pvc.claimName;
      if (typeof c !== 'string' || !c || c.length > 253 || !DNS1123_SUBDOMAIN.test(c)) {
        errors.push({ path: `${path}.target.pvc.claimName`, message: `${JSON.stringify(c ?? null)} is not a PersistentVolumeClaim name (DNS-1123 subdomain)` });
      }
    }
  } else {
    if (t.pvc !== undefined) errors.push({ path: `${path}.target.pvc`, message: 'Elasticsearch writes snapshots to its own snapshot repository; give target.repository' });
    if (typeof t.repository !== 'string' || !ES_REPOSITORY.test(t.repository)) {
      errors.push({ path: `${path}.target.repository`, message: `${JSON.stringify(t.repository ?? null)} is not a snapshot repository name (lowercase letters, digits, "_", "-", ".")` });
    }
    if (s.keep !== undefined) errors.push({ path: `${path}.keep`, message: 'is for dump files; Elasticsearch keeps snapshots by its repository\'s own retention (snapshot lifecycle management)' });
  }
}


/** The snapshot spec recorded on an OAPServer. */
export const snapshotOf = (cr: { metadata?: { annotations?: Record<string, string> } }) => jsonAnnotation<StorageSnapshot>(cr, SNAPSHOT_ANNOTATION);

/** How the OAPServer reaches its external storage, from the config the portal rendered. */
export interface StorageConnection {
  storage: SnapshotStorage;
  host: string;
  port: number;
  /** SQL: the database; Elasticsearch: the node list as given */
  database: string;
  /** Elasticsearch: http or https */
  protocol?: string;
  /** env entries with the credentials, as OAP has them (value or secretKeyRef) */
  credentials: { name: string; value?: string; valueFrom?: any }[];
}

/**
 * The external storage of an OAPServer (undefined for BanyanDB and H2):
 * SW_STORAGE with SW_JDBC_URL (postgresql, mysql — TiDB speaks MySQL) or
 * SW_STORAGE_ES_CLUSTER_NODES, and the credential env entries.
 */
export function storageConnectionOf(oap: CustomObject): StorageConnection | undefined {
  const config: any[] = oap.spec?.config ?? [];
  const get = (n: string) => config.find(c => c?.name === n);
  const storage = get('SW_STORAGE')?.value;
  if (storage === 'elasticsearch') {
    const nodes = String(get('SW_STORAGE_ES_CLUSTER_NODES')?.value ?? '');
    const first = nodes.split(',')[0] ?? '';
    const [host, port] = first.split(':');
    if (!host) return undefined;
    return {
      storage,
      host,
      port: port ? Number(port) : DEFAULT_PORTS.elasticsearch,
      database: nodes,
      protocol: storageTlsOf(oap) ? 'https' : get('SW_STORAGE_ES_HTTP_PROTOCOL')?.value || 'http',
      credentials: ['SW_ES_USER', 'SW_ES_PASSWORD'].map(get).filter(Boolean),
    };
  }
  if (storage !== 'postgresql' && storage !== 'mysql') return undefined;
  const m = /^jdbc:(postgresql|mysql):\/\/([^/:?]+)(?::(\d+))?\/([^?;]+)/.exec(String(get('SW_JDBC_URL')?.value ?? ''));
  if (!m) return undefined;
  // the portal renders TiDB as mysql; the recorded storage type tells them apart
  const recorded = oap.metadata.annotations?.[STORAGE_TYPE_ANNOTATION];
  const kind: SnapshotStorage = storage === 'mysql' && recorded === 'tidb' ? 'tidb' : storage;
  return {
    storage: kind,
    host: m[2],
    port: m[3] ? Number(m[3]) : DEFAULT_PORTS[kind],
    database: decodeURIComponent(m[4]),
    credentials: ['SW_DATA_SOURCE_USER', 'SW_DATA_SOURCE_PASSWORD'].map(get).filter(Boolean),
  };
}

const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/;
const SQL_DATABASE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Why a storage connection may not reach a snapshot Job, or undefined. The
 * values go through env ("$DB_NAME"), never into the script text; this
 * keeps them from being read as something else by the tools: pg_dump takes a
 * --dbname holding "=" as a conninfo string (host=, sslmode=...).
 */
export function connectionProblem(c: StorageConnection): string | undefined {
  if (!HOST.test(c.host)) return `storage host ${JSON.stringify(c.host)} is not a host name`;
  if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535) return `storage port ${c.port} is not a port`;
  if (c.storage !== 'elasticsearch' && !SQL_DATABASE.test(c.database)) return `database ${JSON.stringify(c.database)} is not a database name (letters, digits, "_")`;
  return undefined;
}

/*
 * The scripts read everything from env (set below), so the same script runs
 * in the Job and, in the tests, against a real PostgreSQL on this machine.
 * SNAPSHOT_NAME is the Job's name, so the history (Jobs) names the files.
 */
/** A dump to `<dir>/<backend>/<job>.<ext>` (via a .partial file, so a failed dump is never a snapshot), keeping the newest SNAPSHOT_KEEP. */
const dumpScript = (tool: string, ext: string, command: string) => `set -eu
dir="$SNAPSHOT_DIR/$SNAPSHOT_BACKEND"
out="$dir/$SNAPSHOT_NAME.${ext}"
mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ] || { echo "cannot write to $dir: the snapshot volume must be writable by uid $(id -u) gid $(id -g), the user of the tool image" >&2; exit 1; }
echo "${tool} of database $DB_NAME at $DB_HOST:$DB_PORT to $out"
${command}
mv "$out.partial" "$out"
ls -1t "$dir"/*.${ext} | tail -n +$((SNAPSHOT_KEEP + 1)) | while read -r old; do echo "removing old snapshot $old"; rm -f "$old"; done
echo "snapshot $SNAPSHOT_NAME written: $(wc -c < "$out") bytes"
`;

/** A restore of `<dir>/<backend>/<name>.<ext>`; exit 2 naming the snapshot when it is not there. */
const restoreScript = (tool: string, ext: string, command: string) => `set -eu
in="$SNAPSHOT_DIR/$SNAPSHOT_BACKEND/$SNAPSHOT_NAME.${ext}"
[ -f "$in" ] || { echo "no snapshot $SNAPSHOT_NAME: $in does not exist" >&2; exit 2; }
echo "${tool} of $in into database $DB_NAME at $DB_HOST:$DB_PORT"
${command}
echo "snapshot $SNAPSHOT_NAME restored"
`;

const PG_CONNECT = 'PGPASSWORD="${SW_DATA_SOURCE_PASSWORD:-}" %s --host="$DB_HOST" --port="$DB_PORT" --username="$SW_DATA_SOURCE_USER" --dbname="$DB_NAME"';
const MYSQL_CONNECT =
  'MYSQL_PWD="${SW_DATA_SOURCE_PASSWORD:-}" %s --host="$DB_HOST" --port="$DB_PORT" --user="$SW_DATA_SOURCE_USER" --protocol=TCP ${DB_SSL_CA:+--ssl-mode=VERIFY_IDENTITY "--ssl-ca=$DB_SSL_CA"}';
const connect = (template: string, tool: string) => template.replace('%s', tool);

const PG_DUMP = dumpScript('pg_dump', 'dump', `${connect(PG_CONNECT, 'pg_dump')} --format=custom --no-owner --no-privileges --file="$out.partial"`);
const PG_RESTORE = restoreScript(
  'pg_restore',
  'dump',
  `${connect(PG_CONNECT, 'pg_restore')} --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error "$in"`,
);
const MYSQL_DUMP = dumpScript(
  'mysqldump',
  'sql',
  `${connect(MYSQL_CONNECT, 'mysqldump')} --single-transaction --skip-lock-tables --no-tablespaces --column-statistics=0 --set-gtid-purged=OFF --result-file="$out.partial" "$DB_NAME"`,
);
const MYSQL_RESTORE = restoreScript('mysql', 'sql', `${connect(MYSQL_CONNECT, 'mysql')} "$DB_NAME" < "$in"`);

const ES_SNAPSHOT = `set -eu
url="$ES_PROTOCOL://$DB_HOST:$DB_PORT/_snapshot/$ES_REPOSITORY/$SNAPSHOT_NAME?wait_for_completion=true"
echo "Elasticsearch snapshot $SNAPSHOT_NAME into repository $ES_REPOSITORY at $DB_HOST:$DB_PORT"
# the credentials reach curl as a config on stdin (printf is a shell builtin), never in an argv anyone listing processes sees
esc() { printf '%s' "$1" | sed 's/[\\\\"]/\\\\&/g'; }
if [ -n "\${SW_ES_USER:-}" ]; then auth="user = \\"$(esc "$SW_ES_USER"):$(esc "\${SW_ES_PASSWORD:-}")\\""; else auth=''; fi
if [ -n "\${DB_SSL_CA:-}" ]; then set -- --cacert "$DB_SSL_CA"; else set --; fi
response=$(mktemp)
code=$(printf '%s\\n' "$auth" | curl --config - --silent --show-error --output "$response" --write-out '%{http_code}' -X PUT -H 'Content-Type: application/json' --data '{"indices":"*","include_global_state":false}' "$@" "$url")
cat "$response"; echo
[ "$code" = 200 ] || { echo "Elasticsearch answered HTTP $code" >&2; exit 1; }
grep -q '"state" *: *"SUCCESS"' "$response" || { echo "the snapshot did not end in state SUCCESS" >&2; exit 1; }
`;

const SCRIPTS: Record<SnapshotStorage, { dump: string; restore?: string }> = {
  postgresql: { dump: PG_DUMP, restore: PG_RESTORE },
  mysql: { dump: MYSQL_DUMP, restore: MYSQL_RESTORE },
  tidb: { dump: MYSQL_DUMP, restore: MYSQL_RESTORE },
  elasticsearch: { dump: ES_SNAPSHOT },
};

/** Where the snapshot of `name` goes, as a URL for the history. */
export function snapshotDestinationOf(s: StorageSnapshot, c: StorageConnection, name: string): string {
  if (c.storage === 'elasticsearch') return `${c.protocol}://${c.host}:${c.port}/_snapshot/${s.target.repository}`;
  return `file://${BACKUP_MOUNT}/${name}`;
}

function ownerRef(cr: CustomObject) {
  return [{ apiVersion: cr.apiVersion, kind: cr.kind, name: cr.metadata.name, uid: cr.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }];
}

/**
 * The pod template of a snapshot (or, with `restore`, of restoring one
 * snapshot): the tool's image, the script, env naming the storage and the
 * credentials as OAP's secretKeyRefs, the PVC for SQL dumps.
 */
export function snapshotPodTemplate(
  oap: CustomObject,
  s: StorageSnapshot,
  opts: { restore?: string; labels: Record<string, string> } = { labels: {} },
): any {
  const c = storageConnectionOf(oap);
  if (!c) throw new Error(`${oap.metadata.name} has no external storage the portal can snapshot (SW_STORAGE with SW_JDBC_URL or SW_STORAGE_ES_CLUSTER_NODES)`);
  // read back from the OAPServer, which anyone with write access to it may have changed: checked again here
  const bad = connectionProblem(c);
  if (bad) throw new Error(`${oap.metadata.name}: ${bad}; the snapshot Job is not rendered`);
  if (c.storage === 'elasticsearch' && !ES_REPOSITORY.test(s.target?.repository ?? '')) {
    throw new Error(`${oap.metadata.name}: snapshot repository ${JSON.stringify(s.target?.repository ?? null)} is not a repository name; the snapshot Job is not rendered`);
  }
  if (opts.restore !== undefined && !SNAPSHOT_NAME.test(opts.restore)) throw new Error(`${JSON.stringify(opts.restore)} is not a snapshot name; the restore Job is not rendered`);
  const script = opts.restore ? SCRIPTS[c.storage].restore : SCRIPTS[c.storage].dump;
  if (!script) throw new Error(`restoring ${c.storage} snapshots is ${c.storage}'s own API (_restore), not driven by the portal`);
  const sql = c.storage !== 'elasticsearch';
  // storage TLS (storageTls.ts): the tools verify the server against the same CA as OAP, PEM from its Secret
  const tls = storageTlsOf(oap);
  const caDir = '/etc/storage-ca';
  const caFile = `${caDir}/${tls?.caKey ?? DEFAULT_STORAGE_CA_KEY}`;
  let tlsEnv: { name: string; value: string }[] = [];
  if (tls && c.storage === 'postgresql') {
    // libpq reads these: pg_dump and pg_restore verify like OAP's sslmode=verify-full
    tlsEnv = [
      { name: 'PGSSLMODE', value: 'verify-full' },
      { name: 'PGSSLROOTCERT', value: caFile },
    ];
  } else if (tls) {
    tlsEnv = [{ name: 'DB_SSL_CA', value: caFile }];
  }
  const volumes: any[] = [
    ...(sql ? [{ name: 'snapshots', persistentVolumeClaim: { claimName: s.target.pvc?.claimName ?? '' } }] : []),
    ...(tls ? [{ name: 'storage-ca', secret: { secretName: tls.caSecretName } }] : []),
  ];
  const mounts: any[] = [
    ...(sql ? [{ name: 'snapshots', mountPath: BACKUP_MOUNT }] : []),
    ...(tls ? [{ name: 'storage-ca', mountPath: caDir, readOnly: true }] : []),
  ];
  const env: any[] = [
    // the snapshot is named after its Job: the history lists Jobs
    opts.restore
      ? { name: 'SNAPSHOT_NAME', value: opts.restore }
      : { name: 'SNAPSHOT_NAME', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } },
    { name: 'SNAPSHOT_BACKEND', value: oap.metadata.name },
    { name: 'DB_HOST', value: c.host },
    { name: 'DB_PORT', value: String(c.port) },
    ...(sql
      ? [
          { name: 'DB_NAME', value: c.database },
          { name: 'SNAPSHOT_DIR', value: BACKUP_MOUNT },
          { name: 'SNAPSHOT_KEEP', value: String(s.keep ?? DEFAULT_SNAPSHOT_KEEP) },
        ]
      : [
          { name: 'ES_PROTOCOL', value: c.protocol ?? 'http' },
          { name: 'ES_REPOSITORY', value: s.target.repository ?? '' },
        ]),
    ...tlsEnv,
    ...c.credentials,
  ];
  return {
    metadata: { labels: opts.labels },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: SNAPSHOT_CONTAINER,
          image: s.image || SNAPSHOT_IMAGES[c.storage],
          command: ['/bin/sh', '-c', script],
          env,
          ...(mounts.length ? { volumeMounts: mounts } : {}),
        },
      ],
      ...(volumes.length ? { volumes } : {}),
    },
  };
}

function snapshotJobSpec(oap: CustomObject, s: StorageSnapshot, labels: Record<string, string>) {
  return {
    backoffLimit: 1,
    activeDeadlineSeconds: 6 * 3600,
    template: snapshotPodTemplate(oap, s, { labels }),
  };
}

const snapshotLabels = (name: string) => ({
  [BACKUP_OF_LABEL]: name,
  'app.kubernetes.io/component': SNAPSHOT_COMPONENT,
  'app.kubernetes.io/part-of': 'skywalking-backstage-snapshots',
});

/** The CronJob of a scheduled snapshot (name `<backend>-snapshot`), owned by the OAPServer; undefined without a schedule. */
export function renderSnapshotCronJob(oap: CustomObject, managedLabels: Record<string, string>): KubeObject | undefined {
  const s = snapshotOf(oap);
  const c = storageConnectionOf(oap);
  if (!s?.schedule || !c) return undefined;
  const name = oap.metadata.name;
  const labels = snapshotLabels(name);
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: `${name}-snapshot`, namespace: oap.metadata.namespace, labels: { ...labels, ...managedLabels }, ownerReferences: ownerRef(oap) },
    spec: {
      schedule: s.schedule,
      timeZone: 'Etc/UTC',
      // a dump still running is not doubled
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 20,
      failedJobsHistoryLimit: 5,
      // the Jobs carry backup-of (history) but not the managed-by label: they are not the engine's to prune
      jobTemplate: {
        metadata: { labels, annotations: { [BACKUP_TARGET_ANNOTATION]: snapshotDestinationOf(s, c, name) } },
        spec: snapshotJobSpec(oap, s, labels),
      },
    },
  };
}

/** A Job of the OAPServer (owned by it, so it goes with the backend), with who asked for it. */
function ownedJob(oap: CustomObject, opts: { jobName: string; requestedBy?: string }, labels: Record<string, string>, annotations: Record<string, string>, spec: any): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: opts.jobName,
      namespace: oap.metadata.namespace,
      labels,
      annotations: { ...annotations, ...(opts.requestedBy ? { [BACKUP_REQUESTED_BY_ANNOTATION]: opts.requestedBy } : {}) },
      ownerReferences: ownerRef(oap),
    },
    spec,
  };
}

/** A Job taking one snapshot now (the CronJob's template), owned by the OAPServer. */
export function renderSnapshotJob(oap: CustomObject, s: StorageSnapshot, opts: { jobName: string; requestedBy?: string }): KubeObject {
  const c = storageConnectionOf(oap);
  if (!c) throw new Error(`${oap.metadata.name} has no external storage the portal can snapshot`);
  const labels = snapshotLabels(oap.metadata.name);
  return ownedJob(oap, opts, labels, { [BACKUP_TARGET_ANNOTATION]: snapshotDestinationOf(s, c, oap.metadata.name) }, snapshotJobSpec(oap, s, labels));
}

/**
 * A Job restoring snapshot `snapshot` of backend `from` (default: this one)
 * into this backend's database. Restore Jobs are labelled restore-of, so they
 * are not listed as backups.
 */
export function renderSnapshotRestoreJob(
  oap: CustomObject,
  s: StorageSnapshot,
  opts: { jobName: string; snapshot: string; from?: string; requestedBy?: string },
): KubeObject {
  const name = oap.metadata.name;
  const labels = { [RESTORE_OF_LABEL]: name, 'app.kubernetes.io/component': SNAPSHOT_RESTORE_COMPONENT, 'app.kubernetes.io/part-of': 'skywalking-backstage-snapshots' };
  const template = snapshotPodTemplate(oap, s, { restore: opts.snapshot, labels });
  if (opts.from && opts.from !== name) {
    for (const e of template.spec.containers[0].env) if (e.name === 'SNAPSHOT_BACKEND') e.value = opts.from;
  }
  // a failed restore is not retried blindly: the database may be half restored (single transaction for PostgreSQL)
  return ownedJob(oap, opts, labels, { [RESTORE_SNAPSHOT_ANNOTATION]: `${opts.from ?? name}/${opts.snapshot}` }, { backoffLimit: 0, activeDeadlineSeconds: 6 * 3600, template });
}
