import {
  BackendDetail,
  BackendList,
  BackendRef,
  BackendSummary,
  ClusterSummary,
  WriteResult,
} from '@skywalking-backstage/plugin-skywalking-common';

/**
 * What the REST API and the scaffolder actions need from the operator side.
 * Implemented by BackendService on the reconcile engine's cluster clients.
 */
export interface BackendOperations {
  listClusters(): Promise<ClusterSummary[]>;
  listNamespaces(cluster: string): Promise<string[]>;
  list(): Promise<BackendSummary[]>;
  /** list() with the clusters that could not be listed (GET /backends names them) */
  listWithStatus?(): Promise<BackendList>;
  /** puts a dead-lettered change of this backend back into the outbox; false when there is none with that id */
  retryDeadLetter?(ref: BackendRef, id: string): Promise<boolean>;
  get(ref: BackendRef): Promise<BackendDetail>;
  /** `spec` is a validated SkyWalkingBackend spec */
  create(spec: Record<string, unknown>, actor: string): Promise<WriteResult>;
  /** a full replace; refused while upgrading (409), for a version change (400), or when `ifMatch` is not the spec's ETag (412) */
  update(ref: BackendRef, spec: Record<string, unknown>, actor: string, options?: { ifMatch?: string }): Promise<WriteResult>;
  /** OAP replicas; with role split, `role` (receiver | aggregator) scales that role alone */
  scale(ref: BackendRef, replicas: number, actor: string, role?: string): Promise<WriteResult>;
  pause(ref: BackendRef, actor: string): Promise<WriteResult>;
  resume(ref: BackendRef, actor: string): Promise<WriteResult>;
  /** rolls storage (when `storageVersion`), OAP, then UI; rolled back when a step is not Ready by the deadline */
  upgrade(ref: BackendRef, version: string, actor: string, options?: { storageVersion?: string; deadlineSeconds?: number; allowDowngrade?: boolean }): Promise<WriteResult>;
  delete(ref: BackendRef, actor: string): Promise<WriteResult>;
}
