/**
 * Pure functions from a SWCK custom object to the Kubernetes objects that
 * realise it, following SWCK's own manifests (names, labels, ports, env).
 * The operator server-side applies their output; unit tests pin it.
 */

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

/** FNV-1a: a stable, dependency-free checksum of the pod-affecting config. */
export function checksum(value: unknown): string {
  let h = 0x811c9dc5;
  for (const ch of JSON.stringify(value)) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** OAPServer: ServiceAccount and RBAC for the Kubernetes cluster coordinator, Deployment, Service. */
export function renderOAPServer(cr: CustomObject, opts: { staticConfig?: { name: string; value?: string }[] } = {}): KubeObject[] {
  const name = cr.metadata.name;
  const ns = cr.metadata.namespace;
  const selector = { app: 'oap', 'operator.skywalking.apache.org/oap-server-name': name };
  const labels = { ...selector, 'operator.skywalking.apache.org/application': 'oapserver' };
  const image = cr.spec.image || `apache/skywalking-oap-server:${cr.spec.version}`;
  const env = [
    { name: 'JAVA_OPTS', value: '-Xmx2048M' },
    { name: 'SW_CLUSTER', value: 'kubernetes' },
    { name: 'SW_CLUSTER_K8S_NAMESPACE', value: ns },
    { name: 'SW_CLUSTER_K8S_LABEL', value: `app=oap,operator.skywalking.apache.org/oap-server-name=${name}` },
    { name: 'SKYWALKING_COLLECTOR_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
    { name: 'SW_TELEMETRY', value: 'prometheus' },
    { name: 'SW_HEALTH_CHECKER', value: 'default' },
    // dynamic configuration comes from ConfigMaps (OAPServerDynamicConfig), read without restart
    { name: 'SW_CONFIGURATION', value: 'k8s-configmap' },
    { name: 'SW_CONFIG_CONFIGMAP_PERIOD', value: '60' },
  ];
  const byName = new Map(env.map(e => [e.name, e]));
  for (const e of [...(opts.staticConfig ?? []), ...(cr.spec.config ?? [])]) byName.set(e.name, e);
  const probe = { tcpSocket: { port: 12800 }, initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 10 };
  return [
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
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(cr, `${name}-oap`, { ...labels, 'operator.skywalking.apache.org/component': 'deployment' }),
      spec: {
        replicas: cr.spec.instances ?? 1,
        minReadySeconds: 5,
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: { ...labels, 'operator.skywalking.apache.org/component': 'pod', 'app.kubernetes.io/part-of': name },
            // static configuration rolls the pods when it changes
            annotations: { 'skywalking-backstage.io/config-checksum': checksum([image, [...byName.values()]]) },
          },
          spec: {
            serviceAccountName: `${name}-oap`,
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 1, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
                ],
              },
            },
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
                livenessProbe: probe,
                readinessProbe: probe,
                startupProbe: { ...probe, initialDelaySeconds: 10 },
                env: [...byName.values()],
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(cr, `${name}-oap`, labels),
      spec: {
        type: cr.spec.service?.template?.type ?? 'ClusterIP',
        selector,
        ports: [
          { name: 'grpc', port: 11800, targetPort: 11800 },
          { name: 'rest', port: 12800, targetPort: 12800 },
          { name: 'http-monitoring', port: 1234, targetPort: 1234 },
        ],
      },
    },
  ];
}

/** UI: Deployment and Service (the booster UI, OAP address by env). */
export function renderUI(cr: CustomObject): KubeObject[] {
  const name = cr.metadata.name;
  const selector = { app: 'ui', 'operator.skywalking.apache.org/ui-name': name };
  const labels = { ...selector, 'operator.skywalking.apache.org/application': 'ui' };
  const image = cr.spec.image || `apache/skywalking-ui:${cr.spec.version}`;
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
            containers: [
              {
                name: 'ui',
                image,
                ports: [{ containerPort: 8080, name: 'page' }],
                env: [{ name: 'SW_OAP_ADDRESS', value: cr.spec.OAPServerAddress ?? `http://${name}-oap.${cr.metadata.namespace}:12800` }],
                readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 10 },
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
  const host = cr.spec.service?.ingress?.host;
  if (host) {
    objects.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta(cr, `${name}-ui`, labels),
      spec: {
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
  return [
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
            affinity: cr.spec.affinity && Object.keys(cr.spec.affinity).length ? cr.spec.affinity : undefined,
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
 * Status of a CR from its workload (Deployment or StatefulSet): replicas and
 * Ready / Progressing / Degraded conditions with reasons.
 */
export function computeStatus(cr: CustomObject, workload: any | undefined, now = new Date()): { availableReplicas: number; conditions: Condition[] } {
  const desired = workload?.spec?.replicas ?? 0;
  const available = workload?.status?.availableReplicas ?? workload?.status?.readyReplicas ?? 0;
  const updated = workload?.status?.updatedReplicas ?? 0;
  const observed = workload?.status?.observedGeneration === workload?.metadata?.generation;
  const gen = cr.metadata.generation;
  const t = now.toISOString();
  const prior: Condition[] = cr.status?.conditions ?? [];
  const keep = (c: Condition): Condition => {
    const old = prior.find(p => p.type === c.type);
    return { ...c, observedGeneration: gen, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime ?? t : t };
  };
  if (!workload) {
    return {
      availableReplicas: 0,
      conditions: [
        keep({ type: 'Ready', status: 'False', reason: 'Creating', message: 'workload not created yet' }),
        keep({ type: 'Progressing', status: 'True', reason: 'Creating', message: 'creating workload' }),
        keep({ type: 'Degraded', status: 'False', reason: 'Creating', message: '' }),
      ],
    };
  }
  const deadlineExceeded = (workload.status?.conditions ?? []).some((c: any) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  const ready = observed && available >= desired && updated >= desired;
  return {
    availableReplicas: available,
    conditions: [
      keep(ready
        ? { type: 'Ready', status: 'True', reason: desired === 0 ? 'ScaledToZero' : 'AllReplicasReady', message: `${available}/${desired} replicas available` }
        : { type: 'Ready', status: 'False', reason: 'ReplicasNotReady', message: `${available}/${desired} replicas available` }),
      keep(ready
        ? { type: 'Progressing', status: 'False', reason: 'Converged', message: '' }
        : { type: 'Progressing', status: 'True', reason: 'RollingOut', message: `${updated}/${desired} replicas updated` }),
      keep(deadlineExceeded
        ? { type: 'Degraded', status: 'True', reason: 'ProgressDeadlineExceeded', message: 'new pods did not become ready in time' }
        : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' }),
    ],
  };
}
