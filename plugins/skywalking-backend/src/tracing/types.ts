import type { BackstageCredentials, LoggerService, PermissionsService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import type { BackendRef } from '@skywalking-backstage/plugin-skywalking-common';
import type * as K8s from '@kubernetes/client-node';
import type { SkyWalkingStore } from '../database/SkyWalkingStore';
import type { TenancyService } from '../tenancy/TenancyService';

export type InjectionMode = 'webhook' | 'patch';

export interface TracingCatalog {
  getEntityByRef(ref: string, options: { credentials: BackstageCredentials }): Promise<Entity | undefined>;
}

export interface TracingServiceOptions {
  store: Pick<SkyWalkingStore, 'setTracing' | 'getTracing' | 'listTracing' | 'appendAudit' | 'listAudit'>;
  /** Backstage's CatalogService (or anything with its getEntityByRef) */
  catalog: TracingCatalog;
  getKubeConfig: (cluster: string) => Promise<K8s.KubeConfig>;
  /** names of the configured clusters */
  clusters: () => string[];
  injectionMode: (cluster: string) => InjectionMode;
  /** OAP gRPC address of a backend, e.g. `${name}-oap.${namespace}:11800` */
  backendCollector: (backend: BackendRef) => string | Promise<string>;
  /**
   * The CA bundle (ca.crt) of a backend with TLS, undefined without TLS
   * (BackendTls.agentCa); its agents get it as a ConfigMap in their namespace
   */
  backendCa?: (backend: BackendRef) => Promise<string | undefined>;
  /** which clusters and namespaces an owner may act on (tenancy/) */
  tenancy: Pick<TenancyService, 'callerRefs' | 'userRefs' | 'entityOwnerRefs' | 'clustersFor' | 'allowed'>;
  /** checks `skywalking.backend.read` on the backend a toggle names */
  permissions: Pick<PermissionsService, 'authorize'>;
  /** the engine's leader election: the periodic reconcile writes only where this replica leads; default: everywhere */
  isLeader?: (cluster: string) => boolean;
  logger: LoggerService;
  /** service credentials for reconcileTracing's catalog reads (Backstage AuthService) */
  auth?: { getOwnServiceCredentials(): Promise<BackstageCredentials> };
  /** per cluster call; default 15 s */
  timeoutMs?: number;
  /** image patterns the agent init container may use in patch mode (skywalking.allowedImages); default: not checked */
  allowedImages?: string[];
}

export interface Desired {
  enabled: boolean;
  backend?: BackendRef;
}

/** Where one entity's toggle acts in one cluster: the namespaces resolved and authorised (authorise.ts). */
export interface ClusterTarget {
  cluster: string;
  namespaces: string[];
  /** the cluster could not be read to resolve namespaces */
  error?: string;
  reachable?: boolean;
}

export interface ClusterOutcome {
  name: string;
  reachable: boolean;
  /** set when the cluster could not be read or written */
  error?: string;
  changed: string[];
  workloadErrors: { workload: string; error: string }[];
}
