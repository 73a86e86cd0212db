/** UI -> Deployment, Service (port 80), optional Ingress, and the horizon ConfigMap (SWCK's two UI flavours). */
import { DEFAULT_IMAGES, PORTS } from '../crds/constants';
import type { K8sObject, UI } from '../crds/types';
import { CONFIG_CHECKSUM_ANNOTATION, LABEL_PREFIX, RenderableCR, commonLabels, configChecksum, ingress, objectMeta, scheduling, serviceSpec, spreadAffinity } from './common';

/** The UI's spec with SWCK's webhook defaults applied (kind, image, OAP addresses). */
export function uiDefaults(cr: RenderableCR<UI['spec']>): UI['spec'] & { kind: 'horizon' | 'booster'; image: string; OAPServerAddress: string } {
  const kind = cr.spec.kind ?? 'horizon';
  const ns = cr.metadata.namespace ?? 'default';
  const OAPServerAddress = cr.spec.OAPServerAddress || `http://${cr.metadata.name}-oap.${ns}:${PORTS.oapRest}`;
  return {
    ...cr.spec,
    kind,
    image: cr.spec.image || `${kind === 'booster' ? DEFAULT_IMAGES.uiBooster : DEFAULT_IMAGES.uiHorizon}:${cr.spec.version}`,
    OAPServerAddress,
    ...(kind === 'horizon'
      ? {
          OAPServerAdminAddress: cr.spec.OAPServerAdminAddress || `http://${cr.metadata.name}-oap.${ns}:${PORTS.oapAdmin}`,
          OAPServerZipkinAddress: cr.spec.OAPServerZipkinAddress || `${OAPServerAddress}/zipkin`,
        }
      : {}),
  };
}

function horizonYaml(spec: ReturnType<typeof uiDefaults>): string {
  if (spec.config) return spec.config;
  return [
    'server:',
    '  host: 0.0.0.0',
    `  port: ${PORTS.uiHorizon}`,
    'oap:',
    `  queryUrl: ${JSON.stringify(spec.OAPServerAddress)}`,
    `  adminUrl: ${JSON.stringify(spec.OAPServerAdminAddress ?? '')}`,
    `  zipkinUrl: ${JSON.stringify(spec.OAPServerZipkinAddress ?? '')}`,
    '  timeoutMs: 15000',
    '',
  ].join('\n');
}

export function renderUI(cr: RenderableCR<UI['spec']>): K8sObject[] {
  const name = cr.metadata.name;
  const spec = uiDefaults(cr);
  const horizon = spec.kind === 'horizon';
  const port = horizon ? PORTS.uiHorizon : PORTS.uiBooster;
  const selector = { app: 'ui', [`${LABEL_PREFIX}/ui-name`]: name };
  const base = { ...commonLabels(cr, 'skywalking-ui', spec.version), ...selector, [`${LABEL_PREFIX}/application`]: 'ui' };
  const probe = { initialDelaySeconds: 10, timeoutSeconds: 10, periodSeconds: 30, failureThreshold: 3, successThreshold: 1, httpGet: { path: '/', port } };
  const objects: K8sObject[] = [];
  let annotations: Record<string, string> | undefined;
  if (horizon) {
    const yaml = horizonYaml(spec);
    annotations = { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(yaml) };
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: objectMeta(cr, `${name}-ui-horizon`, { ...base, [`${LABEL_PREFIX}/component`]: 'configmap' }),
      data: { 'horizon.yaml': yaml },
    });
  }
  objects.push({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(cr, `${name}-ui`, { ...base, [`${LABEL_PREFIX}/component`]: 'deployment' }),
    spec: {
      replicas: spec.paused ? 0 : spec.instances,
      minReadySeconds: 5,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...base, [`${LABEL_PREFIX}/component`]: 'deployment' }, ...(annotations ? { annotations } : {}) },
        spec: {
          ...scheduling(spec, spreadAffinity(selector)),
          containers: [
            {
              name: 'ui',
              image: spec.image,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ containerPort: port, name: 'page' }],
              livenessProbe: probe,
              readinessProbe: probe,
              ...(spec.resources && Object.keys(spec.resources).length ? { resources: spec.resources } : {}),
              ...(horizon
                ? {
                    volumeMounts: [
                      { name: 'horizon-config', mountPath: '/app/horizon.yaml', subPath: 'horizon.yaml', readOnly: true },
                      { name: 'horizon-data', mountPath: '/data' },
                    ],
                  }
                : { env: [{ name: 'SW_OAP_ADDRESS', value: spec.OAPServerAddress }] }),
            },
          ],
          ...(horizon
            ? {
                volumes: [
                  { name: 'horizon-config', configMap: { name: `${name}-ui-horizon`, items: [{ key: 'horizon.yaml', path: 'horizon.yaml' }] } },
                  { name: 'horizon-data', emptyDir: {} },
                ],
              }
            : {}),
        },
      },
    },
  });
  objects.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(cr, `${name}-ui`, { ...base, [`${LABEL_PREFIX}/component`]: 'service' }),
    spec: serviceSpec(spec.service?.template, selector, [{ port: PORTS.uiService, targetPort: port, name: 'page' }]),
  });
  const ing = spec.service?.ingress;
  if (ing?.host) objects.push(ingress(cr, `${name}-ui`, { ...base, [`${LABEL_PREFIX}/component`]: 'ingress' }, ing, `${name}-ui`, PORTS.uiService));
  return objects;
}
