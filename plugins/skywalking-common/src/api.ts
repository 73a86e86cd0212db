import type { TopologyGraph } from './topology/types';

/**
 * Types of the skywalking backend plugin's REST API, shared by the backend
 * router, the frontend API client, the scaffolder actions and the CLI.
 */

/** Identifies one SkyWalking backend: an OAPServer (and friends) in a cluster. */
export interface BackendRef {
  cluster: string;
  namespace: string;
  name: string;
}

export type BackendPhase =
  | 'Ready'
  | 'Progressing'
  | 'Degraded'
  | 'Paused'
  /** a version upgrade is under way (storage, OAP, UI in turn) */
  | 'Upgrading'
  | 'Queued'
  | 'Unknown';

export interface StatusCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface ComponentReplicas {
  desired: number;
  ready: number;
}

export interface BackendSummary extends BackendRef {
  version: string;
  phase: BackendPhase;
  conditions: StatusCondition[];
  oap: ComponentReplicas & {
    /** with role split: the Receiver and Aggregator counts (each scales on its own) */
    roles?: { receivers: number; aggregators: number };
    /** when an HPA owns the replicas: its bounds and which Deployment it scales */
    autoscaling?: { enabled: boolean; minReplicas: number; maxReplicas: number; targetCPUUtilizationPercentage?: number; role: 'mixed' | 'receiver' };
  };
  ui?: ComponentReplicas;
  storage: string;
  paused: boolean;
  /** catalog entity ref of the owning team, from the portal database */
  owner?: string;
  /** catalog Resource entity registered for this backend */
  entityRef?: string;
  /** changes of this backend kept in the portal's outbox: still waiting, and given up (dead letters) */
  outbox?: BackendOutboxStatus;
  /** the last version upgrade recorded on the backend (POST …/upgrade); absent when it was never upgraded */
  upgrade?: BackendUpgradeStatus;
}

/** A recorded upgrade: its target, its step or outcome, and when it started (tells one upgrade from the one before). */
export interface BackendUpgradeStatus {
  version: string;
  storageVersion?: string;
  /** storage, oap or ui while under way; Succeeded or RolledBack when done */
  phase: string;
  startedAt: string;
  finishedAt?: string;
  message?: string;
}

/** A queued change the portal gave up on: its attempts were refused, or it waited too long. */
export interface OutboxDeadLetter {
  id: number | string;
  operation: string;
  actor: string;
  attempts: number;
  /** why it was given up (the API server's last answer, expiry, a re-check that refused it) */
  reason?: string;
  createdAt?: string;
  deadAt?: string;
}

export interface BackendOutboxStatus {
  pending: number;
  dead: OutboxDeadLetter[];
}

/** GET /backends: the backends, and the clusters that could not be listed (their backends are missing from items, not gone). */
export interface BackendList {
  items: BackendSummary[];
  unavailableClusters: { cluster: string; message: string }[];
}

export interface PodSummary {
  name: string;
  component: string;
  phase: string;
  ready: boolean;
  node?: string;
  ip?: string;
  restarts: number;
}

export interface EventSummary {
  type: string;
  reason: string;
  message: string;
  object: string;
  count: number;
  lastSeen?: string;
}

export interface BackendDetail extends BackendSummary {
  pods: PodSummary[];
  events: EventSummary[];
  spec: Record<string, unknown>;
}

export interface ClusterSummary {
  name: string;
  reachable: boolean;
  error?: string;
  serverVersion?: string;
  leader?: boolean;
  injectionMode: 'webhook' | 'patch';
  /** SWCK's own controller runs there: we write and read, it reconciles */
  swckControllerDetected?: boolean;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

/** Result of a write: applied now, or kept in the outbox until the cluster is back. */
export interface WriteResult {
  applied: boolean;
  queued: boolean;
  message?: string;
}

/** A field-level validation problem, as returned in 400 responses. */
export interface FieldError {
  path: string;
  message: string;
}

/** Injection state of one workload of a catalog entity. */
export interface WorkloadInjection {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  injectedPods: number;
  totalPods: number;
  agentVersion?: string;
  mode: 'webhook' | 'patch';
  error?: string;
}

export interface TracingStatus {
  entityRef: string;
  enabled: boolean;
  backend?: BackendRef;
  /** clusters the entity's workloads live in, and whether they answered */
  clusters: { name: string; reachable: boolean; error?: string }[];
  workloads: WorkloadInjection[];
  history: AuditEntry[];
  updatedBy?: string;
  updatedAt?: string;
}

/** GET /topology: the merged graph of an entity (see ./topology for how it is built). */
export interface TopologyResponse extends TopologyGraph {
  entityRef: string;
  /** The cluster whose structure was read. */
  cluster?: string;
  /** The backend whose OAP reported the traffic. */
  backend?: BackendRef;
  /** How OAP was reached: a configured URL or the API server's service proxy. */
  oap?: { url: string; via: 'url' | 'service-proxy' };
  /** MQE expressions OAP could not answer. */
  warnings?: string[];
}
