/** Satellite -> ServiceAccount, Role, RoleBinding, Deployment, Service (11800): gRPC load balancing in front of OAP. */
import { DEFAULT_IMAGES, PORTS } from '../crds/constants';
import type { K8sObject, Satellite } from '../crds/types';
import { LABEL_PREFIX, RenderableCR, commonLabels, mergeEnv, objectMeta, scheduling, serviceSpec, spreadAffinity } from './common';
import { oapClusterSelector, selectorString } from './config';

export function renderSatellite(cr: RenderableCR<Satellite['spec']>): K8sObject[] {
  const name = cr.metadata.name;
  const ns = cr.metadata.namespace ?? 'default';
  const s = cr.spec;
  const oapName = s.OAPServerName || name;
  const selector = { app: 'satellite', [`${LABEL_PREFIX}/satellite-server-name`]: name };
  const base = { ...commonLabels(cr, 'skywalking-satellite', s.version), ...selector, [`${LABEL_PREFIX}/application`]: 'satellite' };
  const sa = `${name}-satellite`;
  const env = mergeEnv(
    [
      // Satellite finds OAP pods itself and balances gRPC streams across them
      { name: 'SATELLITE_GRPC_CLIENT_FINDER', value: 'kubernetes' },
      { name: 'SATELLITE_GRPC_CLIENT_KUBERNETES_NAMESPACE', value: ns },
      { name: 'SATELLITE_GRPC_CLIENT_KUBERNETES_KIND', value: 'pod' },
      { name: 'SATELLITE_GRPC_CLIENT_KUBERNETES_SELECTOR_LABEL', value: selectorString(oapClusterSelector(oapName)) },
      { name: 'SATELLITE_GRPC_CLIENT_KUBERNETES_EXTRA_PORT', value: String(PORTS.oapGrpc) },
    ],
    s.config,
  );
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: objectMeta(cr, sa, { ...base, [`${LABEL_PREFIX}/component`]: 'rbac' }) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: objectMeta(cr, sa, { ...base, [`${LABEL_PREFIX}/component`]: 'rbac' }),
      rules: [{ apiGroups: [''], resources: ['pods', 'endpoints', 'services'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: objectMeta(cr, sa, { ...base, [`${LABEL_PREFIX}/component`]: 'rbac' }),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: objectMeta(cr, `${name}-satellite`, { ...base, [`${LABEL_PREFIX}/component`]: 'deployment' }),
      spec: {
        replicas: s.paused ? 0 : s.instances,
        minReadySeconds: 5,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...base, [`${LABEL_PREFIX}/component`]: 'pod' } },
          spec: {
            serviceAccountName: sa,
            ...scheduling(s, spreadAffinity(selector)),
            containers: [
              {
                name: 'satellite',
                image: s.image || `${DEFAULT_IMAGES.satellite}:${s.version}`,
                imagePullPolicy: 'IfNotPresent',
                ports: [
                  { containerPort: PORTS.satelliteGrpc, name: 'grpc' },
                  { containerPort: PORTS.satelliteMonitoring, name: 'http-monitoring' },
                ],
                readinessProbe: { tcpSocket: { port: PORTS.satelliteGrpc }, initialDelaySeconds: 15, periodSeconds: 20 },
                ...(s.resources && Object.keys(s.resources).length ? { resources: s.resources } : {}),
                env,
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: objectMeta(cr, `${name}-satellite`, { ...base, [`${LABEL_PREFIX}/component`]: 'service' }),
      spec: serviceSpec(s.service?.template, selector, [
        { port: PORTS.satelliteGrpc, name: 'grpc', targetPort: PORTS.satelliteGrpc },
        { port: PORTS.satelliteMonitoring, name: 'http-monitoring', targetPort: PORTS.satelliteMonitoring },
      ]),
    },
  ];
}
