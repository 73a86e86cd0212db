import {
  checksum,
  computeStatus,
  Condition,
  CustomObject,
  KubeObject,
  MANAGED_BY,
  OAP_ROLE_LABEL,
  oapDeployments,
  renderBanyanDB,
  renderOAPServer,
  renderSnapshotCronJob,
  renderUI,
  roleSplitOf,
  withBackupAndRestore,
} from '@skywalking-backstage/plugin-skywalking-common';

import { upgradeConditions } from './upgrade';
import { addUiTemplateCheck } from './uiTemplates';

export const SWCK_GROUP = 'operator.skywalking.apache.org';
export const SWCK_VERSION = 'v1alpha1';
export const SWCK_API_VERSION = `${SWCK_GROUP}/${SWCK_VERSION}`;
export const MANAGED_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

export type ReconciledKind =
  | 'OAPServer'
  | 'UI'
  | 'BanyanDB'
  | 'Storage'
  | 'Satellite'
  | 'OAPServerConfig'
  | 'OAPServerDynamicConfig';

/** Read access to the informer caches, for renderers that depend on other objects. */
export interface CacheView {
  list(kind: string, namespace: string): any[];
  get(kind: string, namespace: string, name: string): any | undefined;
}

/** How one SWCK kind is reconciled: its children, its status, and which other keys it affects. */
export interface KindDef {
  kind: ReconciledKind;
  plural: string;
  render(cr: CustomObject, cache: CacheView): KubeObject[];
  /** the complete status to write, from the CR and the cached children */
  status(cr: CustomObject, cache: CacheView, now: Date): Record<string, any>;
  /** keys of other custom objects to reconcile when this one changes or goes */
  related?(cr: CustomObject, cache: CacheView): string[];
}

// ---------------------------------------------------------------- renderers

function ownerRef(cr: CustomObject) {
  return [{ apiVersion: cr.apiVersion ?? SWCK_API_VERSION, kind: cr.kind, name: cr.metadata.name, uid: cr.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }];
}

function meta(cr: CustomObject, name: string, labels: Record<string, string>) {
  return {
    name,
    namespace: cr.metadata.namespace,
    labels: { ...labels, 'app.kubernetes.io/managed-by': MANAGED_BY, 'app.kubernetes.io/instance': cr.metadata.name },
    ownerReferences: ownerRef(cr),
  };
}

/** OAPServerConfigs that apply to an OAPServer: same namespace and version (as SWCK matches them). */
export function configsFor(oap: CustomObject, cache: CacheView): CustomObject[] {
  return cache
    .list('OAPServerConfig', oap.metadata.namespace)
    .filter(c => c.spec?.version === oap.spec?.version && !c.metadata.deletionTimestamp)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** OAPServer with its OAPServerConfigs overlaid: env as static config, files mounted from the config's ConfigMap. */
export function renderOAPServerWithConfig(cr: CustomObject, cache: CacheView): KubeObject[] {
  const configs = configsFor(cr, cache);
  const staticConfig = configs.flatMap(c => c.spec?.env ?? []);
  const objects = renderOAPServer(cr, { staticConfig });
  const files = configs.flatMap(c => (c.spec?.file ?? []).map((f: any) => ({ ...f, configMap: c.metadata.name })));
  if (files.length) {
    // every OAP Deployment (both roles when split) mounts the files
    for (const d of objects.filter(o => o.kind === 'Deployment')) {
      const pod = d.spec.template.spec;
      // added to what the render mounted (the TLS certificate Secret)
      pod.volumes = [...(pod.volumes ?? []), ...[...new Set(files.map(f => f.configMap))].map(n => ({ name: `config-${n}`, configMap: { name: n } }))];
      pod.containers[0].volumeMounts = [
        ...(pod.containers[0].volumeMounts ?? []),
        ...files.map(f => ({ name: `config-${f.configMap}`, mountPath: `${f.path}/${f.name}`, subPath: f.name })),
      ];
      d.spec.template.metadata.annotations['skywalking-backstage.io/files-checksum'] = checksum(files);
    }
  }
  // JDBC storage: stored UI templates a new version's would conflict with are disabled before OAP starts (uiTemplates.ts)
  for (const d of objects.filter(o => o.kind === 'Deployment')) addUiTemplateCheck(d);
  // external storage with a snapshot schedule: its CronJob (snapshot.ts)
  const snapshots = renderSnapshotCronJob(cr, { 'app.kubernetes.io/managed-by': MANAGED_BY, 'app.kubernetes.io/instance': cr.metadata.name });
  if (snapshots) objects.push(snapshots);
  return objects;
}

/**
 * Satellite: ServiceAccount, Deployment and Service, following SWCK's manifests.
 * Satellite finds its OAP pods by label; when the OAPServer (read from the
 * cache) records the role split, only the Receivers, as agents reach them.
 */
export function renderSatellite(cr: CustomObject, cache?: CacheView): KubeObject[] {
  const name = cr.metadata.name;
  const ns = cr.metadata.namespace;
  const oapName = cr.spec.OAPServerName ?? name;
  const oap = cache?.get('OAPServer', ns, oapName);
  const oapSelector = ['app=oap', `operator.skywalking.apache.org/oap-server-name=${oapName}`, ...(oap && roleSplitOf(oap) ? [`${OAP_ROLE_LABEL}=receiver`] : [])];
  const selector = { app: 'satellite', 'operator.skywalking.apache.org/satellite-server-name': name };
  const labels = { ...selector, 'operator.skywalking.apache.org/application': 'satellite' };
  const image = cr.spec.image || `apache/skywalking-satellite:v${cr.spec.version}`;
  const env = [
    { name: 'SATELLITE_GRPC_CLIENT_FINDER', value: 'kubernetes' },
    { name: 'SATELLITE_GRPC_CLIENT_KUBERNETES_NAMESPACE', value: ns },
    { name: 'SATELLITE_GRPC_CLIENT_KUBERNETES_KIND', value: 'pod' },
    { name: 'SATELLITE_GRPC_CLIENT_KUBERNETES_SELECTOR_LABEL', value: oapSelector.join(',') },
    { name: 'SATELLITE_GRPC_CLIENT_KUBERNETES_EXTRA_PORT', value: '11800' },
  ];
  const byName = new Map(env.map(e => [e.name, e]));
  for (const e of cr.spec.config ?? []) byName.set(e.name, e);
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(cr, `${name}-satellite`, labels) },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(cr, `${name}-satellite`, { ...labels, 'operator.skywalking.apache.org/component': 'deployment' }),
      spec: {
        replicas: cr.spec.instances ?? 1,
        minReadySeconds: 5,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...labels, 'operator.skywalking.apache.org/component': 'pod', 'app.kubernetes.io/part-of': name } },
          spec: {
            serviceAccountName: `${name}-satellite`,
            containers: [
              {
                name: 'satellite',
                image,
                imagePullPolicy: 'IfNotPresent',
                ports: [
                  { containerPort: 11800, name: 'grpc' },
                  { containerPort: 1234, name: 'http-monitoring' },
                ],
                readinessProbe: { tcpSocket: { port: 11800 }, initialDelaySeconds: 15, periodSeconds: 20 },
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
      metadata: meta(cr, `${name}-satellite`, { ...labels, 'operator.skywalking.apache.org/component': 'service' }),
      spec: {
        type: cr.spec.service?.template?.type || 'ClusterIP',
        selector,
        ports: [
          { name: 'grpc', port: 11800, targetPort: 11800 },
          { name: 'http-monitoring', port: 1234, targetPort: 1234 },
        ],
      },
    },
  ];
}

/** Whether a Storage points at an existing database rather than one we run. */
export function isExternalStorage(cr: CustomObject) {
  return cr.spec?.connectType === 'external' || cr.spec?.type !== 'elasticsearch';
}

/** Storage: an internal Elasticsearch as SWCK runs it (ConfigMap, StatefulSet, headless Service); nothing for external storage. */
export function renderStorage(cr: CustomObject): KubeObject[] {
  if (isExternalStorage(cr)) return [];
  const name = cr.metadata.name;
  const selector = { app: 'es', 'operator.skywalking.apache.org/es-name': name };
  const labels = { ...selector, 'operator.skywalking.apache.org/application': 'elasticsearch' };
  const service = cr.spec.servicename || `${name}-elasticsearch`;
  const image = cr.spec.image || `docker.elastic.co/elasticsearch/elasticsearch:${cr.spec.version}`;
  const tls = Boolean(cr.spec.security?.tls);
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(cr, `${name}-elasticsearch`, labels) },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(cr, `${name}-config`, labels),
      data: {
        'elasticsearch.yml': [
          `cluster.name: ${name}-skywalking-es`,
          'network.host: 0.0.0.0',
          `discovery.seed_hosts: ${service}`,
          `xpack.security.enabled: ${Boolean(cr.spec.security?.user?.secretName)}`,
          `xpack.security.http.ssl.enabled: ${tls}`,
          '',
        ].join('\n'),
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(cr, `${name}-elasticsearch`, { ...labels, 'operator.skywalking.apache.org/component': 'statefulset' }),
      spec: {
        serviceName: service,
        replicas: cr.spec.instances ?? 1,
        selector: { matchLabels: selector },
        podManagementPolicy: 'Parallel',
        template: {
          metadata: { labels: { ...labels, 'app.kubernetes.io/part-of': name } },
          spec: {
            serviceAccountName: `${name}-elasticsearch`,
            containers: [
              {
                name: 'elasticsearch',
                image,
                imagePullPolicy: 'IfNotPresent',
                ports: [
                  { containerPort: 9200, name: 'http' },
                  { containerPort: 9300, name: 'transport' },
                ],
                env: [
                  { name: 'cluster.name', value: `${name}-skywalking-es` },
                  { name: 'node.name', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'thread_pool.write.queue_size', value: '1000' },
                  ...(cr.spec.config ?? []),
                ],
                volumeMounts: [{ name: 'config', mountPath: '/usr/share/elasticsearch/config/elasticsearch.yml', subPath: 'elasticsearch.yml' }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: `${name}-config`, items: [{ key: 'elasticsearch.yml', path: 'elasticsearch.yml' }] } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(cr, service, { ...labels, 'operator.skywalking.apache.org/component': 'service' }),
      spec: {
        clusterIP: 'None',
        selector,
        publishNotReadyAddresses: true,
        ports: [
          { name: 'http', port: 9200, targetPort: 9200 },
          { name: 'transport', port: 9300, targetPort: 9300 },
        ],
      },
    },
  ];
}

/** Parses a SWCK labelSelector string (`a=b,c=d`) into labels, as labels.ConvertSelectorToLabelsMap. */
export function selectorLabels(selector: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (selector ?? '').split(',').map(p => p.trim()).filter(Boolean)) {
    const [k, v] = part.split(/==?/);
    if (!k || v === undefined) throw new Error(`labelSelector "${selector}" is not a list of key=value`);
    out[k.trim()] = v.trim();
  }
  return out;
}

/** OAPServerDynamicConfig: the ConfigMap OAP's k8s-configmap configuration reads, labelled as SWCK labels it. */
export function renderDynamicConfig(cr: CustomObject): KubeObject[] {
  const data = [...(cr.spec.data ?? [])].sort((a: any, b: any) => a.name.localeCompare(b.name));
  const labels = { ...selectorLabels(cr.spec.labelSelector), version: cr.spec.version, OAPServerConfig: 'dynamic', md5: checksum(data) };
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(cr, cr.metadata.name, labels),
      data: Object.fromEntries(data.map((d: any) => [d.name, d.value ?? ''])),
    },
  ];
}

/** OAPServerConfig: the ConfigMap holding its files (its env is overlaid by the OAPServer reconciler). */
export function renderOAPServerConfig(cr: CustomObject): KubeObject[] {
  const files: any[] = cr.spec.file ?? [];
  if (!files.length) return [];
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(cr, cr.metadata.name, { 'operator.skywalking.apache.org/application': 'oapserverconfig', version: cr.spec.version }),
      data: Object.fromEntries(files.map(f => [f.name, f.data ?? ''])),
    },
  ];
}

// ---------------------------------------------------------------- status

/** SWCK's condition schema: the API server keeps only these fields. */
function swckConditions(cs: Condition[], now: Date) {
  return cs.map(c => ({ ...c, lastUpdateTime: now.toISOString() }));
}

function workloadStatus(cr: CustomObject, workload: any | any[], now: Date) {
  return computeStatus(cr, workload, now);
}

function readyCondition(cr: CustomObject, ok: boolean, reason: string, message: string, now: Date): Condition[] {
  const prior: Condition[] = cr.status?.conditions ?? [];
  const t = now.toISOString();
  const keep = (c: Condition): Condition => {
    const old = prior.find(p => p.type === c.type);
    return { ...c, observedGeneration: cr.metadata.generation, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime ?? t : t };
  };
  return [
    keep({ type: 'Ready', status: ok ? 'True' : 'False', reason, message }),
    keep({ type: 'Progressing', status: ok ? 'False' : 'True', reason: ok ? 'Converged' : reason, message: ok ? '' : message }),
    keep({ type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' }),
  ];
}

const cached = (cache: CacheView, kind: string, cr: CustomObject, name: string) => cache.get(kind, cr.metadata.namespace, name);

export const KINDS: KindDef[] = [
  {
    kind: 'OAPServer',
    plural: 'oapservers',
    render: renderOAPServerWithConfig,
    status(cr, cache, now) {
      // Ready when every OAP Deployment is: the Mixed one, or both the Receivers and the Aggregators
      const s = workloadStatus(cr, oapDeployments(cr).map(d => cached(cache, 'Deployment', cr, d.name)), now);
      // Upgrading / Upgraded from the upgrade recorded on the OAPServer (upgrade.ts)
      const conditions = swckConditions([...s.conditions, ...upgradeConditions(cr, now)], now);
      return { address: `${cr.metadata.name}-oap.${cr.metadata.namespace}`, availableReplicas: s.availableReplicas, conditions };
    },
    related: (cr, cache) => [
      ...cache.list('Satellite', cr.metadata.namespace).filter(s => (s.spec?.OAPServerName ?? s.metadata.name) === cr.metadata.name).map(s => key('Satellite', s)),
      ...cache.list('OAPServerConfig', cr.metadata.namespace).filter(c => c.spec?.version === cr.spec?.version).map(c => key('OAPServerConfig', c)),
      ...cache.list('OAPServerDynamicConfig', cr.metadata.namespace).filter(c => c.spec?.version === cr.spec?.version).map(c => key('OAPServerDynamicConfig', c)),
    ],
  },
  {
    kind: 'UI',
    plural: 'uis',
    render: cr => renderUI(cr),
    status(cr, cache, now) {
      const s = workloadStatus(cr, cached(cache, 'Deployment', cr, `${cr.metadata.name}-ui`), now);
      return {
        availableReplicas: s.availableReplicas,
        internalAddress: `${cr.metadata.name}-ui.${cr.metadata.namespace}`,
        ports: [80],
        conditions: swckConditions(s.conditions, now),
      };
    },
  },
  {
    kind: 'BanyanDB',
    plural: 'banyandbs',
    // the backup sidecar and restore init container the recorded backup and restore ask for (backup.ts)
    render: cr => withBackupAndRestore(cr, renderBanyanDB(cr)),
    status(cr, cache, now) {
      const s = workloadStatus(cr, cached(cache, 'StatefulSet', cr, `${cr.metadata.name}-banyandb`), now);
      return { available_pods: s.availableReplicas, conditions: swckConditions(s.conditions, now) };
    },
  },
  {
    kind: 'Satellite',
    plural: 'satellites',
    // reconciled again when its OAPServer changes (the OAPServer's related), e.g. the role split
    render: renderSatellite,
    status(cr, cache, now) {
      const s = workloadStatus(cr, cached(cache, 'Deployment', cr, `${cr.metadata.name}-satellite`), now);
      return { address: `${cr.metadata.name}-satellite.${cr.metadata.namespace}`, availableReplicas: s.availableReplicas, conditions: swckConditions(s.conditions, now) };
    },
  },
  {
    kind: 'Storage',
    plural: 'storages',
    render: cr => renderStorage(cr),
    status(cr, cache, now) {
      if (isExternalStorage(cr)) {
        return { conditions: readyCondition(cr, true, 'External', `external ${cr.spec?.type} at ${cr.spec?.address ?? '?'}`, now) };
      }
      const s = workloadStatus(cr, cached(cache, 'StatefulSet', cr, `${cr.metadata.name}-elasticsearch`), now);
      return { conditions: s.conditions };
    },
    related: (cr, cache) => cache.list('OAPServer', cr.metadata.namespace).filter(o => o.spec?.storage?.name === cr.metadata.name).map(o => key('OAPServer', o)),
  },
  {
    kind: 'OAPServerConfig',
    plural: 'oapserverconfigs',
    render: cr => renderOAPServerConfig(cr),
    status(cr, cache, now) {
      const oaps = cache.list('OAPServer', cr.metadata.namespace).filter(o => o.spec?.version === cr.spec?.version);
      const desired = oaps.reduce((n, o) => n + (o.spec?.instances ?? 1), 0);
      const ready = oaps.reduce((n, o) => n + oapDeployments(o).reduce((m, d) => m + (cached(cache, 'Deployment', o, d.name)?.status?.availableReplicas ?? 0), 0), 0);
      return { creationTime: cr.status?.creationTime ?? now.toISOString(), lastUpdateTime: now.toISOString(), desired, ready };
    },
    related: (cr, cache) => cache.list('OAPServer', cr.metadata.namespace).filter(o => o.spec?.version === cr.spec?.version).map(o => key('OAPServer', o)),
  },
  {
    kind: 'OAPServerDynamicConfig',
    plural: 'oapserverdynamicconfigs',
    render: cr => renderDynamicConfig(cr),
    status(cr, cache, now) {
      const cm = cached(cache, 'ConfigMap', cr, cr.metadata.name);
      const oap = cache.list('OAPServer', cr.metadata.namespace).some(o => o.spec?.version === cr.spec?.version);
      return { creationTime: cr.status?.creationTime ?? now.toISOString(), lastUpdateTime: now.toISOString(), state: cm && oap ? 'Running' : 'Stopped' };
    },
  },
];

export function key(kind: string, obj: { metadata: { namespace?: string; name?: string } }) {
  return `${kind}/${obj.metadata.namespace}/${obj.metadata.name}`;
}

export function parseKey(k: string): { kind: ReconciledKind; namespace: string; name: string } {
  const [kind, namespace, name] = k.split('/');
  return { kind: kind as ReconciledKind, namespace, name };
}

/** Status fields that change on every computation; not a reason to write. */
const VOLATILE = new Set(['lastTransitionTime', 'lastUpdateTime', 'observedGeneration', 'creationTime']);

function stable(v: any): any {
  if (Array.isArray(v)) return v.map(stable);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).filter(k => !VOLATILE.has(k) && v[k] !== undefined && v[k] !== '').sort().map(k => [k, stable(v[k])]));
  }
  return v;
}

/** Whether two statuses differ in anything but timestamps (and fields SWCK's schema prunes). */
export function statusChanged(live: any, next: any): boolean {
  return JSON.stringify(stable(live ?? {})) !== JSON.stringify(stable(next ?? {}));
}
