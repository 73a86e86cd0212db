/**
 * TypeScript types of SWCK's custom resources, group operator.skywalking.apache.org,
 * version v1alpha1. Field names and JSON names follow SWCK's Go types
 * (operator/apis/operator/v1alpha1/*_types.go) exactly, including their oddities
 * (`available_pods`, `expectedInjectiedNum`, `injectstorage`, `servicename`).
 * Fields marked "extension" are ours: optional, and SWCK manifests never need them.
 */

/** core/v1 EnvVar (value or valueFrom). */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string; apiVersion?: string };
    resourceFieldRef?: { resource: string; containerName?: string; divisor?: string };
  };
}

/** Kubernetes objects we pass through without modelling them (Affinity, PodSpec parts, ...). */
export type KubeMap = Record<string, any>;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** appsv1.DeploymentCondition / StatefulSetCondition as JSON. */
export interface WorkloadCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** SWCK ServiceTemplate (common.go). */
export interface ServiceTemplate {
  clusterIP?: string;
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | string;
  externalIPs?: string[];
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[];
}

/** SWCK Ingress (common.go). */
export interface IngressSpec {
  annotations?: Record<string, string>;
  host?: string;
  ingressClassName?: string;
  tls?: { hosts?: string[]; secretName?: string }[];
}

/** SWCK Service (common.go): `template` and `ingress`. */
export interface SwckService {
  template?: ServiceTemplate;
  ingress?: IngressSpec;
}

/** Our scheduling extension, accepted on OAPServer, UI, Satellite (all optional). */
export interface SchedulingExtension {
  /** extension: core/v1 ResourceRequirements for the main container */
  resources?: KubeMap;
  /** extension: core/v1 Affinity (replaces the default pod anti-affinity) */
  affinity?: KubeMap;
  /** extension */
  tolerations?: KubeMap[];
  /** extension */
  nodeSelector?: Record<string, string>;
}

// ---------------------------------------------------------------- OAPServer
export interface OAPServerSpec extends SchedulingExtension {
  version: string;
  image?: string;
  instances: number;
  config?: EnvVar[];
  service?: SwckService;
  storage?: RelevantStorage;
  /** extension: scale to zero but keep everything else (data, config) */
  paused?: boolean;
  /**
   * extension: OAP role split. When enabled, `instances` Receiver (L1) pods and
   * `aggregators` Aggregator (L2) pods run in two Deployments of one OAP cluster.
   */
  roleSplit?: { enabled?: boolean; aggregators?: number };
  /** extension: names of OAPServerConfig objects whose env and files apply to this OAP */
  configRefs?: string[];
}
export interface RelevantStorage {
  name?: string;
  injectstorage?: { metadata?: KubeMap; spec?: StorageSpec; [k: string]: any };
}
export interface OAPServerStatus {
  availableReplicas?: number;
  address?: string;
  conditions?: WorkloadCondition[];
  /** extension: generation the status reflects */
  observedGeneration?: number;
}

// ---------------------------------------------------------------- UI
export interface UISpec extends SchedulingExtension {
  /** horizon (SWCK default) or booster */
  kind?: 'horizon' | 'booster';
  version: string;
  image?: string;
  instances: number;
  OAPServerAddress?: string;
  OAPServerAdminAddress?: string;
  OAPServerZipkinAddress?: string;
  /** horizon.yaml content (horizon UI only) */
  config?: string;
  service?: SwckService;
  /** extension */
  paused?: boolean;
}
export interface UIStatus {
  availableReplicas?: number;
  externalIPs?: string[];
  ports?: number[];
  internalAddress?: string;
  conditions?: WorkloadCondition[];
  observedGeneration?: number;
}

// ---------------------------------------------------------------- BanyanDB
export interface BanyanDBSpec {
  version: string;
  counts: number;
  image: string;
  affinity?: KubeMap;
  config?: string[];
  httpService?: SwckService;
  gRPCService?: SwckService;
  storages?: BanyanDBStorageConfig[];
  /** extension */
  resources?: KubeMap;
  /** extension */
  tolerations?: KubeMap[];
  /** extension */
  nodeSelector?: Record<string, string>;
  /** extension */
  paused?: boolean;
}
export interface BanyanDBStorageConfig {
  name?: string;
  path?: string;
  persistentVolumeClaimSpec?: KubeMap;
}
export interface BanyanDBStatus {
  /** JSON name is `available_pods` in SWCK */
  available_pods?: number;
  conditions?: WorkloadCondition[];
  observedGeneration?: number;
}

// ---------------------------------------------------------------- Storage
export interface StorageSpec {
  /** elasticsearch, postgresql, mysql, ... (SWCK renders only elasticsearch) */
  type: string;
  /** internal (operator runs it) or external */
  connectType: 'internal' | 'external' | string;
  /** JSON name `address` */
  address?: string;
  version: string;
  image?: string;
  instances?: number;
  security?: { tls?: boolean; user?: { secretName?: string } };
  /** JSON name `servicename` (all lowercase) */
  servicename?: string;
  config?: EnvVar[];
  resource?: { limit?: string; requests?: string };
}
export interface StorageStatus {
  conditions?: WorkloadCondition[];
}

// ---------------------------------------------------------------- OAPServerConfig
export interface FileConfig {
  name?: string;
  path?: string;
  data?: string;
}
export interface OAPServerConfigSpec {
  version: string;
  env?: EnvVar[];
  file?: FileConfig[];
  /** appears in SWCK's sample but not in its CRD; accepted and ignored by SWCK */
  labelSelector?: string;
  /** appears in SWCK's sample but not in its CRD */
  enableDynamicConfiguration?: boolean;
}
export interface OAPServerConfigStatus {
  desired?: number;
  ready?: number;
  creationTime?: string;
  lastUpdateTime?: string;
}

// ---------------------------------------------------------------- OAPServerDynamicConfig
export interface OAPServerDynamicConfigSpec {
  version: string;
  labelSelector?: string;
  data?: { name?: string; value?: string }[];
}
export interface OAPServerDynamicConfigStatus {
  state?: string;
  creationTime?: string;
  lastUpdateTime?: string;
}

// ---------------------------------------------------------------- JavaAgent
export interface JavaAgentSpec {
  podSelector?: string;
  serviceName: string;
  backendService: string;
  agentConfiguration?: Record<string, string>;
}
export interface JavaAgentStatus {
  /** sic: SWCK's JSON name */
  expectedInjectiedNum?: number;
  realInjectedNum?: number;
  creationTime?: string;
  lastUpdateTime?: string;
}

// ---------------------------------------------------------------- SwAgent
export interface JavaSidecar {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  resources?: KubeMap;
  env?: EnvVar[];
}
export interface SwAgentSpec {
  selector?: Record<string, string>;
  containerMatcher?: string;
  javaSidecar?: JavaSidecar;
  sharedVolumeName?: string;
  optionalPlugins?: string[];
  optionalReporterPlugins?: string[];
  bootstrapPlugins?: string[];
}
export interface SwAgentStatus {
  creationTime?: string;
  lastUpdateTime?: string;
}

// ---------------------------------------------------------------- Satellite
export interface SatelliteSpec extends SchedulingExtension {
  version: string;
  image?: string;
  instances: number;
  config?: EnvVar[];
  service?: SwckService;
  OAPServerName?: string;
  /** extension */
  paused?: boolean;
}
export interface SatelliteStatus {
  availableReplicas?: number;
  address?: string;
  conditions?: WorkloadCondition[];
  observedGeneration?: number;
}

// ---------------------------------------------------------------- Fetcher
export interface FetcherSpec {
  type: string[];
  OAPServerAddress: string;
  clusterName?: string;
}
export interface FetcherStatus {
  replicas?: number;
  conditions?: { type: string; status: string; lastUpdateTime?: string; lastTransitionTime?: string; message?: string }[];
}

// ---------------------------------------------------------------- objects
export interface SwckObject<K extends string, S, T> {
  apiVersion: 'operator.skywalking.apache.org/v1alpha1';
  kind: K;
  metadata: ObjectMeta;
  spec: S;
  status?: T;
}

export type OAPServer = SwckObject<'OAPServer', OAPServerSpec, OAPServerStatus>;
export type UI = SwckObject<'UI', UISpec, UIStatus>;
export type BanyanDB = SwckObject<'BanyanDB', BanyanDBSpec, BanyanDBStatus>;
export type Storage = SwckObject<'Storage', StorageSpec, StorageStatus>;
export type OAPServerConfig = SwckObject<'OAPServerConfig', OAPServerConfigSpec, OAPServerConfigStatus>;
export type OAPServerDynamicConfig = SwckObject<'OAPServerDynamicConfig', OAPServerDynamicConfigSpec, OAPServerDynamicConfigStatus>;
export type JavaAgent = SwckObject<'JavaAgent', JavaAgentSpec, JavaAgentStatus>;
export type SwAgent = SwckObject<'SwAgent', SwAgentSpec, SwAgentStatus>;
export type Satellite = SwckObject<'Satellite', SatelliteSpec, SatelliteStatus>;
export type Fetcher = SwckObject<'Fetcher', FetcherSpec, FetcherStatus>;

export type AnySwckObject =
  | OAPServer
  | UI
  | BanyanDB
  | Storage
  | OAPServerConfig
  | OAPServerDynamicConfig
  | JavaAgent
  | SwAgent
  | Satellite
  | Fetcher;

/** A generic Kubernetes object produced by the render functions. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [k: string]: any;
}
