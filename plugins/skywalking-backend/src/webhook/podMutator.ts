/*
 * What the admission webhook does with a pod. Kept apart from the webhook's
 * registration (tracing/admissionMutator.ts) so that the admission worker
 * threads load the injector only, not the Kubernetes client.
 */
import { AGENT_CA_CONFIGMAP_ANNOTATION, injectAgent, SwAgentDefaults } from '@skywalking-backstage/plugin-skywalking-common';
import type { Mutator } from './admission';

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
export function createAdmissionMutator(options: { defaults?: SwAgentDefaults; allowedImages?: string[] } = {}): Mutator {
  return pod => {
    const annotations: Record<string, string> = pod?.metadata?.annotations ?? {};
    const backend: { agentServiceName?: string; collectorAddress?: string; caConfigMap?: string } = {};
    if (annotations[SERVICE_NAME_ANNOTATION]) backend.agentServiceName = annotations[SERVICE_NAME_ANNOTATION];
    if (annotations[COLLECTOR_ANNOTATION]) backend.collectorAddress = annotations[COLLECTOR_ANNOTATION];
    // the backend serves TLS: its CA (a ConfigMap of the pod's namespace) goes into the agent's ca/ directory
    if (annotations[AGENT_CA_CONFIGMAP_ANNOTATION]) backend.caConfigMap = annotations[AGENT_CA_CONFIGMAP_ANNOTATION];
    // an agent image outside skywalking.allowedImages injects nothing (a warning says why)
    const result = injectAgent({ pod, backend, defaults: options.defaults, ...(options.allowedImages ? { allowedImages: options.allowedImages } : {}) });
    const warnings = [
      ...result.errors.map(e => `skywalking: ${e.path}: ${e.message} (not applied)`),
      ...result.warnings.map(w => `skywalking: ${w}`),
    ];
    return { patch: result.patch, warnings };
  };
}

/** The mutator with no namespace defaults. */
export const admissionMutator: Mutator = createAdmissionMutator();
