// The OAP client, Duration helpers and metric names live in the common
// plugin. Imported from its oap module until the plugin's index exports it
// (then import from '@skywalking-backstage/plugin-skywalking-common').
// eslint-disable-next-line @backstage/no-forbidden-package-imports
export {
  OapClient,
  K8S_SERVICE_LAYER,
  K8S_SERVICE_METRICS,
  durationPoints,
  fetchKubernetesTraffic,
} from '@skywalking-backstage/plugin-skywalking-common/src/oap';
// eslint-disable-next-line @backstage/no-forbidden-package-imports
export type {
  OapDuration,
  OapEntity,
  OapExpressionResult,
} from '@skywalking-backstage/plugin-skywalking-common/src/oap';
