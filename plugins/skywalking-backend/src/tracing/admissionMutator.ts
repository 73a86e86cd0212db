/*
 * What the admission webhook does with a pod, and the registration of the
 * webhook in a cluster.
 */
import type * as K8s from '@kubernetes/client-node';
import { renderMutatingWebhookConfiguration } from '../webhook/webhookConfiguration';
import { k8sModule, TRACING_FIELD_MANAGER } from './kube';

// the mutator lives beside the webhook server (its worker threads load it alone)
export { admissionMutator, COLLECTOR_ANNOTATION, createAdmissionMutator, SERVICE_NAME_ANNOTATION } from '../webhook/podMutator';

export interface EnsureWebhookOptions {
  /** base URL of the webhook server as the API server reaches it */
  url: string;
  /** CA that signed the serving certificate (caBundle) */
  caPem: string;
  timeoutSeconds?: number;
  /** configuration name; default WEBHOOK_CONFIGURATION_NAME (one per portal in a cluster) */
  name?: string;
  /** limit the webhook to these namespaces (in addition to the `swck-injection: enabled` label) */
  namespaces?: string[];
}

/**
 * Server-side applies the MutatingWebhookConfiguration (field manager
 * skywalking-backstage-tracing, forced: the object is ours) and returns it.
 */
export async function ensureWebhookConfiguration(
  kc: K8s.KubeConfig,
  options: EnsureWebhookOptions,
): Promise<K8s.V1MutatingWebhookConfiguration> {
  const k8s = await k8sModule();
  const config = renderMutatingWebhookConfiguration({ url: options.url, caPem: options.caPem, timeoutSeconds: options.timeoutSeconds });
  if (options.name) config.metadata.name = options.name;
  if (options.namespaces?.length) {
    (config.webhooks[0].namespaceSelector as Record<string, unknown>).matchExpressions = [
      { key: 'kubernetes.io/metadata.name', operator: 'In', values: options.namespaces },
    ];
  }
  const api = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  return api.patchMutatingWebhookConfiguration(
    { name: config.metadata.name, body: config, fieldManager: TRACING_FIELD_MANAGER, force: true },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
  );
}

/** Removes the configuration again (e.g. when the portal stops serving the webhook for good). */
export async function deleteWebhookConfiguration(kc: K8s.KubeConfig, name: string): Promise<void> {
  const k8s = await k8sModule();
  await kc
    .makeApiClient(k8s.AdmissionregistrationV1Api)
    .deleteMutatingWebhookConfiguration({ name })
    .catch((e: { code?: number }) => {
      if (e?.code !== 404) throw e;
    });
}
