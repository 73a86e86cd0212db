/**
 * Webhook mode: the namespace gets `swck-injection: enabled` and the pod
 * template the opt-in label and the agent annotations, by server-side apply
 * with the entity's own field manager and without force (a field another
 * manager holds with another value is a reported conflict). Turning off is an
 * empty apply: SSA removes what only this entity held.
 */
import {
  AGENT_CA_CONFIGMAP_ANNOTATION,
  INJECTED_MARKER_ANNOTATION,
  NAMESPACE_INJECT_LABEL,
  POD_INJECT_LABEL,
} from '@skywalking-backstage/plugin-skywalking-common';
import { COLLECTOR_ANNOTATION, SERVICE_NAME_ANNOTATION } from './admissionMutator';
import { Kube, PlainWorkload, TRACING_FIELD_MANAGER } from './kube';
import { removePatchInjection } from './patchMode';

type Managed = { managedFields?: Array<{ manager?: string; operation?: string }> };

/** True when this Kube's manager applied fields to the object. */
export function ownsApplyFields(kube: Kube, o: Managed): boolean {
  return (o.managedFields ?? []).some(f => f.manager === kube.fieldManager && f.operation === 'Apply');
}

export async function enableWebhook(kube: Kube, w: PlainWorkload, serviceName: string, collector: string, caConfigMap?: string): Promise<boolean> {
  const { namespace, name } = w.metadata;
  let changed = false;
  const ns = await kube.readNamespace(namespace);
  const nsValue = ns.labels[NAMESPACE_INJECT_LABEL];
  if (nsValue?.toLowerCase() === 'disabled') {
    throw Object.assign(new Error(`namespace ${namespace} has ${NAMESPACE_INJECT_LABEL}: disabled; agent injection is turned off there`), { code: 409 });
  }
  if (nsValue !== 'enabled' || !ownsApplyFields(kube, ns)) {
    await kube.applyNamespace(namespace, { [NAMESPACE_INJECT_LABEL]: 'enabled' });
    changed = nsValue !== 'enabled';
  }
  // a pod template this entity injected earlier in patch mode is cleaned first
  if (w.spec.template.metadata?.annotations?.[INJECTED_MARKER_ANNOTATION]) {
    await removePatchInjection(kube, w);
    changed = true;
  }
  const meta = w.spec.template.metadata ?? {};
  const wanted = {
    labels: { [POD_INJECT_LABEL]: 'true' },
    annotations: {
      [SERVICE_NAME_ANNOTATION]: serviceName,
      [COLLECTOR_ANNOTATION]: collector,
      // the webhook mounts this ConfigMap's ca.crt into the agent's ca/ directory
      ...(caConfigMap ? { [AGENT_CA_CONFIGMAP_ANNOTATION]: caConfigMap } : {}),
    },
  };
  const present =
    Object.entries(wanted.labels).every(([k, v]) => meta.labels?.[k] === v) &&
    Object.entries(wanted.annotations).every(([k, v]) => meta.annotations?.[k] === v) &&
    // TLS turned off since: the CA annotation is taken back
    (caConfigMap !== undefined || meta.annotations?.[AGENT_CA_CONFIGMAP_ANNOTATION] === undefined);
  if (!present || !ownsApplyFields(kube, w.metadata)) {
    await kube.applyWorkload(w.kind, namespace, name, {
      apiVersion: 'apps/v1',
      kind: w.kind,
      metadata: { name, namespace },
      spec: { template: { metadata: wanted } },
    });
    changed ||= !present;
  }
  return changed;
}

/** An empty apply: SSA removes the fields only this entity owned, and keeps those someone else set as well. */
export async function releaseApplied(kube: Kube, w: PlainWorkload): Promise<PlainWorkload> {
  const { namespace, name } = w.metadata;
  return kube.applyWorkload(w.kind, namespace, name, { apiVersion: 'apps/v1', kind: w.kind, metadata: { name, namespace } });
}

/**
 * Takes this entity's claim on `swck-injection: enabled` off a namespace
 * where it turned tracing off. SSA keeps the label while another entity (its
 * own field manager) or someone else still holds it, so nobody else's
 * injection is switched off with it.
 */
export async function releaseNamespaceLabel(kube: Kube, namespace: string): Promise<boolean> {
  const ns = await kube.readNamespace(namespace);
  if (!ownsApplyFields(kube, ns)) return false;
  await kube.applyNamespace(namespace, undefined);
  const after = await kube.readNamespace(namespace);
  return after.labels[NAMESPACE_INJECT_LABEL] !== ns.labels[NAMESPACE_INJECT_LABEL];
}

/**
 * The claim of the single manager of earlier releases on the namespace
 * label: released once no workload there still holds fields of that manager
 * (other entities enabled before the upgrade keep their injection).
 */
export async function releaseLegacyNamespaceLabel(kube: Kube, namespace: string): Promise<boolean> {
  const legacy = kube.as(TRACING_FIELD_MANAGER);
  const workloads = await kube.listNamespacedWorkloads('', namespace);
  if (workloads.some(w => ownsApplyFields(legacy, w.metadata))) return false;
  return releaseNamespaceLabel(legacy, namespace);
}
