import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  BACKUP_OF_LABEL,
  BACKUP_TARGET_ANNOTATION,
  backupOf,
  backupRunsFromJobs,
  BackendRef,
  BackupRun,
  BackupTarget,
  BanyanDBRestore,
  CustomObject,
  dataVolumeOf,
  destinationOf,
  FieldError,
  isSnapshotName,
  renderBackupJob,
  renderSnapshotJob,
  renderSnapshotRestoreJob,
  RESTORE_ANNOTATION,
  RESTORE_OF_LABEL,
  SkyWalkingBackendSpec,
  snapshotDestinationOf,
  snapshotOf,
  StorageSnapshot,
  storageConnectionOf,
  validateBackendSpec,
  validateBackup,
  validateRestore,
  validateSnapshot,
  WriteResult,
} from '@skywalking-backstage/plugin-skywalking-common';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { loadK8s } from '../clusters/k8s';
import { SWCK_API_VERSION, SWCK_GROUP, SWCK_VERSION } from '../engine/kinds';
import { isNetworkError, PAUSED_ANNOTATION } from './BackendService';
import { assertPortalManaged } from './portalManaged';
import { BackendOperations } from './types';

/** fieldManager of a restore over an existing backend: owns only the restore annotation */
export const RESTORE_MANAGER = 'skywalking-backstage-restore';
/** finished backup Jobs kept per backend (the history); older ones are deleted */
export const KEEP_BACKUP_JOBS = 20;

/** A 400 listing invalid fields (the router answers it with the field paths). */
export class BackupInputError extends InputError {
  constructor(readonly fields: FieldError[]) {
    super(`Invalid request: ${fields.map(f => `${f.path}: ${f.message}`).join('; ')}`);
  }
}

export interface BackupList {
  items: BackupRun[];
  /** the recorded schedule (the sidecar's), if any */
  schedule?: string;
  /** where backups of this backend go, if recorded */
  target?: string;
  /** banyandb: BanyanDB's backup tool; snapshot: the external storage's own tool (pg_dump, mysqldump, Elasticsearch snapshots) */
  kind?: 'banyandb' | 'snapshot';
  /** snapshot restores of an external-storage backend (Jobs), newest first */
  restores?: BackupRun[];
}

export interface RestoreRequest {
  /** the backup's time directory, e.g. 2026-11-30 */
  backup: string;
  /** the backend the backup was taken of; default: the one restored into */
  from?: BackendRef;
  /** where the backup is; default: the source backend's recorded backup target */
  target?: BackupTarget;
  /** for a new backend: spec fields that differ from the source backend's */
  spec?: Partial<SkyWalkingBackendSpec>;
}

export interface RestoreResult extends WriteResult {
  /** a new backend was created (false: the existing one restores, its BanyanDB pod is recreated) */
  created: boolean;
  restore: BanyanDBRestore;
  /** the spec the new backend was created with */
  spec?: SkyWalkingBackendSpec;
  /** a snapshot restore: the Job restoring it into the database */
  job?: string;
}

/** What the REST API needs for backups. */
export interface BackupOperations {
  listBackups(ref: BackendRef): Promise<BackupList>;
  startBackup(ref: BackendRef, input: { target?: unknown }, actor: string): Promise<BackupRun>;
  restore(ref: BackendRef, input: RestoreRequest, actor: string): Promise<RestoreResult>;
}

export interface BackupServiceOptions {
  clusters: ClusterRegistry;
  backends: BackendOperations;
  logger: LoggerService;
  now?: () => Date;
}

const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);

/**
 * Backups of BanyanDB backends with BanyanDB's own tools: on-demand backups
 * as Jobs beside the data node (their history is the Jobs), restores as a
 * new backend (or the existing one) whose BanyanDB pod restores the backup
 * in an init container before the data node starts. The rendering is pure
 * (skywalking-common operator/backup.ts); this is the I/O.
 */
export class BackupService implements BackupOperations {
  constructor(private readonly o: BackupServiceOptions) {}

  private now() {
    return this.o.now?.() ?? new Date();
  }

  private async k8s<T>(cluster: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw isNetworkError(e) ? this.o.clusters.unreachable(cluster, e) : e;
    }
  }

  private async batch(cluster: string) {
    const k8s = await loadK8s();
    return this.o.clusters.kubeConfig(cluster).makeApiClient(k8s.BatchV1Api);
  }

  private async readCustom(ref: BackendRef, plural: string, kind: string): Promise<CustomObject | undefined> {
    return this.k8s(ref.cluster, async () => {
      try {
        const o: any = await this.o.clusters
          .clients(ref.cluster)
          .custom.getNamespacedCustomObject({ group: SWCK_GROUP, version: SWCK_VERSION, namespace: ref.namespace, plural, name: ref.name });
        return { ...o, kind } as CustomObject;
      } catch (e: any) {
        if (e?.code === 404) return undefined;
        throw e;
      }
    });
  }

  private async banyandb(ref: BackendRef): Promise<CustomObject> {
    const store = await this.storageOf(ref);
    if (store.banyandb) return store.banyandb;
    throw new ConflictError(`backend ${ref.namespace}/${ref.name} has ${storageConnectionOf(store.oap)?.storage ?? 'external'} storage: it has snapshots (storage.external.snapshot), not BanyanDB backups`);
  }

  /** The backend's BanyanDB, or its OAPServer with external storage the portal can snapshot. */
  private async storageOf(ref: BackendRef): Promise<{ banyandb: CustomObject; oap?: undefined } | { banyandb?: undefined; oap: CustomObject }> {
    const db = await this.readCustom(ref, 'banyandbs', 'BanyanDB');
    if (db) return { banyandb: db };
    const oap = await this.readCustom(ref, 'oapservers', 'OAPServer');
    if (!oap) throw new NotFoundError(`no SkyWalking backend ${ref.namespace}/${ref.name} in cluster ${ref.cluster}`);
    if (!storageConnectionOf(oap)) {
      throw new ConflictError(`backend ${ref.namespace}/${ref.name} has no storage the portal can back up (neither BanyanDB nor PostgreSQL, MySQL, TiDB or Elasticsearch)`);
    }
    return { oap };
  }

  private async jobs(ref: BackendRef, labelSelector: string) {
    const batch = await this.batch(ref.cluster);
    return (await this.k8s(ref.cluster, () => batch.listNamespacedJob({ namespace: ref.namespace, labelSelector }))).items;
  }

  async listBackups(ref: BackendRef): Promise<BackupList> {
    const store = await this.storageOf(ref);
    if (store.oap) return this.listSnapshots(ref, store.oap);
    const db = store.banyandb;
    const batch = await this.batch(ref.cluster);
    const jobs = await this.k8s(ref.cluster, () => batch.listNamespacedJob({ namespace: ref.namespace, labelSelector: `${BACKUP_OF_LABEL}=${ref.name}` }));
    const recorded = backupOf(db);
    return {
      kind: 'banyandb',
      items: backupRunsFromJobs(jobs.items),
      ...(recorded?.schedule ? { schedule: recorded.schedule } : {}),
      ...(recorded?.target ? { target: destinationOf(recorded.target, ref.name) } : {}),
    };
  }

  /** Snapshots of external storage: the Jobs (scheduled by the CronJob, or on demand) and the restore Jobs. */
  private async listSnapshots(ref: BackendRef, oap: CustomObject): Promise<BackupList> {
    const recorded = snapshotOf(oap);
    const [snapshots, restores] = await Promise.all([this.jobs(ref, `${BACKUP_OF_LABEL}=${ref.name}`), this.jobs(ref, `${RESTORE_OF_LABEL}=${ref.name}`)]);
    return {
      kind: 'snapshot',
      items: backupRunsFromJobs(snapshots),
      restores: backupRunsFromJobs(restores),
      ...(recorded?.schedule ? { schedule: recorded.schedule } : {}),
      ...(recorded?.target ? { target: snapshotDestinationOf(recorded, storageConnectionOf(oap)!, ref.name) } : {}),
    };
  }

  /** The snapshot spec to use: the recorded one with `target` (if given) instead of its target, validated for the storage. */
  private snapshotSpec(ref: BackendRef, oap: CustomObject, target: unknown): StorageSnapshot {
    const recorded = snapshotOf(oap);
    const storage = storageConnectionOf(oap)!.storage;
    if (target === undefined && !recorded) {
      throw new BackupInputError([{ path: 'target', message: `is required: backend ${ref.name} records no snapshot target (storage.external.snapshot.target)` }]);
    }
    const spec = { ...(recorded ?? {}), ...(target !== undefined ? { target } : {}) } as StorageSnapshot;
    const { schedule: _schedule, ...once } = spec;
    const errors: FieldError[] = [];
    validateSnapshot(errors, '', once, storage);
    if (errors.length) throw new BackupInputError(errors.map(e => ({ ...e, path: e.path.replace(/^\./, '') })));
    return spec;
  }

  /** One snapshot now: a Job from the CronJob's template (pg_dump, mysqldump or an Elasticsearch snapshot). */
  private async startSnapshot(ref: BackendRef, oap: CustomObject, target: unknown, actor: string): Promise<BackupRun> {
    const spec = this.snapshotSpec(ref, oap, target);
    const job = renderSnapshotJob(oap, spec, { jobName: `${ref.name}-snap-${stamp(this.now())}`, requestedBy: actor });
    const created = await this.createJob(ref, job, 'snapshot');
    this.o.logger.info(`snapshot ${job.metadata.name} of ${ref.cluster}/${ref.namespace}/${ref.name} to ${job.metadata.annotations[BACKUP_TARGET_ANNOTATION]} by ${actor}`);
    await this.prune(ref).catch(e => this.o.logger.warn(`could not prune old snapshot Jobs of ${ref.name}: ${e?.message ?? e}`));
    return backupRunsFromJobs([created])[0];
  }

  private async createJob(ref: BackendRef, job: any, what: string) {
    const batch = await this.batch(ref.cluster);
    return this.k8s(ref.cluster, () =>
      batch.createNamespacedJob({ namespace: ref.namespace, body: job }).catch((e: any) => {
        if (e?.code === 409) throw new ConflictError(`a ${what} of ${ref.name} was started this very second (${job.metadata.name})`);
        throw e;
      }),
    );
  }

  /**
   * Restores a SQL snapshot into the backend's own database (pg_restore,
   * mysql). Only while the backend is paused: OAP would write into tables
   * being replaced. `from` names another backend whose snapshots (on the same
   * PVC) to read.
   */
  private async restoreSnapshot(ref: BackendRef, oap: CustomObject, input: RestoreRequest, actor: string): Promise<RestoreResult> {
    const errors: FieldError[] = [];
    if (!isSnapshotName(input.backup)) errors.push({ path: 'backup', message: `${JSON.stringify(input.backup ?? null)} is not a snapshot name (the name of its Job, e.g. ${ref.name}-snap-20261130120000)` });
    if (input.spec !== undefined) errors.push({ path: 'spec', message: 'a snapshot is restored into the existing backend\'s database; there is no new backend to give a spec' });
    const from = input.from ?? ref;
    if (from.cluster !== ref.cluster || from.namespace !== ref.namespace) {
      errors.push({ path: 'from', message: `snapshots are on a PersistentVolumeClaim, readable only in its own namespace (${ref.namespace} of cluster ${ref.cluster})` });
    }
    if (errors.length) throw new BackupInputError(errors);
    const c = storageConnectionOf(oap)!;
    if (c.storage === 'elasticsearch') {
      throw new ConflictError(
        `Elasticsearch snapshots are restored with Elasticsearch's own _restore API (POST _snapshot/<repository>/${input.backup}/_restore), on closed or deleted indices; the portal takes them but does not restore them`,
      );
    }
    if (!oap.metadata.annotations?.[PAUSED_ANNOTATION]) {
      throw new ConflictError(`pause ${ref.name} first: OAP would keep writing into the ${c.storage} tables the restore replaces (resume it when the restore Job has succeeded)`);
    }
    const spec = this.snapshotSpec(ref, oap, input.target);
    const job = renderSnapshotRestoreJob(oap, spec, {
      jobName: `${ref.name}-restore-${stamp(this.now())}`,
      snapshot: input.backup,
      ...(from.name !== ref.name ? { from: from.name } : {}),
      requestedBy: actor,
    });
    await this.createJob(ref, job, 'restore');
    this.o.logger.info(`restore of snapshot ${from.name}/${input.backup} into ${ref.cluster}/${ref.namespace}/${ref.name} (Job ${job.metadata.name}) by ${actor}`);
    return {
      applied: true,
      queued: false,
      created: false,
      job: job.metadata.name,
      restore: { backup: input.backup, target: { pvc: spec.target.pvc! }, ...(from.name !== ref.name ? { from } : {}) },
    };
  }

  /**
   * Backs a BanyanDB up once: a Job running the backup binary on the data
   * node's node with its volume, to the recorded target (or `input.target`).
   */
  async startBackup(ref: BackendRef, input: { target?: unknown }, actor: string): Promise<BackupRun> {
    const store = await this.storageOf(ref);
    assertPortalManaged(store.banyandb ?? store.oap, ref.cluster, 'back up');
    if (store.oap) return this.startSnapshot(ref, store.oap, input.target, actor);
    const db = store.banyandb;
    const recorded = backupOf(db);
    const target = (input.target ?? recorded?.target) as BackupTarget | undefined;
    if (!target) {
      throw new BackupInputError([{ path: 'target', message: 'is required: this backend records no backup target (storage.banyandb.backup.target)' }]);
    }
    const errors: FieldError[] = [];
    validateBackup(errors, '', { target, ...(recorded?.timeStyle ? { timeStyle: recorded.timeStyle } : {}) }, db.spec?.version);
    if (errors.length) throw new BackupInputError(errors.map(e => ({ ...e, path: e.path.replace(/^\./, '') })));
    const data = dataVolumeOf(db);
    if (!data.claimTemplate) {
      throw new ConflictError(
        `the BanyanDB of ${ref.namespace}/${ref.name} keeps its data in the pod (no storage.banyandb.storageSize), which a backup Job cannot mount; give it a storageSize, or a backup schedule (the backup then runs as a sidecar in the pod)`,
      );
    }
    const podName = `${ref.name}-banyandb-0`;
    const pod = await this.k8s(ref.cluster, () =>
      this.o.clusters
        .clients(ref.cluster)
        .core.readNamespacedPod({ namespace: ref.namespace, name: podName })
        .catch((e: any) => {
          if (e?.code === 404) return undefined;
          throw e;
        }),
    );
    if (!pod?.spec?.nodeName || pod.status?.phase !== 'Running') {
      throw new ConflictError(`the BanyanDB pod ${podName} is not running${pod?.status?.phase ? ` (${pod.status.phase})` : ''}: a backup asks the running data node for a snapshot`);
    }
    const now = this.now();
    const job = renderBackupJob(db, { ...(recorded ?? {}), target }, {
      jobName: `${ref.name}-backup-${stamp(now)}`,
      nodeName: pod.spec.nodeName,
      dataClaim: `${data.name}-${ref.name}-banyandb-0`,
      now,
      requestedBy: actor,
    });
    const created = await this.createJob(ref, job, 'backup');
    this.o.logger.info(`backup ${job.metadata.name} of ${ref.cluster}/${ref.namespace}/${ref.name} to ${job.metadata.annotations[BACKUP_TARGET_ANNOTATION]} by ${actor}`);
    await this.prune(ref).catch(e => this.o.logger.warn(`could not prune old backup Jobs of ${ref.name}: ${e?.message ?? e}`));
    return backupRunsFromJobs([created])[0];
  }

  /** Deletes finished backup Jobs beyond the newest KEEP_BACKUP_JOBS. */
  private async prune(ref: BackendRef) {
    const batch = await this.batch(ref.cluster);
    const jobs = await batch.listNamespacedJob({ namespace: ref.namespace, labelSelector: `${BACKUP_OF_LABEL}=${ref.name}` });
    const runs = backupRunsFromJobs(jobs.items).filter(r => r.phase === 'Succeeded' || r.phase === 'Failed');
    for (const r of runs.slice(KEEP_BACKUP_JOBS)) {
      await batch.deleteNamespacedJob({ namespace: ref.namespace, name: r.name, propagationPolicy: 'Background' }).catch(() => undefined);
    }
  }

  /**
   * The spec of a new backend restored from `source`: the source's version,
   * replicas, UI and BanyanDB (version, storage size, backup), then the
   * request's overrides.
   */
  private async specFromSource(ref: BackendRef, source: BackendRef, overrides: Partial<SkyWalkingBackendSpec> = {}): Promise<SkyWalkingBackendSpec> {
    const [oap, ui, db] = await Promise.all([
      this.readCustom(source, 'oapservers', 'OAPServer'),
      this.readCustom(source, 'uis', 'UI'),
      this.readCustom(source, 'banyandbs', 'BanyanDB'),
    ]);
    const base: Partial<SkyWalkingBackendSpec> = {};
    if (oap) {
      const size = db?.spec?.storages?.[0]?.persistentVolumeClaimSpec?.resources?.requests?.storage;
      const backup = db ? backupOf(db) : undefined;
      Object.assign(base, {
        version: oap.spec?.version,
        oap: { replicas: oap.spec?.instances ?? 1 },
        ui: { enabled: Boolean(ui) },
        storage: {
          type: 'banyandb',
          banyandb: {
            ...(db?.spec?.version ? { version: db.spec.version } : {}),
            ...(size ? { storageSize: size } : {}),
            ...(backup ? { backup } : {}),
          },
        },
      });
    }
    const storage = { type: 'banyandb' as const, ...(base.storage ?? {}), ...(overrides.storage ?? {}) };
    return {
      ...base,
      ...overrides,
      storage: { ...storage, banyandb: { ...(base.storage?.banyandb ?? {}), ...(overrides.storage?.banyandb ?? {}) } },
      ...ref,
    } as SkyWalkingBackendSpec;
  }

  /**
   * Restores a backup into `ref`: a new backend (the source's spec with a
   * recorded restore) when `ref` does not exist, else the existing backend's
   * BanyanDB gets the restore recorded (its own field manager), so its pod is
   * recreated and restores before the data node starts.
   */
  async restore(ref: BackendRef, input: RestoreRequest, actor: string): Promise<RestoreResult> {
    const source = input.from ?? ref;
    const errors: FieldError[] = [];
    if (input.from !== undefined && (typeof input.from !== 'object' || !input.from.cluster || !input.from.namespace || !input.from.name)) {
      errors.push({ path: 'from', message: 'must be { cluster, namespace, name }' });
    }
    if (errors.length) throw new BackupInputError(errors);
    // an existing backend with external storage restores a snapshot into its database
    const existingOap = await this.readCustom(ref, 'oapservers', 'OAPServer');
    // absent, the restore creates a backend (whose create refuses to overwrite what is not the portal's)
    assertPortalManaged(existingOap, ref.cluster, 'restore into');
    if (existingOap && storageConnectionOf(existingOap)) return this.restoreSnapshot(ref, existingOap, input, actor);
    const sourceDb = await this.readCustom(source, 'banyandbs', 'BanyanDB');
    const target = input.target ?? (sourceDb ? backupOf(sourceDb)?.target : undefined);
    if (!target) {
      throw new BackupInputError([
        { path: 'target', message: `is required: backend ${source.namespace}/${source.name} in cluster ${source.cluster} ${sourceDb ? 'records no backup target' : 'does not exist (any more)'}` },
      ]);
    }
    if (target.pvc && (source.cluster !== ref.cluster || source.namespace !== ref.namespace)) {
      throw new BackupInputError([{ path: 'target.pvc', message: `a PersistentVolumeClaim is readable only in its own namespace (${source.namespace}); restore into that namespace or from an object store` }]);
    }
    const restore: BanyanDBRestore = {
      backup: input.backup,
      target,
      ...(source.name !== ref.name || input.from ? { from: { cluster: source.cluster, namespace: source.namespace, name: source.name } } : {}),
      id: `r${this.now().getTime().toString(36)}`,
    };
    if (!existingOap) {
      const spec = await this.specFromSource(ref, source, input.spec);
      spec.storage = { ...spec.storage!, type: 'banyandb', banyandb: { ...(spec.storage?.banyandb ?? {}), restore } };
      const specErrors = validateBackendSpec(spec);
      if (specErrors.length) throw new BackupInputError(specErrors);
      const result = await this.o.backends.create(spec as unknown as Record<string, unknown>, actor);
      return { ...result, created: true, restore, spec };
    }
    const db = await this.banyandb(ref);
    assertPortalManaged(db, ref.cluster, 'restore into');
    const restoreErrors: FieldError[] = [];
    validateRestore(restoreErrors, '', restore, db.spec?.version);
    if (restoreErrors.length) throw new BackupInputError(restoreErrors.map(e => ({ ...e, path: e.path.replace(/^\./, '') })));
    const k8s = await loadK8s();
    const partial = {
      apiVersion: SWCK_API_VERSION,
      kind: 'BanyanDB',
      metadata: { name: ref.name, namespace: ref.namespace, annotations: { [RESTORE_ANNOTATION]: JSON.stringify(restore) } },
    };
    await this.k8s(ref.cluster, () =>
      this.o.clusters.clients(ref.cluster).objects.patch(partial as any, undefined, undefined, RESTORE_MANAGER, true, k8s.PatchStrategy.ServerSideApply),
    );
    return { applied: true, queued: false, created: false, restore };
  }
}
