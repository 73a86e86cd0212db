/*
 * What the admission webhook does with a pod, and the registration of the
 * webhook in a cluster.
 */
import type * as K8s from '@kubernetes/client-node';
import { AGENT_CA_CONFIGMAP_ANNOTATION, injectAgent, SwAgentDefaults } from '@skywalking-backstage/plugin-skywalking-common';
import type { Mutator } from '../webhook/admission';
import { renderMutatingWebhookConfiguration } from '../webhook/webhookConfiguration';
import { k8sModule, TRACING_FIELD_MANAGER } from './kube';

/** Set on the pod template by the tracing toggle (webhook mode); read here at admission. */
export const SERVICE_NAME_ANNOTATION = 'agent.skywalking.apache.org/agent.service_name';
export const COLLECTOR_ANNOTATION = 'agent.skywalking.apache.org/collector.backend_service';

/**
 * The mutator the webhook server calls for each opted-in pod. Everything it
 * needs is on the pod: the opt-in label, and the service name and collector
 * annotations the tracing toggle put on the pod template, so the hot path
 * has no database or catalog lookup. The agent goes into the application
 * containers only (never into service-mesh sidecars such as istio-proxy).
 * Invalid annotations are reported as admission warnings; the valid rest is
 * still applied.
 */
export function createAdmissionMutator(options: { defaults?: SwAgentDefaults } = {}): Mutator {
  return pod => {
    const annotations: Record<string, string> = pod?.metadata?.annotations ?? {};
    const backend: { agentServiceName?: string; collectorAddress?: string; caConfigMap?: string } = {};
    if (annotations[SERVICE_NAME_ANNOTATION]) backend.agentServiceName = annotations[SERVICE_NAME_ANNOTATION];
    if (annotations[COLLECTOR_ANNOTATION]) backend.collectorAddress = annotations[COLLECTOR_ANNOTATION];
    // the backend serves TLS: its CA (a ConfigMap of the pod's namespace) goes into the agent's ca/ directory
    if (annotations[AGENT_CA_CONFIGMAP_ANNOTATION]) backend.caConfigMap = annotations[AGENT_CA_CONFIGMAP_ANNOTATION];
    const result = injectAgent({ pod, backend, defaults: options.defaults });
    const warnings = [
      ...result.errors.map(e => `skywalking: ${e.path}: ${e.message} (not applied)`),
      ...result.warnings.map(w => `skywalking: ${w}`),
    ];
    return { patch: result.patch, warnings };
  };
}

/** The mutator with no namespace defaults. */
export const admissionMutator: Mutator = createAdmissionMutator();

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
