import { createApiRef } from '@backstage/core-plugin-api';
import {
  AuditEntry,
  BackendDetail,
  BackendRef,
  BackendSummary,
  BackupRun,
  BackupTarget,
  BanyanDBRestore,
  ClusterSummary,
  TopologyResponse,
  TracingStatus,
  WriteResult,
} from '@skywalking-backstage/plugin-skywalking-common';

/** A backend's on-demand backups (newest first) and its recorded schedule and destination. */
export interface BackupHistory {
  items: BackupRun[];
  schedule?: string;
  target?: string;
  /** banyandb: BanyanDB's backup tool; snapshot: the external storage's own tool (pg_dump, mysqldump, Elasticsearch snapshots) */
  kind?: 'banyandb' | 'snapshot';
  /** snapshot restores into this backend's database (Jobs), newest first; `backup` is the snapshot restored */
  restores?: BackupRun[];
}

/** What POST /backends/:cluster/:namespace/:name/restore takes. */
export interface RestoreInput {
  /** the backup's time directory, e.g. 2026-11-30; for external storage the snapshot's name (its Job's) */
  backup: string;
  /** the backend the backup was taken of (default: the one restored into) */
  from?: BackendRef;
  /** where the backup is (default: the source's recorded backup target) */
  target?: BackupTarget;
}

export interface RestoreResult extends WriteResult {
  created: boolean;
  restore: BanyanDBRestore;
  /** a snapshot restore: the Job restoring it into the database */
  job?: string;
}

/** Client of the skywalking backend plugin's REST API. */
export interface SkyWalkingApi {
  listClusters(): Promise<ClusterSummary[]>;
  listNamespaces(cluster: string): Promise<string[]>;
  listBackends(): Promise<BackendSummary[]>;
  getBackend(ref: BackendRef): Promise<BackendDetail>;
  /** OAP replicas; with role split, `role` scales the Receivers or the Aggregators alone */
  scaleBackend(ref: BackendRef, replicas: number, role?: 'receiver' | 'aggregator'): Promise<WriteResult>;
  pauseBackend(ref: BackendRef): Promise<WriteResult>;
  resumeBackend(ref: BackendRef): Promise<WriteResult>;
  /** storage (with `storageVersion`), OAP, then UI; rolled back when a step is not Ready within `deadlineSeconds` (default 600) */
  upgradeBackend(ref: BackendRef, version: string, options?: { storageVersion?: string; deadlineSeconds?: number; allowDowngrade?: boolean }): Promise<WriteResult>;
  deleteBackend(ref: BackendRef): Promise<WriteResult>;
  listBackups(ref: BackendRef): Promise<BackupHistory>;
  /** backs the backend's BanyanDB up now (a Job), to its recorded target or `target` */
  startBackup(ref: BackendRef, target?: BackupTarget): Promise<BackupRun>;
  /** restores a backup into `ref`: a new backend, or the existing one in place */
  restoreBackend(ref: BackendRef, input: RestoreInput): Promise<RestoreResult>;
  listAudit(target: string): Promise<AuditEntry[]>;
  getTracing(entityRef: string): Promise<TracingStatus>;
  setTracing(
    entityRef: string,
    enabled: boolean,
    backend?: BackendRef,
  ): Promise<TracingStatus>;
  getTopology(
    entityRef: string,
    from: Date,
    to: Date,
  ): Promise<TopologyResponse>;
}

export const skyWalkingApiRef = createApiRef<SkyWalkingApi>({
  id: 'plugin.skywalking.service',
});
