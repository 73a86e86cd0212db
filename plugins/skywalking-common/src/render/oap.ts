/**
 * OAPServer -> ServiceAccount, Role, RoleBinding, Deployment(s), Service, Ingress.
 * Follows SWCK's manifests (names, labels, ports, probes, clustering env) and adds
 * role split, scheduling settings, static-config checksum rolling, pause, and
 * dynamic configuration through OAP's k8s-configmap module.
 */
import { DEFAULT_IMAGES, PORTS } from '../crds/constants';
import type { EnvVar, K8sObject, OAPServer, OAPServerConfig, Storage } from '../crds/types';
import {
  CONFIG_CHECKSUM_ANNOTATION,
  LABEL_PREFIX,
  OAP_ROLE_LABEL,
  RenderableCR,
  commonLabels,
  configChecksum,
  ingress,
  mergeEnv,
  objectMeta,
  scheduling,
  serviceSpec,
  spreadAffinity,
} from './common';
import { applicableStaticConfigs, oapClusterSelector, selectorString } from './config';
import { storageEnv } from './storage';

export type OAPRole = 'Mixed' | 'Receiver' | 'Aggregator';

export interface OAPRenderOptions {
  /** OAPServerConfigs of the namespace; those that apply (see applicableStaticConfigs) are merged in and checksummed */
  staticConfigs?: OAPServerConfig[];
  /** the Storage named by spec.storage.name, resolved by the caller (spec.storage.injectstorage is used otherwise) */
  storage?: Storage;
  /** k8s-configmap refresh period in seconds (default 60, OAP's default) */
  dynamicConfigPeriodSeconds?: number;
}

export function oapImage(cr: RenderableCR<OAPServer['spec']>): string {
  return cr.spec.image || `${DEFAULT_IMAGES.oap}:${cr.spec.version}`;
}

/** Deployment names per role: `<name>-oap` when mixed (as SWCK), `<name>-oap-receiver` and `<name>-oap-aggregator` when split. */
export function oapDeployments(cr: RenderableCR<OAPServer['spec']>): { name: string; role: OAPRole; replicas: number }[] {
  const name = cr.metadata.name;
  const paused = cr.spec.paused === true;
  const scale = (n: number) => (paused ? 0 : Math.max(0, n));
  if (cr.spec.roleSplit?.enabled) {
    return [
      { name: `${name}-oap-receiver`, role: 'Receiver', replicas: scale(cr.spec.instances) },
      { name: `${name}-oap-aggregator`, role: 'Aggregator', replicas: scale(cr.spec.roleSplit.aggregators ?? 1) },
    ];
  }
  return [{ name: `${name}-oap`, role: 'Mixed', replicas: scale(cr.spec.instances) }];
}

/** The env of OAP containers (before the role), in precedence order: SWCK defaults < storage < spec.config < OAPServerConfig env. */
export function oapEnv(cr: RenderableCR<OAPServer['spec']>, options: OAPRenderOptions = {}): EnvVar[] {
  const name = cr.metadata.name;
  const ns = cr.metadata.namespace ?? 'default';
  const memoryLimit = cr.spec.resources?.limits?.memory;
  const defaults: EnvVar[] = [
    // with a memory limit, size the heap from it; otherwise SWCK's fixed heap
    { name: 'JAVA_OPTS', value: memoryLimit ? '-XX:MaxRAMPercentage=75.0' : '-Xmx2048M' },
    { name: 'SW_CLUSTER', value: 'kubernetes' },
    { name: 'SW_CLUSTER_K8S_NAMESPACE', value: ns },
    { name: 'SW_CLUSTER_K8S_LABEL', value: selectorString(oapClusterSelector(name)) },
    { name: 'SKYWALKING_COLLECTOR_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
    { name: 'SW_TELEMETRY', value: 'prometheus' },
    { name: 'SW_HEALTH_CHECKER', value: 'default' },
    // dynamic configuration: ConfigMaps in SW_CLUSTER_K8S_NAMESPACE matching SW_CLUSTER_K8S_LABEL
    { name: 'SW_CONFIGURATION', value: 'k8s-configmap' },
    { name: 'SW_CONFIG_CONFIGMAP_PERIOD', value: String(options.dynamicConfigPeriodSeconds ?? 60) },
  ];
  const storage = options.storage ?? (cr.spec.storage?.injectstorage?.spec ? ({ metadata: { name: cr.spec.storage.name ?? name, ...(cr.spec.storage.injectstorage.metadata ?? {}) }, spec: cr.spec.storage.injectstorage.spec } as Storage) : undefined);
  const statics = applicableStaticConfigs(cr as OAPServer, options.staticConfigs);
  return mergeEnv(defaults, storage ? storageEnv(storage) : [], cr.spec.config, ...statics.map(c => c.spec.env));
}

export function renderOAPServer(cr: RenderableCR<OAPServer['spec']>, options: OAPRenderOptions = {}): K8sObject[] {
  const name = cr.metadata.name;
  const ns = cr.metadata.namespace ?? 'default';
  const image = oapImage(cr);
  const clusterSelector = oapClusterSelector(name);
  const base = { ...commonLabels(cr, 'skywalking-oap', cr.spec.version), ...clusterSelector, [`${LABEL_PREFIX}/application`]: 'oapserver' };
  const sa = `${name}-oap`;
  const env = oapEnv(cr, options);
  const statics = applicableStaticConfigs(cr as OAPServer, options.staticConfigs);

  // static files: one ConfigMap per OAPServerConfig (see renderOAPServerConfig), mounted with subPath as SWCK does
  const volumes: any[] = [];
  const mounts: any[] = [];
  for (const c of statics) {
    const files = (c.spec.file ?? []).filter(f => f.name);
    if (!files.length) continue;
    volumes.push({ name: `config-${c.metadata.name}`.slice(0, 63).replace(/-+$/, ''), configMap: { name: c.metadata.name } });
    for (const f of files) mounts.push({ name: volumes[volumes.length - 1].name, mountPath: `${(f.path || '/skywalking/config').replace(/\/+$/, '')}/${f.name}`, subPath: f.name });
  }
  const tls = !!(options.storage?.spec.security?.tls ?? cr.spec.storage?.injectstorage?.spec?.security?.tls);
  if (tls) {
    volumes.push({ name: 'cert', secret: { secretName: 'skywalking-storage' } });
    mounts.push({ name: 'cert', mountPath: '/skywalking/p12' });
  }
  // everything that changes the pods' configuration, so a change rolls them
  const checksum = configChecksum({ image, env, files: statics.map(c => ({ name: c.metadata.name, file: c.spec.file ?? [] })) });

  const probe = (initialDelaySeconds: number) => ({ tcpSocket: { port: PORTS.oapRest }, initialDelaySeconds, periodSeconds: 10, failureThreshold: 10 });
  const split = !!cr.spec.roleSplit?.enabled;
  const objects: K8sObject[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: objectMeta(cr, sa, { ...base, [`${LABEL_PREFIX}/component`]: 'rbac' }) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: objectMeta(cr, sa, { ...base, [`${LABEL_PREFIX}/component`]: 'rbac' }),
      // the kubernetes cluster coordinator watches peer pods; k8s-configmap reads ConfigMaps
      rules: [{ apiGroups: [''], resources: ['pods', 'endpoints', 'services', 'configmaps'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: objectMeta(cr, sa, { ...base, [`${LABEL_PREFIX}/component`]: 'rbac' }),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
    },
  ];

  for (const d of oapDeployments(cr)) {
    const selector = split ? { ...clusterSelector, [OAP_ROLE_LABEL]: d.role.toLowerCase() } : clusterSelector;
    const podLabels = { ...base, ...(split ? { [OAP_ROLE_LABEL]: d.role.toLowerCase() } : {}), [`${LABEL_PREFIX}/component`]: 'pod' };
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: objectMeta(cr, d.name, { ...base, ...(split ? { [OAP_ROLE_LABEL]: d.role.toLowerCase() } : {}), [`${LABEL_PREFIX}/component`]: 'deployment' }),
      spec: {
        replicas: d.replicas,
        minReadySeconds: 5,
        progressDeadlineSeconds: 600,
        // never fewer ready pods than desired during a roll: no lost requests
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: podLabels, annotations: { [CONFIG_CHECKSUM_ANNOTATION]: checksum } },
          spec: {
            serviceAccountName: sa,
            terminationGracePeriodSeconds: 60,
            ...scheduling(cr.spec, spreadAffinity(selector)),
            containers: [
              {
                name: 'oap',
                image,
                imagePullPolicy: 'IfNotPresent',
                ports: [
                  { containerPort: PORTS.oapGrpc, name: 'grpc' },
                  { containerPort: PORTS.oapRest, name: 'rest' },
                  { containerPort: PORTS.oapMonitoring, name: 'http-monitoring' },
                ],
                livenessProbe: probe(5),
                startupProbe: probe(10),
                readinessProbe: probe(5),
                ...(cr.spec.resources && Object.keys(cr.spec.resources).length ? { resources: cr.spec.resources } : {}),
                env: [...env, { name: 'SW_CORE_ROLE', value: d.role }],
                ...(mounts.length ? { volumeMounts: mounts } : {}),
              },
            ],
            ...(volumes.length ? { volumes } : {}),
          },
        },
      },
    });
  }

  // agents and queries go to Mixed pods, or to Receivers when split (Aggregators take no agent data)
  const serviceSelector = split ? { ...clusterSelector, [OAP_ROLE_LABEL]: 'receiver' } : clusterSelector;
  objects.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(cr, `${name}-oap`, { ...base, [`${LABEL_PREFIX}/component`]: 'service' }),
    spec: serviceSpec(cr.spec.service?.template, serviceSelector, [
      { port: PORTS.oapRest, name: 'rest', targetPort: PORTS.oapRest },
      { port: PORTS.oapGrpc, name: 'grpc', targetPort: PORTS.oapGrpc },
      { port: PORTS.oapMonitoring, name: 'http-monitoring', targetPort: PORTS.oapMonitoring },
      { port: PORTS.oapAdmin, name: 'admin', targetPort: PORTS.oapAdmin },
    ]),
  });
  const ing = cr.spec.service?.ingress;
  if (ing?.host) objects.push(ingress(cr, `${name}-oap`, { ...base, [`${LABEL_PREFIX}/component`]: 'ingress' }, ing, `${name}-oap`, PORTS.oapRest));
  return objects;
}
