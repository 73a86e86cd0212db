import type { TrafficMetrics } from '../oap/kubernetesTraffic';

/* ---------- input 1: the structural graph read from the Kubernetes API ---------- */

/** @public */
export interface StructuralWorkload {
  /** Deployment, StatefulSet, DaemonSet, Job, ... */
  kind: string;
  name: string;
  namespace: string;
}

/** @public */
export interface StructuralPod {
  name: string;
  namespace: string;
  /** `status.podIPs` (or `status.podIP`). */
  ips?: string[];
  /** `spec.nodeName`. */
  nodeName?: string;
  labels?: Record<string, string>;
  /** `spec.hostNetwork`: the pod shares its node's IP, so its IP is not its own. */
  hostNetwork?: boolean;
  /** The top owner, already resolved by the caller (ReplicaSet to Deployment). */
  workload?: { kind: string; name: string };
  /**
   * SkyWalking agent service names the pod's containers report as (the
   * `SW_AGENT_NAME` env the injector sets, or the
   * `agent.skywalking.apache.org/agent.service_name` annotation): how a
   * GENERAL-layer service of OAP is found in the cluster.
   */
  agentServices?: string[];
}

/** @public */
export interface StructuralService {
  name: string;
  namespace: string;
  /** `spec.clusterIPs`; `None` (headless) is ignored. */
  clusterIPs?: string[];
  /** `spec.selector`. */
  selector?: Record<string, string>;
}

/** @public */
export interface StructuralEndpointSlice {
  name: string;
  namespace: string;
  /** The `kubernetes.io/service-name` label. */
  serviceName: string;
  endpoints: Array<{
    addresses: string[];
    targetRef?: { kind: string; name: string; namespace?: string };
  }>;
}

/** @public */
export interface StructuralIngress {
  name: string;
  namespace: string;
  /** Every backend service of the rules and the default backend. */
  backends: Array<{ serviceName: string; host?: string; path?: string }>;
}

/** @public */
export interface StructuralGraph {
  workloads?: StructuralWorkload[];
  pods?: StructuralPod[];
  services?: StructuralService[];
  endpointSlices?: StructuralEndpointSlice[];
  ingresses?: StructuralIngress[];
}

/* ---------- input 2: traffic ---------- */

/**
 * One side of a traffic relation, as OAP or an access log names it. The merge
 * resolves it to a node of the structural graph.
 * @public
 */
export interface TrafficEndpoint {
  /** OAP K8S_SERVICE service name, `[cluster::]name.namespace`. */
  oapService?: string;
  /** Pod name (OAP instance name). */
  pod?: string;
  /** Namespace of `pod`, if `oapService` does not give it. */
  namespace?: string;
  /** A remote address, `ip`, `ip:port` or `[v6]:port`. */
  address?: string;
  /** Container name, when known (Rover reports it). */
  container?: string;
  /** OAP GENERAL-layer service name, as an agent reports it (`SW_AGENT_NAME`). */
  agentService?: string;
  /**
   * A conjectural peer as agents name it: `host:port` of an exit span
   * (`shop-orders:80`, `10.0.0.5:5432`) or OAP's `User`. The host resolves
   * to a Service (`svc`, `svc.ns`, `svc.ns.svc.cluster.local`; `svc` in the
   * namespace of the calling side), a pod or Service IP, else an external node.
   */
  peer?: string;
}

/** @public */
export interface TrafficEdgeInput {
  source: TrafficEndpoint;
  target: TrafficEndpoint;
  metrics: TrafficMetrics;
  /** OAP layer that saw it (`K8S_SERVICE`, `GENERAL`); kept apart per layer. */
  layer?: string;
}

/** @public */
export interface TrafficNodeInput {
  endpoint: TrafficEndpoint;
  metrics: TrafficMetrics;
  layer?: string;
}

/** @public */
export interface TopologyWindow {
  from: string;
  to: string;
  step?: string;
}

/** @public */
export interface TopologyTrafficInput {
  window: TopologyWindow;
  nodes: TrafficNodeInput[];
  relations: TrafficEdgeInput[];
}

/* ---------- output ---------- */

/** @public */
export type TopologyNodeKind =
  | 'service'
  | 'pod'
  | 'workload'
  | 'ingress'
  | 'external';

/** @public */
export type TopologyEdgeKind = 'call' | 'selects' | 'owns' | 'routes';

/** @public */
export interface TopologyNode {
  id: string;
  kind: TopologyNodeKind;
  name: string;
  /** Empty for external nodes. */
  namespace: string;
  metrics: TrafficMetrics;
  /** Pod: `nodeName`, `ip`; workload: `workloadKind`. */
  details?: Record<string, string>;
  /** OAP layers that reported the node, see `TopologyEdge.seenBy`. */
  seenBy?: string[];
  /** Metrics of the layers after the first, see `TopologyEdge.layers`. */
  layers?: Record<string, TrafficMetrics>;
}

/** @public */
export interface TopologyEdge {
  id: string;
  source: string;
  target: string;
  kind: TopologyEdgeKind;
  /**
   * The edge's metrics: those of `seenBy[0]`, its first layer in
   * `LAYER_PRIORITY` (K8S_SERVICE before GENERAL), with unlayered input
   * merged in.
   */
  metrics: TrafficMetrics;
  /**
   * Calls only: the OAP layers that saw the call, first by `LAYER_PRIORITY`.
   * A call seen by the Kubernetes layer and by the agents is one edge.
   */
  seenBy?: string[];
  /**
   * The metrics of the layers of `seenBy` after the first (whose metrics are
   * `metrics`, so they are not sent twice); `metricsByLayer` gives all.
   */
  layers?: Record<string, TrafficMetrics>;
}

/** @public */
export interface UnresolvedSample {
  source: string;
  target: string;
  reason: string;
  cpm?: number;
}

/** @public */
export interface TopologyGraph {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
  /** Relations that could not be resolved to nodes: counted and sampled. */
  unresolved: { count: number; samples: UnresolvedSample[] };
  /** Traffic deliberately not drawn as a call, counted. */
  skipped: { sidecarInternal: number };
  /** Set by `boundTopology` when it dropped nodes or edges. */
  truncated?: { nodes: number; edges: number };
  generatedAt: string;
  window: TopologyWindow;
}
