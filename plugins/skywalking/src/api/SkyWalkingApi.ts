import { createApiRef } from '@backstage/core-plugin-api';
import {
  AuditEntry,
  BackendDetail,
  BackendRef,
  BackendSummary,
  ClusterSummary,
  TopologyResponse,
  TracingStatus,
  WriteResult,
} from '@skywalking-backstage/plugin-skywalking-common';

/** Client of the skywalking backend plugin's REST API. */
export interface SkyWalkingApi {
  listClusters(): Promise<ClusterSummary[]>;
  listNamespaces(cluster: string): Promise<string[]>;
  listBackends(): Promise<BackendSummary[]>;
  getBackend(ref: BackendRef): Promise<BackendDetail>;
  scaleBackend(ref: BackendRef, replicas: number): Promise<WriteResult>;
  pauseBackend(ref: BackendRef): Promise<WriteResult>;
  resumeBackend(ref: BackendRef): Promise<WriteResult>;
  upgradeBackend(ref: BackendRef, version: string): Promise<WriteResult>;
  deleteBackend(ref: BackendRef): Promise<WriteResult>;
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
