/** BanyanDB (standalone) -> ServiceAccount, StatefulSet with volumeClaimTemplates, gRPC (17912) and HTTP (17913) Services. */
import { DEFAULT_IMAGES, PORTS } from '../crds/constants';
import type { BanyanDB, K8sObject } from '../crds/types';
import { LABEL_PREFIX, RenderableCR, commonLabels, objectMeta, scheduling, serviceSpec } from './common';

export function renderBanyanDB(cr: RenderableCR<BanyanDB['spec']>): K8sObject[] {
  const name = cr.metadata.name;
  const s = cr.spec;
  const selector = { app: 'banyandb', [`${LABEL_PREFIX}/banyandb-name`]: name };
  const base = { ...commonLabels(cr, 'skywalking-banyandb', s.version), ...selector, [`${LABEL_PREFIX}/application`]: 'banyandb' };
  const storages = (s.storages ?? []).filter(st => st.name);
  const image = s.image || `${DEFAULT_IMAGES.banyandb}:${s.version}`;
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: objectMeta(cr, `${name}-banyandb`, { ...base, [`${LABEL_PREFIX}/component`]: 'rbac' }) },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: objectMeta(cr, `${name}-banyandb`, { ...base, [`${LABEL_PREFIX}/component`]: 'statefulset' }),
      spec: {
        replicas: s.paused ? 0 : s.counts ?? 1,
        serviceName: `${name}-banyandb-grpc`,
        selector: { matchLabels: selector },
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: { labels: { ...base, [`${LABEL_PREFIX}/component`]: 'pod' } },
          spec: {
            serviceAccountName: `${name}-banyandb`,
            ...scheduling(s),
            containers: [
              {
                name: 'banyandb-container',
                image,
                imagePullPolicy: 'IfNotPresent',
                args: s.config?.length ? s.config : ['standalone'],
                ports: [
                  { containerPort: PORTS.banyandbGrpc, name: 'grpc' },
                  { containerPort: PORTS.banyandbHttp, name: 'http' },
                  { containerPort: PORTS.banyandbObservability, name: 'observability' },
                  { containerPort: PORTS.banyandbPprof, name: 'pprof' },
                ],
                readinessProbe: { httpGet: { path: '/api/healthz', port: PORTS.banyandbHttp }, initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 10 },
                livenessProbe: { httpGet: { path: '/api/healthz', port: PORTS.banyandbHttp }, initialDelaySeconds: 20, periodSeconds: 30, failureThreshold: 5 },
                ...(s.resources && Object.keys(s.resources).length ? { resources: s.resources } : {}),
                ...(storages.length ? { volumeMounts: storages.map(st => ({ name: st.name, mountPath: st.path || '/tmp' })) } : {}),
              },
            ],
          },
        },
        ...(storages.length
          ? {
              volumeClaimTemplates: storages.map(st => ({
                metadata: { name: st.name, labels: { ...base, [`${LABEL_PREFIX}/component`]: 'persistentVolumeClaim' } },
                spec: { accessModes: ['ReadWriteOnce'], ...st.persistentVolumeClaimSpec },
              })),
              // keep data when the BanyanDB is deleted or scaled in (backup/restore relies on it)
              persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
            }
          : {}),
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: objectMeta(cr, `${name}-banyandb-grpc`, { ...base, [`${LABEL_PREFIX}/component`]: 'service' }),
      spec: serviceSpec(s.gRPCService?.template, selector, [{ port: PORTS.banyandbGrpc, name: 'grpc', targetPort: PORTS.banyandbGrpc }]),
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: objectMeta(cr, `${name}-banyandb-http`, { ...base, [`${LABEL_PREFIX}/component`]: 'service' }),
      spec: serviceSpec(s.httpService?.template, selector, [{ port: PORTS.banyandbHttp, name: 'http', targetPort: PORTS.banyandbHttp }]),
    },
  ];
}
