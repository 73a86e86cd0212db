/** Storage: OAP's storage env from a SWCK Storage, and the internal Elasticsearch SWCK runs for connectType internal. */
import { DEFAULT_IMAGES } from '../crds/constants';
import type { EnvVar, K8sObject, Storage } from '../crds/types';
import { LABEL_PREFIX, RenderableCR, commonLabels, objectMeta, secretEnv } from './common';

/** Strips a scheme and path from an address (SWCK parses URLs such as https://es:9200). */
function hostPorts(address: string): { hosts: string; scheme?: string } {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)/i.exec(address);
  return m ? { hosts: m[2], scheme: m[1].toLowerCase() } : { hosts: address };
}

/**
 * OAP environment for a storage. Credentials are always `valueFrom.secretKeyRef`
 * to the Secret in `security.user.secretName` (keys `username` and `password`),
 * never inline values.
 */
export function storageEnv(storage: Pick<Storage, 'metadata' | 'spec'>, options: { database?: string } = {}): EnvVar[] {
  const s = storage.spec;
  const type = (s.type || '').toLowerCase();
  const secret = s.security?.user?.secretName;
  const tls = !!s.security?.tls;
  const external = s.connectType === 'external';
  const { hosts, scheme } = hostPorts(s.address ?? '');
  const env: EnvVar[] = [];
  switch (type) {
    case 'elasticsearch':
    case 'opensearch': {
      env.push({ name: 'SW_STORAGE', value: 'elasticsearch' });
      const nodes = external ? hosts : `${s.servicename || `${storage.metadata.name}-elasticsearch`}:9200`;
      env.push({ name: 'SW_STORAGE_ES_CLUSTER_NODES', value: nodes });
      env.push({ name: 'SW_STORAGE_ES_HTTP_PROTOCOL', value: tls || scheme === 'https' ? 'https' : 'http' });
      if (secret) env.push(secretEnv('SW_ES_USER', secret, 'username'), secretEnv('SW_ES_PASSWORD', secret, 'password'));
      break;
    }
    case 'postgresql':
    case 'postgres': {
      env.push({ name: 'SW_STORAGE', value: 'postgresql' });
      const ssl = tls ? '?sslmode=require' : '';
      env.push({ name: 'SW_JDBC_URL', value: `jdbc:postgresql://${hosts}/${options.database ?? 'skywalking'}${ssl}` });
      if (secret) env.push(secretEnv('SW_DATA_SOURCE_USER', secret, 'username'), secretEnv('SW_DATA_SOURCE_PASSWORD', secret, 'password'));
      break;
    }
    case 'mysql':
    case 'tidb': {
      // TiDB is MySQL-compatible: OAP's mysql storage with the MySQL JDBC driver
      env.push({ name: 'SW_STORAGE', value: 'mysql' });
      const params = `rewriteBatchedStatements=true&allowMultiQueries=true${tls ? '&useSSL=true&requireSSL=true' : ''}`;
      env.push({ name: 'SW_JDBC_URL', value: `jdbc:mysql://${hosts}/${options.database ?? 'swtest'}?${params}` });
      if (secret) env.push(secretEnv('SW_DATA_SOURCE_USER', secret, 'username'), secretEnv('SW_DATA_SOURCE_PASSWORD', secret, 'password'));
      break;
    }
    case 'banyandb': {
      env.push({ name: 'SW_STORAGE', value: 'banyandb' });
      env.push({ name: 'SW_STORAGE_BANYANDB_TARGETS', value: hosts || `${storage.metadata.name}-banyandb-grpc:17912` });
      if (secret) env.push(secretEnv('SW_STORAGE_BANYANDB_USER', secret, 'username'), secretEnv('SW_STORAGE_BANYANDB_PASSWORD', secret, 'password'));
      if (tls) env.push({ name: 'SW_STORAGE_BANYANDB_GRPC_TLS_ENABLED', value: 'true' });
      break;
    }
    default:
      if (type) env.push({ name: 'SW_STORAGE', value: type });
  }
  return env;
}

/**
 * Kubernetes objects of a Storage: nothing for external storage; for internal
 * Elasticsearch (what SWCK supports) a headless Service and a StatefulSet.
 */
export function renderStorage(cr: RenderableCR<Storage['spec']>): K8sObject[] {
  const s = cr.spec;
  if (s.connectType !== 'internal' || (s.type || '').toLowerCase() !== 'elasticsearch') return [];
  const name = cr.metadata.name;
  const selector = { app: 'es', [`${LABEL_PREFIX}/es-name`]: name };
  const labels = { ...commonLabels(cr, 'elasticsearch', s.version), ...selector, [`${LABEL_PREFIX}/application`]: 'elasticsearch' };
  const serviceName = s.servicename || `${name}-elasticsearch`;
  const image = s.image || `${DEFAULT_IMAGES.elasticsearch}:${s.version}`;
  const replicas = s.instances || 3;
  const peers = Array.from({ length: replicas }, (_, i) => `${name}-elasticsearch-${i}`);
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: objectMeta(cr, serviceName, { ...labels, [`${LABEL_PREFIX}/component`]: 'service' }),
      spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector, ports: [{ name: 'http', port: 9200 }, { name: 'transport', port: 9300 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: objectMeta(cr, `${name}-elasticsearch`, { ...labels, [`${LABEL_PREFIX}/component`]: 'statefulset' }),
      spec: {
        serviceName,
        replicas,
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate' },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...labels, [`${LABEL_PREFIX}/component`]: 'statefulset' } },
          spec: {
            initContainers: [
              { name: 'configure-sysctl', image, securityContext: { runAsUser: 0, privileged: true }, command: ['sysctl', '-w', 'vm.max_map_count=262144'] },
            ],
            containers: [
              {
                name: 'elasticsearch',
                image,
                imagePullPolicy: 'IfNotPresent',
                ports: [{ containerPort: 9200, name: 'http' }, { containerPort: 9300, name: 'transport' }],
                ...(s.resource?.limit || s.resource?.requests
                  ? { resources: { ...(s.resource.limit ? { limits: { cpu: s.resource.limit } } : {}), ...(s.resource.requests ? { requests: { cpu: s.resource.requests } } : {}) } }
                  : {}),
                env: [
                  { name: 'cluster.name', value: `${name}-skywalking-es` },
                  { name: 'node.name', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'discovery.seed_hosts', value: serviceName },
                  { name: 'cluster.initial_master_nodes', value: peers.join(',') },
                  { name: 'thread_pool.write.queue_size', value: '1000' },
                  ...(s.config ?? []),
                ],
                readinessProbe: { httpGet: { path: '/_cluster/health?local=true', port: 9200 }, initialDelaySeconds: 10, periodSeconds: 10 },
              },
            ],
          },
        },
      },
    },
  ];
}
