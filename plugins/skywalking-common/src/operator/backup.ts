/**
 * Backup and restore of a BanyanDB backend with BanyanDB's own tools, as
 * pure functions (the operator applies their output, unit tests pin it).
 *
 * BanyanDB ships two binaries in its image, `/backup` and `/restore`
 * (banyand/Dockerfile):
 *
 * - `backup` asks the data node (gRPC, default 127.0.0.1:17912) for fresh
 *   snapshots, then uploads the snapshot directories it finds under the
 *   catalog root paths to `--dest`, below a time directory (`--time-style`
 *   daily 2006-01-02 or hourly 2006-01-02-15); with `--schedule` it keeps
 *   running and backs up on that schedule.
 *   https://skywalking.apache.org/docs/skywalking-banyandb/latest/operation/backup/
 * - `restore timedir create <time dir>` writes the `time-dir` marker files
 *   into the catalog directories, then `restore run --source …` replaces the
 *   local catalog data with that backup (orphaned local files removed) and
 *   deletes the markers. The data node must be stopped meanwhile.
 *   https://skywalking.apache.org/docs/skywalking-banyandb/latest/operation/restore/
 *
 * Because the backup tool reads the data node's files, it has to run where
 * they are. The restore page's "Kubernetes Deployment" section recommends a
 * sidecar (the backup binary beside the data node, sharing its volumes) and
 * an init container for the restore, which runs before the data node starts;
 * BanyanDB's Helm chart does the same (`backupSidecar`, `restoreInitContainer`).
 * So a schedule becomes a `backup` sidecar with `--schedule` in the BanyanDB
 * pod, not a CronJob: a CronJob's pod would need the pod's ReadWriteOnce
 * volume and so the same node, and would run even when the data node is down.
 * On-demand backups are Jobs pinned to the data node's node that mount its
 * volume (renderBackupJob).
 *
 * Facts from the tools' source (apache/skywalking-banyandb, banyand/backup):
 * `--schedule` is parsed with robfig/cron's Descriptor parser only: @yearly,
 * @monthly, @weekly, @daily, @hourly or `@every <duration>` (a five-field
 * cron expression is refused); the backup binary has no `run` subcommand
 * (the restore page writes `backup run …`, the chart calls `/backup --dest=…`);
 * 0.8.0 writes to file:// only; 0.9.0 adds s3://, azure://, gs:// and the
 * trace catalog; 0.10.0 the schema catalog. Object store credentials: the AWS
 * SDK's default chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
 * AWS_ENDPOINT_URL env), AZURE_STORAGE_CONNECTION_STRING for Azure, a service
 * account JSON file (mode 0600) for GCS.
 */
import type { FieldError } from '../api';
import type { CustomObject, KubeObject } from './render';
import { tlsNames, tlsOf, TLS_MOUNT_PATH, TLS_VOLUME_NAME } from './tls';
import { isObject, jsonAnnotation, unknownKeys } from '../fields';

/** The backup spec of a BanyanDB backend: where to, how often, which time directories. */
export interface BackupTarget {
  /** a PersistentVolumeClaim in the backend's namespace; backups go to `<claim>/<backend name>/<time dir>` */
  pvc?: { claimName: string };
  /** an object store: s3://bucket/prefix, azure://container/prefix or gs://bucket/prefix (BanyanDB 0.9.0 or later) */
  url?: string;
  /** Secret with the object store's credentials: AWS_* or AZURE_STORAGE_CONNECTION_STRING keys (as env), or service-account.json for gs:// */
  secretName?: string;
}

export interface BanyanDBBackup {
  /** when the sidecar backs up: @hourly, @daily, @weekly, @monthly, @yearly or `@every <duration>` (e.g. @every 6h); none: on demand only */
  schedule?: string;
  target: BackupTarget;
  /** time directory per day (default) or per hour; a later backup in the same directory replaces it */
  timeStyle?: 'daily' | 'hourly';
}

/** What a BanyanDB restores before it starts: one backup (time directory) of a target. */
export interface BanyanDBRestore {
  /** the backup's time directory, e.g. 2026-11-30 (daily) or 2026-11-30-14 (hourly) */
  backup: string;
  target: BackupTarget;
  /** the backend the backup was taken of (its name picks the directory on a PVC target); default this one */
  from?: { cluster: string; namespace: string; name: string };
  /** identifies this restore: it runs once per id (a marker file in the data directory) */
  id?: string;
}

export type BackupPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** One on-demand backup (a Job), for the history. */
export interface BackupRun {
  name: string;
  phase: BackupPhase;
  /** the time directory the run writes (UTC, as the tool computes it) */
  backup?: string;
  /** the destination URL */
  target: string;
  created?: string;
  started?: string;
  finished?: string;
  requestedBy?: string;
  message?: string;
}

/** The BanyanDB's BanyanDBBackup (JSON): SWCK's BanyanDB CRD has no such field. */
export const BACKUP_ANNOTATION = 'skywalking-backstage.io/backup';
/** The BanyanDB's BanyanDBRestore (JSON): the pod gets the restore init container. */
export const RESTORE_ANNOTATION = 'skywalking-backstage.io/restore-from';
/** On the backup Jobs and their pods: the backend (BanyanDB) they back up. */
export const BACKUP_OF_LABEL = 'skywalking-backstage.io/backup-of';
export const BACKUP_TARGET_ANNOTATION = 'skywalking-backstage.io/backup-target';
export const BACKUP_DIR_ANNOTATION = 'skywalking-backstage.io/backup-dir';
export const BACKUP_REQUESTED_BY_ANNOTATION = 'skywalking-backstage.io/requested-by';
/** On snapshot Jobs of external storage (snapshot.ts): their component label; a snapshot is named after its Job. */
export const SNAPSHOT_COMPONENT = 'storage-snapshot';
/** On snapshot restore Jobs (snapshot.ts): `<backend>/<snapshot>` restored. */
export const RESTORE_SNAPSHOT_ANNOTATION = 'skywalking-backstage.io/restore-snapshot';
/** Where a PVC target is mounted in the backup and restore containers. */
export const BACKUP_MOUNT = '/backups';
/** Where a gs:// credentials Secret is mounted. */
export const BACKUP_CREDENTIALS_MOUNT = '/etc/banyandb-backup';
/** The key of a gs:// credentials Secret. */
export const GCS_CREDENTIALS_KEY = 'service-account.json';
/** The BanyanDB version a backend gets when its spec names none (as BackendService). */
export const BANYANDB_DEFAULT_VERSION = '0.8.0';
export const RESTORE_CONTAINER = 'restore';
export const BACKUP_CONTAINER = 'backup';

const SCHEDULE = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$|^@every ((\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/;
const TIME_DIR = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(-([01]\d|2[0-3]))?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** bucket and prefix in a strict charset: the URL reaches the backup tools' arguments */
const OBJECT_STORE = /^(s3|azure|gs|gcs):\/\/([A-Za-z0-9._-]{1,255})(\/[A-Za-z0-9._\/=-]{0,760})?$/;
const ID = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/;


/** Whether BanyanDB `version` is at least `min` (both x.y.z; an unreadable version counts as new). */
export function banyandbAtLeast(version: string | undefined, min: string): boolean {
  const parse = (v: string) => v.replace(/^v/, '').split(/[.-]/).slice(0, 3).map(n => parseInt(n, 10));
  const a = parse(version ?? BANYANDB_DEFAULT_VERSION);
  if (a.some(n => Number.isNaN(n))) return true;
  const b = parse(min);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}


function target(errors: FieldError[], path: string, t: unknown, version: string | undefined) {
  if (!isObject(t)) {
    errors.push({ path, message: 'is required: { "pvc": { "claimName": "…" } } or { "url": "s3://bucket/prefix", "secretName": "…" }' });
    return;
  }
  unknownKeys(errors, path, t, ['pvc', 'url', 'secretName']);
  const given = ['pvc', 'url'].filter(k => t[k] !== undefined);
  if (given.length !== 1) {
    errors.push({ path, message: `give exactly one of pvc or url (got ${given.length ? given.join(' and ') : 'neither'})` });
  }
  if (t.pvc !== undefined) {
    if (!isObject(t.pvc)) errors.push({ path: `${path}.pvc`, message: 'must be an object such as { "claimName": "skywalking-backups" }' });
    else {
      unknownKeys(errors, `${path}.pvc`, t.pvc, ['claimName']);
      const c = t.pvc.claimName;
      if (typeof c !== 'string' || !c || c.length > 253 || !DNS1123_SUBDOMAIN.test(c)) {
        errors.push({ path: `${path}.pvc.claimName`, message: `${JSON.stringify(c ?? null)} is not a PersistentVolumeClaim name (DNS-1123 subdomain)` });
      }
    }
    if (t.secretName !== undefined) errors.push({ path: `${path}.secretName`, message: 'is for object store URLs; a PVC target needs no credentials' });
  }
  if (t.url !== undefined) {
    const u = t.url;
    if (typeof u !== 'string' || u.length > 1024) {
      errors.push({ path: `${path}.url`, message: 'must be a URL such as s3://bucket/prefix' });
    } else if (/^file:/.test(u)) {
      errors.push({ path: `${path}.url`, message: 'file:// would write into the container and be lost with it; give target.pvc to keep backups on a PersistentVolumeClaim' });
    } else if (!OBJECT_STORE.test(u)) {
      errors.push({ path: `${path}.url`, message: `"${u}" is not an object store URL: s3://bucket/prefix, azure://container/prefix or gs://bucket/prefix` });
    } else if (!banyandbAtLeast(version, '0.9.0')) {
      errors.push({ path: `${path}.url`, message: `object stores need BanyanDB 0.9.0 or later (the backup tool of ${version ?? BANYANDB_DEFAULT_VERSION} writes to file:// only); set storage.banyandb.version or use target.pvc` });
    }
    if (t.secretName !== undefined && (typeof t.secretName !== 'string' || t.secretName.length > 253 || !DNS1123_SUBDOMAIN.test(t.secretName))) {
      errors.push({ path: `${path}.secretName`, message: `${JSON.stringify(t.secretName)} is not a Secret name (DNS-1123 subdomain)` });
    }
  }
}

/** Problems of a `storage.banyandb.backup`, each with its path. */
export function validateBackup(errors: FieldError[], path: string, b: unknown, version: string | undefined) {
  if (!isObject(b)) {
    errors.push({ path, message: 'must be an object such as { "schedule": "@daily", "target": { "pvc": { "claimName": "skywalking-backups" } } }' });
    return;
  }
  unknownKeys(errors, path, b, ['schedule', 'target', 'timeStyle']);
  if (b.schedule !== undefined && (typeof b.schedule !== 'string' || !SCHEDULE.test(b.schedule))) {
    const cron = typeof b.schedule === 'string' && b.schedule.trim().split(/\s+/).length === 5;
    errors.push({
      path: `${path}.schedule`,
      message: `${JSON.stringify(b.schedule)} is not a schedule BanyanDB's backup tool takes: @hourly, @daily, @weekly, @monthly, @yearly or "@every <duration>" such as "@every 6h"${cron ? ' (its --schedule reads descriptors only, not five-field cron expressions)' : ''}`,
    });
  }
  if (b.timeStyle !== undefined && b.timeStyle !== 'daily' && b.timeStyle !== 'hourly') errors.push({ path: `${path}.timeStyle`, message: 'must be daily or hourly' });
  target(errors, `${path}.target`, b.target, version);
}

/** Problems of a `storage.banyandb.restore`, each with its path. */
export function validateRestore(errors: FieldError[], path: string, r: unknown, version: string | undefined) {
  if (!isObject(r)) {
    errors.push({ path, message: 'must be an object such as { "backup": "2026-11-30", "target": { "pvc": { "claimName": "skywalking-backups" } } }' });
    return;
  }
  unknownKeys(errors, path, r, ['backup', 'target', 'from', 'id']);
  if (typeof r.backup !== 'string' || !TIME_DIR.test(r.backup)) {
    errors.push({ path: `${path}.backup`, message: `${JSON.stringify(r.backup ?? null)} is not a backup time directory such as 2026-11-30 (daily) or 2026-11-30-14 (hourly)` });
  }
  if (r.id !== undefined && (typeof r.id !== 'string' || !ID.test(r.id))) errors.push({ path: `${path}.id`, message: 'must be lowercase letters, digits and "-", at most 40 characters' });
  if (r.from !== undefined) {
    if (!isObject(r.from)) errors.push({ path: `${path}.from`, message: 'must be { cluster, namespace, name }' });
    else {
      unknownKeys(errors, `${path}.from`, r.from, ['cluster', 'namespace', 'name']);
      for (const k of ['cluster', 'namespace', 'name']) {
        if (typeof r.from[k] !== 'string' || !r.from[k]) errors.push({ path: `${path}.from.${k}`, message: 'is required' });
      }
    }
  }
  target(errors, `${path}.target`, r.target, version);
}

/** Whether `s` is a time directory name of the backup tool (daily or hourly). */
export const isBackupTimeDir = (s: unknown): s is string => typeof s === 'string' && TIME_DIR.test(s);

/** The destination URL of a target for backend `name`: a directory per backend on a PVC, the URL as given otherwise. */
export function destinationOf(t: BackupTarget, name: string): string {
  return t.pvc ? `file://${BACKUP_MOUNT}/${name}` : t.url ?? '';
}

/** The time directory the backup tool writes at `now` (UTC): 2006-01-02, or 2006-01-02-15 hourly. */
export function timeDirOf(now: Date, style: 'daily' | 'hourly' = 'daily'): string {
  const iso = now.toISOString();
  return style === 'hourly' ? `${iso.slice(0, 10)}-${iso.slice(11, 13)}` : iso.slice(0, 10);
}


/** The backup spec recorded on a BanyanDB custom object. */
export const backupOf = (cr: { metadata?: { annotations?: Record<string, string> } }) => jsonAnnotation<BanyanDBBackup>(cr, BACKUP_ANNOTATION);
/** The restore recorded on a BanyanDB custom object. */
export const restoreOf = (cr: { metadata?: { annotations?: Record<string, string> } }) => jsonAnnotation<BanyanDBRestore>(cr, RESTORE_ANNOTATION);

/** Where the BanyanDB's data lives in its pod: its first storage's volume, else an emptyDir the renderer adds. */
export function dataVolumeOf(cr: CustomObject): { name: string; path: string; claimTemplate: boolean } {
  const s = (cr.spec?.storages ?? [])[0];
  return s ? { name: s.name, path: s.path || '/tmp', claimTemplate: true } : { name: 'data', path: '/tmp', claimTemplate: false };
}

/** `--<catalog>-root<suffix>=<root>` for the catalogs the BanyanDB version has. */
function catalogFlags(version: string | undefined, root: string, suffix: '-path' | ''): string[] {
  const catalogs = ['stream', 'measure', 'property'];
  if (banyandbAtLeast(version, '0.9.0')) catalogs.push('trace');
  if (banyandbAtLeast(version, '0.10.0')) catalogs.push('schema');
  return catalogs.map(c => `--${c}-root${suffix}=${root}`);
}

interface TargetParts {
  url: string;
  flags: string[];
  volumes: any[];
  mounts: any[];
  envFrom: any[];
}

/** URL, credential flags, volumes, mounts and env of a target, named with `prefix` (backup-…, restore-…). */
function targetParts(t: BackupTarget, name: string, prefix: string): TargetParts {
  const parts: TargetParts = { url: destinationOf(t, name), flags: [], volumes: [], mounts: [], envFrom: [] };
  if (t.pvc) {
    parts.volumes.push({ name: `${prefix}-target`, persistentVolumeClaim: { claimName: t.pvc.claimName } });
    parts.mounts.push({ name: `${prefix}-target`, mountPath: BACKUP_MOUNT });
  } else if (t.secretName) {
    if (/^(gs|gcs):/.test(t.url ?? '')) {
      // the GCS client wants a file, and one only its owner can read
      parts.volumes.push({ name: `${prefix}-credentials`, secret: { secretName: t.secretName, defaultMode: 0o600 } });
      parts.mounts.push({ name: `${prefix}-credentials`, mountPath: BACKUP_CREDENTIALS_MOUNT, readOnly: true });
      parts.flags.push(`--gcp-service-account-file=${BACKUP_CREDENTIALS_MOUNT}/${GCS_CREDENTIALS_KEY}`);
    } else {
      // AWS_* for the AWS SDK's default chain, AZURE_STORAGE_CONNECTION_STRING for Azure
      parts.envFrom.push({ secretRef: { name: t.secretName } });
    }
  }
  return parts;
}

/**
 * The arguments of the backup binary for a BanyanDB (`grpcAddr`: its data
 * node). With TLS on the BanyanDB serves gRPC with its certificate: the
 * sidecar talks to it over the pod's loopback, which the certificate does not
 * name (`--insecure`: encrypted, not verified, inside the pod); a Job goes
 * through the gRPC Service the certificate names and trusts the backend's CA.
 */
export function backupArgs(cr: CustomObject, b: BanyanDBBackup, opts: { grpcAddr: string; schedule?: string; local?: boolean }): { command: string[]; parts: TargetParts } {
  const parts = targetParts(b.target, cr.metadata.name, 'backup');
  const root = dataVolumeOf(cr).path;
  let tls: string[] = [];
  if (tlsOf(cr)) tls = ['--enable-tls=true', opts.local ? '--insecure=true' : `--cert=${TLS_MOUNT_PATH}/ca.crt`];
  if (tls.length && !opts.local) {
    parts.volumes.push({ name: TLS_VOLUME_NAME, secret: { secretName: tlsNames(cr.metadata.name).banyandb } });
    parts.mounts.push({ name: TLS_VOLUME_NAME, mountPath: TLS_MOUNT_PATH, readOnly: true });
  }
  return {
    command: [
      '/backup',
      `--grpc-addr=${opts.grpcAddr}`,
      ...tls,
      ...catalogFlags(cr.spec?.version, root, '-path'),
      `--dest=${parts.url}`,
      `--time-style=${b.timeStyle ?? 'daily'}`,
      ...(opts.schedule ? [`--schedule=${opts.schedule}`] : []),
      ...parts.flags,
    ],
    parts,
  };
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A stable id for a restore without one: the same backup from the same place is the same restore. */
export function restoreIdOf(r: BanyanDBRestore, name: string): string {
  if (r.id) return r.id;
  let h = 0x811c9dc5;
  for (const ch of JSON.stringify([r.backup, destinationOf(r.target, r.from?.name ?? name)])) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `r${h.toString(16)}`;
}

/**
 * The restore init container: writes the time-dir markers of the backup,
 * restores it (the data node has not started yet: it is an init container)
 * and leaves a marker of its own, so a later restart of the pod does not
 * restore the same backup over newer data.
 */
export function restoreInitContainer(cr: CustomObject, r: BanyanDBRestore): { container: any; volumes: any[] } {
  const name = cr.metadata.name;
  const parts = targetParts(r.target, r.from?.name ?? name, 'restore');
  const data = dataVolumeOf(cr);
  const version = cr.spec?.version;
  // every value reaches the shell as an env var, referenced as "$VAR": the script is fixed text
  const env = [
    { name: 'RESTORE_BACKUP', value: String(r.backup) },
    { name: 'RESTORE_SOURCE', value: parts.url },
    { name: 'RESTORE_ROOT', value: data.path },
    { name: 'RESTORE_MARKER', value: `${data.path}/.skywalking-backstage-restored-${restoreIdOf(r, name)}` },
  ];
  return {
    container: {
      name: RESTORE_CONTAINER,
      image: cr.spec?.image || `apache/skywalking-banyandb:${version}`,
      command: ['/bin/sh', '-c', restoreScript(version, parts.flags)],
      env,
      volumeMounts: [{ name: data.name, mountPath: data.path }, ...parts.mounts],
      ...(parts.envFrom.length ? { envFrom: parts.envFrom } : {}),
    },
    volumes: parts.volumes,
  };
}

/** Flags the portal writes itself (catalog roots from "$RESTORE_ROOT", the fixed GCS credentials path). */
const FIXED_FLAG = /^--[a-z-]+=(\$RESTORE_ROOT|\/[A-Za-z0-9._/-]+)$/;

/** The restore init container's script for a BanyanDB version: fixed text reading RESTORE_* from env. */
export function restoreScript(version: string | undefined, extraFlags: string[] = []): string {
  const flags = (f: string[]) => f.map(x => (FIXED_FLAG.test(x) ? `"${x}"` : shellQuote(x))).join(' ');
  return [
    'set -e',
    'if [ -f "$RESTORE_MARKER" ]; then echo "backup $RESTORE_BACKUP was restored before (marker $RESTORE_MARKER); starting with the data as it is"; exit 0; fi',
    `/restore timedir create "$RESTORE_BACKUP" ${flags(catalogFlags(version, '$RESTORE_ROOT', ''))}`,
    `/restore run --source="$RESTORE_SOURCE" ${flags([...catalogFlags(version, '$RESTORE_ROOT', '-path'), ...extraFlags])}`,
    'touch "$RESTORE_MARKER"',
    'echo "restored backup $RESTORE_BACKUP from $RESTORE_SOURCE"',
  ].join('\n');
}

/**
 * The BanyanDB StatefulSet with what the recorded backup and restore ask
 * for: the `backup` sidecar (with a schedule) and the `restore` init
 * container, sharing the data volume (an emptyDir when the BanyanDB has no
 * storage, so the tools and the data node see the same files).
 */
export function withBackupAndRestore(cr: CustomObject, objects: KubeObject[]): KubeObject[] {
  const backup = backupOf(cr);
  const restore = restoreOf(cr);
  const sidecar = backup?.schedule && backup.target ? backup : undefined;
  if (!sidecar && !(restore?.backup && restore.target)) return objects;
  return objects.map(o => {
    if (o.kind !== 'StatefulSet' || o.metadata?.name !== `${cr.metadata.name}-banyandb`) return o;
    const sts = JSON.parse(JSON.stringify(o));
    const pod = sts.spec.template.spec;
    const data = dataVolumeOf(cr);
    const volumes: any[] = [...(pod.volumes ?? [])];
    if (!data.claimTemplate) {
      volumes.push({ name: data.name, emptyDir: {} });
      for (const c of pod.containers) c.volumeMounts = [...(c.volumeMounts ?? []), { name: data.name, mountPath: data.path }];
    }
    if (sidecar) {
      const { command, parts } = backupArgs(cr, sidecar, { grpcAddr: '127.0.0.1:17912', schedule: sidecar.schedule, local: true });
      pod.containers.push({
        name: BACKUP_CONTAINER,
        image: pod.containers[0].image,
        command,
        volumeMounts: [{ name: data.name, mountPath: data.path }, ...parts.mounts],
        ...(parts.envFrom.length ? { envFrom: parts.envFrom } : {}),
      });
      volumes.push(...parts.volumes);
    }
    if (restore?.backup && restore.target) {
      const init = restoreInitContainer(cr, restore);
      pod.initContainers = [...(pod.initContainers ?? []), init.container];
      volumes.push(...init.volumes);
    }
    pod.volumes = volumes;
    return sts;
  });
}

/**
 * A Job that backs a BanyanDB up once: the backup binary on the data node's
 * node (`nodeName`), with the data node's volume (`dataClaim`, the
 * StatefulSet's PVC of pod 0) and the data node's gRPC Service. Owned by the
 * BanyanDB custom object, so it goes with the backend.
 */
export function renderBackupJob(
  cr: CustomObject,
  b: BanyanDBBackup,
  opts: { jobName: string; nodeName: string; dataClaim: string; now: Date; requestedBy?: string },
): KubeObject {
  const name = cr.metadata.name;
  const ns = cr.metadata.namespace;
  const { command, parts } = backupArgs(cr, b, { grpcAddr: `${name}-banyandb-grpc.${ns}:17912` });
  const data = dataVolumeOf(cr);
  const labels = { [BACKUP_OF_LABEL]: name, 'app.kubernetes.io/managed-by': 'skywalking-backstage', 'app.kubernetes.io/component': 'banyandb-backup' };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: opts.jobName,
      namespace: ns,
      labels,
      annotations: {
        [BACKUP_TARGET_ANNOTATION]: parts.url,
        [BACKUP_DIR_ANNOTATION]: timeDirOf(opts.now, b.timeStyle),
        ...(opts.requestedBy ? { [BACKUP_REQUESTED_BY_ANNOTATION]: opts.requestedBy } : {}),
      },
      ownerReferences: [{ apiVersion: cr.apiVersion, kind: cr.kind, name, uid: cr.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      backoffLimit: 1,
      activeDeadlineSeconds: 6 * 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          // the data node's volume is ReadWriteOnce: only pods on its node can mount it
          nodeName: opts.nodeName,
          containers: [
            {
              name: BACKUP_CONTAINER,
              image: cr.spec?.image || `apache/skywalking-banyandb:${cr.spec?.version}`,
              command,
              volumeMounts: [{ name: data.name, mountPath: data.path }, ...parts.mounts],
              ...(parts.envFrom.length ? { envFrom: parts.envFrom } : {}),
            },
          ],
          volumes: [{ name: data.name, persistentVolumeClaim: { claimName: opts.dataClaim } }, ...parts.volumes],
        },
      },
    },
  };
}

/** The history of on-demand backups from their Jobs, newest first. */
export function backupRunsFromJobs(jobs: any[]): BackupRun[] {
  const time = (v: any) => (v ? new Date(v).toISOString() : undefined);
  return jobs
    .map(j => {
      const conds: any[] = j.status?.conditions ?? [];
      const done = conds.find(c => (c.type === 'Complete' || c.type === 'SuccessCriteriaMet') && c.status === 'True');
      const failed = conds.find(c => (c.type === 'Failed' || c.type === 'FailureTarget') && c.status === 'True');
      const a = j.metadata?.annotations ?? {};
      let phase: BackupPhase = 'Pending';
      if (failed) phase = 'Failed';
      else if (done || j.status?.completionTime) phase = 'Succeeded';
      else if (j.status?.startTime) phase = 'Running';
      const run: BackupRun = {
        name: j.metadata?.name,
        phase,
        // BanyanDB: the time directory; a storage snapshot: its Job's name; a snapshot restore: what it restores
        backup:
          a[BACKUP_DIR_ANNOTATION] ??
          a[RESTORE_SNAPSHOT_ANNOTATION] ??
          (j.metadata?.labels?.['app.kubernetes.io/component'] === SNAPSHOT_COMPONENT ? j.metadata?.name : undefined),
        target: a[BACKUP_TARGET_ANNOTATION] ?? '',
        created: time(j.metadata?.creationTimestamp),
        started: time(j.status?.startTime),
        finished: time(j.status?.completionTime ?? (failed ? failed.lastTransitionTime : undefined)),
        requestedBy: a[BACKUP_REQUESTED_BY_ANNOTATION],
      };
      if (failed) run.message = [failed.reason, failed.message].filter(Boolean).join(': ');
      return run;
    })
    .sort((x, y) => (y.created ?? '').localeCompare(x.created ?? '') || y.name.localeCompare(x.name));
}

/**
 * `Restored` of a backend with a recorded restore, from its BanyanDB pods'
 * restore init container: True once it finished with exit code 0, False
 * while it runs or waits, or when it failed (with its reason).
 */
export function restoredCondition(
  restore: BanyanDBRestore | undefined,
  pods: { metadata?: any; status?: any }[],
): { type: 'Restored'; status: 'True' | 'False'; reason: string; message: string; lastTransitionTime?: string } | undefined {
  if (!restore?.backup) return undefined;
  const what = `backup ${restore.backup}`;
  const statuses = pods.map(p => (p.status?.initContainerStatuses ?? []).find((s: any) => s.name === RESTORE_CONTAINER)).filter(Boolean);
  if (!statuses.length) return { type: 'Restored', status: 'False', reason: 'Pending', message: `${what}: the restore has not started (no BanyanDB pod with the restore init container yet)` };
  const failed = statuses.find((s: any) => (s.state?.terminated && s.state.terminated.exitCode !== 0) || (s.lastState?.terminated && s.lastState.terminated.exitCode !== 0 && !s.state?.terminated));
  if (failed) {
    const t = failed.state?.terminated ?? failed.lastState?.terminated;
    return { type: 'Restored', status: 'False', reason: 'RestoreFailed', message: `${what}: the restore init container exited with ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}${t.message ? `: ${t.message}` : ''}`, lastTransitionTime: t.finishedAt };
  }
  const finished = statuses.filter((s: any) => s.state?.terminated?.exitCode === 0);
  if (finished.length === statuses.length) {
    return { type: 'Restored', status: 'True', reason: 'Restored', message: `${what} restored`, lastTransitionTime: finished[0].state.terminated.finishedAt };
  }
  return { type: 'Restored', status: 'False', reason: 'Restoring', message: `${what}: restoring` };
}
