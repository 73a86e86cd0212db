import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  AuditEntry,
  BackendDetail,
  BackendRef,
  BackendSummary,
  BackupRun,
  BackupTarget,
  ClusterSummary,
  TopologyResponse,
  TracingStatus,
  WriteResult,
} from '@skywalking-backstage/plugin-skywalking-common';
import { BackupHistory, RestoreInput, RestoreResult, SkyWalkingApi } from './SkyWalkingApi';

const enc = encodeURIComponent;
const path = (r: BackendRef) => `/backends/${enc(r.cluster)}/${enc(r.namespace)}/${enc(r.name)}`;

/** SkyWalkingApi over HTTP, authenticated by Backstage's fetchApi. */
export class SkyWalkingClient implements SkyWalkingApi {
  constructor(
    private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  ) {}

  private async request<T>(p: string, init?: RequestInit): Promise<T> {
    const base = await this.deps.discoveryApi.getBaseUrl('skywalking');
    const res = await this.deps.fetchApi.fetch(`${base}${p}`, {
      ...init,
      headers: { 'Content-Type': 'application/json', ...init?.headers },
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  private post<T>(p: string, body: unknown = {}) {
    return this.request<T>(p, { method: 'POST', body: JSON.stringify(body) });
  }

  listClusters() {
    return this.request<{ items: ClusterSummary[] }>('/clusters').then(r => r.items);
  }
  listNamespaces(cluster: string) {
    return this.request<{ items: string[] }>(`/clusters/${enc(cluster)}/namespaces`).then(r => r.items);
  }
  listBackends() {
    return this.request<{ items: BackendSummary[] }>('/backends').then(r => r.items);
  }
  getBackend(ref: BackendRef) {
    return this.request<BackendDetail>(path(ref));
  }
  scaleBackend(ref: BackendRef, replicas: number, role?: 'receiver' | 'aggregator') {
    return this.post<WriteResult>(`${path(ref)}/scale`, role ? { replicas, role } : { replicas });
  }
  pauseBackend(ref: BackendRef) {
    return this.post<WriteResult>(`${path(ref)}/pause`);
  }
  resumeBackend(ref: BackendRef) {
    return this.post<WriteResult>(`${path(ref)}/resume`);
  }
  upgradeBackend(ref: BackendRef, version: string, options: { storageVersion?: string; deadlineSeconds?: number; allowDowngrade?: boolean } = {}) {
    return this.post<WriteResult>(`${path(ref)}/upgrade`, { version, ...options });
  }
  deleteBackend(ref: BackendRef) {
    return this.request<WriteResult>(path(ref), { method: 'DELETE' });
  }
  listBackups(ref: BackendRef) {
    return this.request<BackupHistory>(`${path(ref)}/backups`);
  }
  startBackup(ref: BackendRef, target?: BackupTarget) {
    return this.post<BackupRun>(`${path(ref)}/backups`, target ? { target } : {});
  }
  restoreBackend(ref: BackendRef, input: RestoreInput) {
    return this.post<RestoreResult>(`${path(ref)}/restore`, input);
  }
  listAudit(target: string) {
    return this.request<{ items: AuditEntry[] }>(`/audit?target=${enc(target)}`).then(r => r.items);
  }
  getTracing(entityRef: string) {
    return this.request<TracingStatus>(`/tracing?entityRef=${enc(entityRef)}`);
  }
  setTracing(entityRef: string, enabled: boolean, backend?: BackendRef) {
    return this.request<TracingStatus>('/tracing', {
      method: 'PUT',
      body: JSON.stringify({ entityRef, enabled, backend }),
    });
  }
  getTopology(entityRef: string, from: Date, to: Date) {
    return this.request<TopologyResponse>(
      `/topology?entityRef=${enc(entityRef)}&from=${enc(from.toISOString())}&to=${enc(to.toISOString())}`,
    );
  }
}
