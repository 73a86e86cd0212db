/**
 * Pure functions from a SWCK custom object to the Kubernetes objects that
 * realise it, following SWCK's own manifests (names, labels, ports, env).
 * The operator server-side applies their output; unit tests pin it.
 */
import {
  DEFAULT_TARGET_CPU_UTILIZATION,
  OAPAutoscaling,
  OAPDisruptionBudget,
  OAPRoleSplit,
  OAPTopologySpread,
  PodScheduling,
  splitOAPReplicas,
} from '../backendSpec';
import { addBanyanDBTls, addOapTls } from './tls';
import { addStorageTls } from './storageTls';
import { oapHpaSpec } from './autoscaling';
import { jsonAnnotation } from '../fields';

export const MANAGED_BY = 'skywalking-backstage';
export const SWCK_API_VERSION = 'operator.skywalking.apache.org/v1alpha1';

export interface CustomObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid?: string; generation?: number; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: any;
  status?: any;
}

export type KubeObject = { apiVersion: string; kind: string; metadata: any; [k: string]: any };

function ownerRef(cr: CustomObject) {
  return [{ apiVersion: cr.apiVersion, kind: cr.kind, name: cr.metadata.name, uid: cr.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }];
}

function meta(cr: CustomObject, name: string, labels: Record<string, string>, extra: Record<string, unknown> = {}) {
  return {
    name,
    namespace: cr.metadata.namespace,
    labels: { ...labels, 'app.kubernetes.io/managed-by': MANAGED_BY, 'app.kubernetes.io/instance': cr.metadata.name },
    ownerReferences: ownerRef(cr),
    ...extra,
  };
}

/**
 * A component's PodScheduling (JSON) on its custom object. SWCK's OAPServer
 * and UI CRDs have no such fields (the API server would prune them), so the
 * portal records them here and the renderers read them.
 */
export const SCHEDULING_ANNOTATION = 'skywalking-backstage.io/scheduling';
/** The OAPServer's OAPRoleSplit (JSON): Receiver and Aggregator Deployments instead of one Mixed. */
export const ROLE_SPLIT_ANNOTATION = 'skywalking-backstage.io/role-split';
/** The OAPServer's OAPAutoscaling (JSON): an HPA owns the replicas of the Mixed or Receiver Deployment. */
export const AUTOSCALING_ANNOTATION = 'skywalking-backstage.io/autoscaling';
/** The OAPServer's OAPDisruptionBudget (JSON): maxUnavailable of the PodDisruptionBudget of each OAP Deployment. */
export const DISRUPTION_BUDGET_ANNOTATION = 'skywalking-backstage.io/disruption-budget';
/** The OAPServer's OAPTopologySpread (JSON): the zone key OAP pods spread over, beside nodes. */
export const TOPOLOGY_SPREAD_ANNOTATION = 'skywalking-backstage.io/topology-spread';
/** Pod label telling the roles apart when OAP is split. */
export const OAP_ROLE_LABEL = 'operator.skywalking.apache.org/oap-role';


/** The PodScheduling recorded on a custom object (empty when none or unreadable). */
export function schedulingOf(cr: CustomObject): PodScheduling {
  return jsonAnnotation<PodScheduling>(cr, SCHEDULING_ANNOTATION) ?? {};
}

/** The role split recorded on an OAPServer, when enabled. */
export function roleSplitOf(cr: CustomObject): OAPRoleSplit | undefined {
  const rs = jsonAnnotation<OAPRoleSplit>(cr, ROLE_SPLIT_ANNOTATION);
  return rs?.enabled === true ? rs : undefined;
}

/** The autoscaling recorded on an OAPServer, when enabled (and readable). */
export function autoscalingOf(cr: CustomObject): OAPAutoscaling | undefined {
  const a = jsonAnnotation<OAPAutoscaling>(cr, AUTOSCALING_ANNOTATION);
  return a?.enabled === true && Number.isInteger(a.minReplicas) && Number.isInteger(a.maxReplicas) ? a : undefined;
}

/** The disruption budget recorded on an OAPServer (empty: the defaults). */
export function disruptionBudgetOf(cr: CustomObject): OAPDisruptionBudget {
  return jsonAnnotation<OAPDisruptionBudget>(cr, DISRUPTION_BUDGET_ANNOTATION) ?? {};
}

/** The topology spread recorded on an OAPServer (empty: over nodes only). */
export function topologySpreadOf(cr: CustomObject): OAPTopologySpread {
  return jsonAnnotation<OAPTopologySpread>(cr, TOPOLOGY_SPREAD_ANNOTATION) ?? {};
}

export type OAPRole = 'Mixed' | 'Receiver' | 'Aggregator';

/**
 * The OAP Deployments of an OAPServer: `<name>-oap` (Mixed, as SWCK), or
 * `<name>-oap-receiver` and `<name>-oap-aggregator` with `spec.instances`
 * split by the recorded ratio or counts. `autoscaling` marks the one an HPA
 * scales (Mixed, or the Receivers: Aggregators hold aggregation state and
 * keep their count); none while the backend is scaled to zero (paused).
 */
export function oapDeployments(cr: CustomObject): { name: string; role: OAPRole; replicas: number; autoscaling?: OAPAutoscaling }[] {
  const name = cr.metadata.name;
  const total = cr.spec.instances ?? 1;
  const split = roleSplitOf(cr);
  const auto = total > 0 ? autoscalingOf(cr) : undefined;
  const scaled = auto ? { autoscaling: auto } : {};
  if (!split) return [{ name: `${name}-oap`, role: 'Mixed', replicas: total, ...scaled }];
  const { receivers, aggregators } = splitOAPReplicas(total, split);
  return [
    { name: `${name}-oap-receiver`, role: 'Receiver', replicas: receivers, ...(receivers > 0 ? scaled : {}) },
    { name: `${name}-oap-aggregator`, role: 'Aggregator', replicas: aggregators },
  ];
}

/**
 * The OAP pods' spreading: at most one pod more on a node than on any other
 * (soft: ScheduleAnyway, as SWCK's preferred anti-affinity was), and over
 * zones as well when a zone key is recorded.
 */
export function oapTopologySpread(selector: Record<string, string>, spread: OAPTopologySpread): Record<string, any>[] {
  const keys = ['kubernetes.io/hostname', ...(spread.zoneKey ? [spread.zoneKey] : [])];
  return keys.map(topologyKey => ({ maxSkew: 1, topologyKey, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } }));
}

/** Pod spec fields of a PodScheduling; `affinity` falls back to `defaultAffinity`. */
export function podSchedulingFields(s: PodScheduling, defaultAffinity?: Record<string, any>): Record<string, any> {
  const affinity = s.affinity && Object.keys(s.affinity).length ? s.affinity : defaultAffinity;
  return {
    ...(affinity ? { affinity } : {}),
    ...(s.tolerations?.length ? { tolerations: s.tolerations } : {}),
    ...(s.nodeSelector && Object.keys(s.nodeSelector).length ? { nodeSelector: s.nodeSelector } : {}),
  };
}

/** Container `resources` of a PodScheduling, when any are given. */
function containerResources(s: PodScheduling): Record<string, any> {
  const r = s.resources;
  return r && (Object.keys(r.requests ?? {}).length || Object.keys(r.limits ?? {}).length) ? { resources: r } : {};
}

/** FNV-1a: a stable, dependency-free checksum of the pod-affecting config. */
export function checksum(value: unknown): string {
  let h = 0x811c9dc5;
  for (const ch of JSON.stringify(value)) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Whether an OAP version serves its health checker over HTTP (`GET /healthcheck` on 12800, 200 or 503): 10.1.0 and later. */
export function oapHasHealthcheckEndpoint(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj > 10 || (maj === 10 && min >= 1);
}

/**
 * OAP's probes. Readiness is OAP's own health checker where the version
 * serves it (`/healthcheck`: 503 until its modules, storage included, are
 * healthy), else the REST port. The startup probe allows ten minutes: a
 * first start creates the storage schema and compiles OAP's rules, which
 * takes minutes on a small node; liveness only applies after it.
 */
function oapProbes(version: string | undefined, tcp: Record<string, unknown>) {
  const readinessProbe = oapHasHealthcheckEndpoint(version)
    ? { httpGet: { path: '/healthcheck', port: 12800 }, initialDelaySeconds: 5, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 }
    : tcp;
  return {
    livenessProbe: tcp,
    readinessProbe,
    startupProbe: { tcpSocket: { port: 12800 }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 60 },
  };
}

/** labels naming the OAPServer on its cluster-scoped RBAC (no namespaced owner can own it; found and deleted by them) */
export const OAP_BACKEND_NAMESPACE_LABEL = 'skywalking-backstage.io/backend-namespace';
export const OAP_BACKEND_NAME_LABEL = 'skywalking-backstage.io/backend-name';

/** Name of an OAPServer's ClusterRole and ClusterRoleBinding: cluster-scoped, so it carries the namespace. */
export function oapClusterRbacName(namespace: string, name: string): string {
  return `skywalking-oap-${namespace}-${name}`;
}

/**
 * Cluster-wide read of pods, Services and Endpoints for an OAPServer's
 * ServiceAccount: the part of SWCK's OAPServer ClusterRole (swck:oapserver)
 * OAP uses beyond its namespace.
 * OAP 10.1.0 needs it beyond its namespace: the access-log receiver
 * resolves a peer IP to a pod and Service in any namespace
 * (library-kubernetes-support KubernetesPods/KubernetesServices list
 * `inAnyNamespace`, via K8sInfoRegistry). Cluster-scoped: no namespace and
 * no owner reference (the garbage collector ignores a namespaced owner of a
 * cluster-scoped object); labelled with the OAPServer and deleted with the
 * backend. One per OAPServer, not SWCK's single shared binding, whose
 * subject the last OAPServer would overwrite.
 */
export function renderOAPClusterRbac(cr: CustomObject, labels: Record<string, string>): KubeObject[] {
  const { name, namespace } = cr.metadata;
  const clusterName = oapClusterRbacName(namespace, name);
  const metadata = {
    name: clusterName,
    labels: {
      ...labels,
      'app.kubernetes.io/managed-by': MANAGED_BY,
      'app.kubernetes.io/instance': name,
      [OAP_BACKEND_NAMESPACE_LABEL]: namespace,
      [OAP_BACKEND_NAME_LABEL]: name,
    },
  };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata,
      rules: [{ apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
      subjects: [{ kind: 'ServiceAccount', name: `${name}-oap`, namespace }],
    },
  ];
}

/**
 * OAPServer: ServiceAccount and RBAC for the Kubernetes cluster coordinator,
 * the OAP Deployment(s) (one Mixed, or Receivers and Aggregators when the
 * role split is recorded) and Services. Split, `<name>-oap` (gRPC 11800,
 * HTTP 12800 for agent data, monitoring) selects the Receivers and
 * `<name>-oap-query` (HTTP 12800, GraphQL for the UI) the Aggregators; every
 * pod's cluster coordinator selects the Aggregators, the nodes that take L2
 * aggregation (SkyWalking's advanced deployment: the label selector is the
 * Aggregator selection rule).
 */
export function renderOAPServer(cr: CustomObject, opts: { staticConfig?: { name: string; value?: string }[] } = {}): KubeObject[] {
  const name = cr.metadata.name;
  const ns = cr.metadata.namespace;
  const selector = { app: 'oap', 'operator.skywalking.apache.org/oap-server-name': name };
  const labels = { ...selector, 'operator.skywalking.apache.org/application': 'oapserver' };
  const image = cr.spec.image || `apache/skywalking-oap-server:${cr.spec.version}`;
  const sched = schedulingOf(cr);
  const deployments = oapDeployments(cr);
  const split = deployments.length > 1;
  const roleSelector = (role: OAPRole) => (role === 'Mixed' ? selector : { ...selector, [OAP_ROLE_LABEL]: role.toLowerCase() });
  const clusterSelector = split ? roleSelector('Aggregator') : selector;
  const env = [
    // with a memory limit the heap follows it; otherwise SWCK's fixed heap
    { name: 'JAVA_OPTS', value: sched.resources?.limits?.memory ? '-XX:MaxRAMPercentage=75.0' : '-Xmx2048M' },
    { name: 'SW_CLUSTER', value: 'kubernetes' },
    { name: 'SW_CLUSTER_K8S_NAMESPACE', value: ns },
    { name: 'SW_CLUSTER_K8S_LABEL', value: Object.entries(clusterSelector).map(([k, v]) => `${k}=${v}`).join(',') },
    { name: 'SKYWALKING_COLLECTOR_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
    { name: 'SW_TELEMETRY', value: 'prometheus' },
    { name: 'SW_HEALTH_CHECKER', value: 'default' },
    // dynamic configuration comes from ConfigMaps (OAPServerDynamicConfig), read without restart
    { name: 'SW_CONFIGURATION', value: 'k8s-configmap' },
    { name: 'SW_CONFIG_CONFIGMAP_PERIOD', value: '60' },
  ];
  const byName = new Map<string, any>(env.map(e => [e.name, e]));
  for (const e of [...(opts.staticConfig ?? []), ...(cr.spec.config ?? [])]) byName.set(e.name, e);
  const probe = { tcpSocket: { port: 12800 }, initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 10 };
  const probes = oapProbes(cr.spec.version, probe);
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(cr, `${name}-oap`, labels) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(cr, `${name}-oap`, labels),
      // OAP's kubernetes coordinator lists its peers; k8s-configmap reads ConfigMaps
      rules: [
        { apiGroups: [''], resources: ['pods', 'endpoints', 'services'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(cr, `${name}-oap`, labels),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-oap` },
      subjects: [{ kind: 'ServiceAccount', name: `${name}-oap`, namespace: ns }],
    },
    ...renderOAPClusterRbac(cr, labels),
  ];
  const scaling: KubeObject[] = [];
  const spread = topologySpreadOf(cr);
  for (const d of deployments) {
    const podSelector = roleSelector(d.role);
    const roleLabels = { ...labels, ...podSelector };
    const podEnv = [...byName.values(), ...(split ? [{ name: 'SW_CORE_ROLE', value: d.role }] : [])];
    scaling.push(...oapScalingObjects(cr, d, podSelector, roleLabels));
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(cr, d.name, { ...roleLabels, 'operator.skywalking.apache.org/component': 'deployment' }),
      spec: {
        // an HPA owns the replicas of an autoscaled Deployment: not set here, so applying never fights it
        ...(d.autoscaling ? {} : { replicas: d.replicas }),
        minReadySeconds: 5,
        selector: { matchLabels: podSelector },
        template: {
          metadata: {
            labels: { ...roleLabels, 'operator.skywalking.apache.org/component': 'pod', 'app.kubernetes.io/part-of': name },
            // static configuration rolls the pods when it changes
            annotations: { 'skywalking-backstage.io/config-checksum': checksum([image, podEnv]) },
          },
          spec: {
            serviceAccountName: `${name}-oap`,
            // spread by topologySpreadConstraints (below), not a default anti-affinity; a given affinity applies as it is
            ...podSchedulingFields(sched),
            topologySpreadConstraints: oapTopologySpread(podSelector, spread),
            containers: [
              {
                name: 'oap',
                image,
                imagePullPolicy: 'IfNotPresent',
                ports: [
                  { containerPort: 11800, name: 'grpc' },
                  { containerPort: 12800, name: 'rest' },
                  { containerPort: 1234, name: 'http-monitoring' },
                ],
                ...probes,
                ...containerResources(sched),
                env: podEnv,
              },
            ],
          },
        },
      },
    });
  }
  // TLS recorded on the OAPServer: certificate Secret, gRPC SSL env, checksum (tls.ts)
  for (const d of objects.filter(o => o.kind === 'Deployment')) addOapTls(cr, d);
  // TLS to external storage recorded on the OAPServer: CA mount, truststore init container, env (storageTls.ts)
  for (const d of objects.filter(o => o.kind === 'Deployment')) addStorageTls(cr, d);
  objects.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(cr, `${name}-oap`, labels),
    spec: {
      type: cr.spec.service?.template?.type ?? 'ClusterIP',
      // agents (gRPC and HTTP) reach the Receivers when split
      selector: split ? roleSelector('Receiver') : selector,
      ports: [
        { name: 'grpc', port: 11800, targetPort: 11800 },
        { name: 'rest', port: 12800, targetPort: 12800 },
        { name: 'http-monitoring', port: 1234, targetPort: 1234 },
      ],
    },
  });
  if (split) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(cr, `${name}-oap-query`, labels),
      spec: { type: 'ClusterIP', selector: roleSelector('Aggregator'), ports: [{ name: 'rest', port: 12800, targetPort: 12800 }] },
    });
  }
  return [...objects, ...scaling];
}

/**
 * The PodDisruptionBudget and HorizontalPodAutoscaler of one OAP Deployment,
 * named as it. A PDB (maxUnavailable 1 unless recorded otherwise) whenever
 * the Deployment may run more than one pod: a drain then takes them one at a
 * time; with one pod none (it would block drains, or protect nothing). An HPA
 * (autoscaling/v2: CPU and/or OAP's own load, operator/autoscaling.ts) when the Deployment is autoscaled.
 */
function oapScalingObjects(
  cr: CustomObject,
  d: { name: string; replicas: number; autoscaling?: OAPAutoscaling },
  podSelector: Record<string, string>,
  labels: Record<string, string>,
): KubeObject[] {
  const out: KubeObject[] = [];
  const most = d.autoscaling ? d.autoscaling.maxReplicas : d.replicas;
  if (most > 1) {
    out.push({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(cr, d.name, labels),
      spec: { maxUnavailable: disruptionBudgetOf(cr).maxUnavailable ?? 1, selector: { matchLabels: podSelector } },
    });
  }
  if (d.autoscaling) {
    const a = d.autoscaling;
    out.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta(cr, d.name, labels),
      spec: oapHpaSpec(a, d.name, DEFAULT_TARGET_CPU_UTILIZATION),
    });
  }
  return out;
}

/** UI: Deployment and Service (the booster UI, OAP address by env). */
export function renderUI(cr: CustomObject): KubeObject[] {
  const name = cr.metadata.name;
  const selector = { app: 'ui', 'operator.skywalking.apache.org/ui-name': name };
  const labels = { ...selector, 'operator.skywalking.apache.org/application': 'ui' };
  const image = cr.spec.image || `apache/skywalking-ui:${cr.spec.version}`;
  const sched = schedulingOf(cr);
  const objects: KubeObject[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(cr, `${name}-ui`, labels),
      spec: {
        replicas: cr.spec.instances ?? 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...labels, 'app.kubernetes.io/part-of': name } },
          spec: {
            ...podSchedulingFields(sched),
            containers: [
              {
                name: 'ui',
                image,
                ports: [{ containerPort: 8080, name: 'page' }],
                env: [{ name: 'SW_OAP_ADDRESS', value: cr.spec.OAPServerAddress ?? `http://${name}-oap.${cr.metadata.namespace}:12800` }],
                readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 10 },
                ...containerResources(sched),
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(cr, `${name}-ui`, labels),
      spec: { type: cr.spec.service?.template?.type ?? 'ClusterIP', selector, ports: [{ name: 'page', port: 80, targetPort: 8080 }] },
    },
  ];
  const ingress = cr.spec.service?.ingress ?? {};
  const host = ingress.host;
  if (host) {
    objects.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta(cr, `${name}-ui`, labels, ingress.annotations && Object.keys(ingress.annotations).length ? { annotations: ingress.annotations } : {}),
      spec: {
        ...(ingress.ingressClassName ? { ingressClassName: ingress.ingressClassName } : {}),
        ...(ingress.tls?.length ? { tls: ingress.tls } : {}),
        rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: `${name}-ui`, port: { number: 80 } } } }] } }],
      },
    });
  }
  return objects;
}

/** BanyanDB standalone: StatefulSet (with PVCs when storages are given) and its gRPC and HTTP Services. */
export function renderBanyanDB(cr: CustomObject): KubeObject[] {
  const name = cr.metadata.name;
  const selector = { app: 'banyandb', 'operator.skywalking.apache.org/banyandb-name': name };
  const labels = { ...selector, 'operator.skywalking.apache.org/application': 'banyandb' };
  const storages: any[] = cr.spec.storages ?? [];
  const sched = schedulingOf(cr);
  // SWCK's BanyanDB has spec.affinity; the recorded scheduling may add the rest
  const affinity = sched.affinity ?? (cr.spec.affinity && Object.keys(cr.spec.affinity).length ? cr.spec.affinity : undefined);
  const objects: KubeObject[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(cr, `${name}-banyandb`, labels),
      spec: {
        replicas: cr.spec.counts ?? 1,
        serviceName: `${name}-banyandb-grpc`,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...labels, 'app.kubernetes.io/part-of': name } },
          spec: {
            ...podSchedulingFields({ ...sched, affinity }),
            containers: [
              {
                name: 'banyandb',
                image: cr.spec.image || `apache/skywalking-banyandb:${cr.spec.version}`,
                args: cr.spec.config?.length ? cr.spec.config : ['standalone'],
                ports: [
                  { containerPort: 17912, name: 'grpc' },
                  { containerPort: 17913, name: 'http' },
                ],
                readinessProbe: { httpGet: { path: '/api/healthz', port: 17913 }, periodSeconds: 10 },
                ...containerResources(sched),
                volumeMounts: storages.length ? storages.map(s => ({ name: s.name, mountPath: s.path })) : undefined,
              },
            ],
          },
        },
        volumeClaimTemplates: storages.length ? storages.map(s => ({ metadata: { name: s.name }, spec: s.persistentVolumeClaimSpec })) : undefined,
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(cr, `${name}-banyandb-grpc`, labels),
      spec: { selector, ports: [{ name: 'grpc', port: 17912, targetPort: 17912 }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(cr, `${name}-banyandb-http`, labels),
      spec: { selector, ports: [{ name: 'http', port: 17913, targetPort: 17913 }] },
    },
  ];
  // TLS recorded on the BanyanDB: gRPC served with its certificate (tls.ts)
  addBanyanDBTls(cr, objects[0]);
  return objects;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/**
 * Status of a CR from its workload (Deployment or StatefulSet), or from
 * several (the Receiver and Aggregator Deployments of a split OAP): replicas
 * and Ready / Progressing / Degraded conditions with reasons. Ready when every
 * workload has all its replicas available and updated on its observed generation.
 */
export function computeStatus(cr: CustomObject, workload: any | undefined | (any | undefined)[], now = new Date()): { availableReplicas: number; conditions: Condition[] } {
  const workloads: (any | undefined)[] = Array.isArray(workload) ? workload : [workload];
  const gen = cr.metadata.generation;
  const t = now.toISOString();
  const prior: Condition[] = cr.status?.conditions ?? [];
  const keep = (c: Condition): Condition => {
    const old = prior.find(p => p.type === c.type);
    return { ...c, observedGeneration: gen, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime ?? t : t };
  };
  if (!workloads.length || workloads.some(w => !w)) {
    return {
      availableReplicas: workloads.reduce((n, w) => n + availableOf(w), 0),
      conditions: [
        keep({ type: 'Ready', status: 'False', reason: 'Creating', message: 'workload not created yet' }),
        keep({ type: 'Progressing', status: 'True', reason: 'Creating', message: 'creating workload' }),
        keep({ type: 'Degraded', status: 'False', reason: 'Creating', message: '' }),
      ],
    };
  }
  const each = workloads.map(w => {
    const desired = w.spec?.replicas ?? 0;
    const available = availableOf(w);
    const updated = w.status?.updatedReplicas ?? 0;
    const observed = w.status?.observedGeneration === w.metadata?.generation;
    return { desired, available, updated, ready: observed && available >= desired && updated >= desired };
  });
  const sum = (k: 'desired' | 'available' | 'updated') => each.reduce((n, w) => n + w[k], 0);
  const [desired, available, updated] = [sum('desired'), sum('available'), sum('updated')];
  const deadlineExceeded = workloads.some(w => (w.status?.conditions ?? []).some((c: any) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded'));
  const ready = each.every(w => w.ready);
  // with several workloads the message says which has how many
  const detail = workloads.length > 1 ? ` (${workloads.map((w, i) => `${w.metadata?.name ?? i}: ${each[i].available}/${each[i].desired}`).join(', ')})` : '';
  const unavailable = !ready && !deadlineExceeded && lostReplicas(cr, workloads, available, desired);
  const degraded = (): Condition => {
    if (deadlineExceeded) return { type: 'Degraded', status: 'True', reason: 'ProgressDeadlineExceeded', message: 'new pods did not become ready in time' };
    if (unavailable) {
      return { type: 'Degraded', status: 'True', reason: 'ReplicasUnavailable', message: `${available}/${desired} replicas available with no rollout under way: pods stopped being ready${detail}` };
    }
    return { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' };
  };
  const progressing = (): Condition => {
    if (ready) return { type: 'Progressing', status: 'False', reason: 'Converged', message: '' };
    if (unavailable) return { type: 'Progressing', status: 'False', reason: 'NoRollout', message: `${updated}/${desired} replicas updated` };
    return { type: 'Progressing', status: 'True', reason: 'RollingOut', message: `${updated}/${desired} replicas updated` };
  };
  return {
    availableReplicas: available,
    conditions: [
      keep(ready
        ? { type: 'Ready', status: 'True', reason: desired === 0 ? 'ScaledToZero' : 'AllReplicasReady', message: `${available}/${desired} replicas available${detail}` }
        : { type: 'Ready', status: 'False', reason: 'ReplicasNotReady', message: `${available}/${desired} replicas available${detail}` }),
      keep(progressing()),
      keep(degraded()),
    ],
  };
}

/**
 * Available replicas of a Deployment or StatefulSet. A Deployment omits a
 * zero availableReplicas (pods ready but not yet for minReadySeconds): that
 * is 0, not its readyReplicas. Only a StatefulSet of Kubernetes < 1.22 lacks
 * the field; there readyReplicas stands in.
 */
function availableOf(w: any): number {
  if (w?.status?.availableReplicas !== undefined) return w.status.availableReplicas;
  return w?.spec?.updateStrategy ? w.status?.readyReplicas ?? 0 : 0;
}

/**
 * Whether replicas were lost rather than not yet there: every workload is on
 * its current revision (observed, all replicas updated), and fewer are
 * available than the last status reported while Ready (pods failing
 * readiness, deleted, on a lost node) — or the object is already Degraded for
 * that reason and still short. A rollout, a scale-up or a first start is
 * progress, not degradation. SWCK's status schema prunes observedGeneration,
 * so the last reported count (availableReplicas, BanyanDB's available_pods)
 * tells a loss from a scale-up.
 */
function lostReplicas(cr: CustomObject, workloads: any[], available: number, desired: number): boolean {
  const current = workloads.every(w => w.status?.observedGeneration === w.metadata?.generation && (w.status?.updatedReplicas ?? 0) >= (w.spec?.replicas ?? 0));
  if (!current || desired === 0 || available >= desired) return false;
  const prior = (type: string) => (cr.status?.conditions ?? []).find((c: Condition) => c.type === type);
  if (prior('Degraded')?.status === 'True' && prior('Degraded')?.reason === 'ReplicasUnavailable') return true;
  const reported = cr.status?.availableReplicas ?? cr.status?.available_pods;
  return prior('Ready')?.status === 'True' && typeof reported === 'number' && available < reported;
}
