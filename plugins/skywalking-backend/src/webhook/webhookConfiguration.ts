import { MUTATE_PODS_PATH } from './server';

export const WEBHOOK_CONFIGURATION_NAME = 'skywalking-backstage-java-agent-injector';
/** SWCK's opt-in labels: namespace, then pod. */
export const NAMESPACE_INJECTION_LABEL = 'swck-injection';
export const POD_INJECTION_LABEL = 'swck-java-agent-injected';

/**
 * The MutatingWebhookConfiguration for a cluster. Safe by default: failure
 * policy Ignore and a short timeout, so a portal that is down never blocks a
 * deployment; only pods that opted in (SWCK's labels) are sent to us.
 */
export function renderMutatingWebhookConfiguration(opts: {
  url: string;
  caPem: string;
  timeoutSeconds?: number;
}) {
  const timeoutSeconds = Math.min(Math.max(opts.timeoutSeconds ?? 5, 1), 30);
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: WEBHOOK_CONFIGURATION_NAME,
      labels: { 'app.kubernetes.io/managed-by': 'skywalking-backstage' },
    },
    webhooks: [
      {
        name: 'java-agent.skywalking-backstage.apache.org',
        admissionReviewVersions: ['v1'],
        clientConfig: {
          url: `${opts.url.replace(/\/$/, '')}${MUTATE_PODS_PATH}`,
          caBundle: Buffer.from(opts.caPem).toString('base64'),
        },
        rules: [
          {
            operations: ['CREATE'],
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods'],
            scope: 'Namespaced',
          },
        ],
        namespaceSelector: { matchLabels: { [NAMESPACE_INJECTION_LABEL]: 'enabled' } },
        objectSelector: { matchLabels: { [POD_INJECTION_LABEL]: 'true' } },
        failurePolicy: 'Ignore',
        matchPolicy: 'Equivalent',
        sideEffects: 'None',
        reinvocationPolicy: 'IfNeeded',
        timeoutSeconds,
      },
    ],
  };
}
