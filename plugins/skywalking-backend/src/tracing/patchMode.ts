/**
 * Patch mode: the pod template itself is injected (injectAgent) by a JSON
 * patch guarded by a `test` of the resourceVersion; turning off removes
 * exactly what was added (removeAgent). The injection belongs to the entity
 * whose field manager wrote its marker annotation: another entity's (or a
 * tool's) injection is reported as a conflict, never replaced or removed.
 */
import {
  injectAgent,
  INJECTED_MARKER_ANNOTATION,
  NAMESPACE_INJECT_LABEL,
  removeAgent,
} from '@skywalking-backstage/plugin-skywalking-common';
import { isSubset, jsonDiff, PatchOp } from './jsonDiff';
import { Kube, PlainWorkload, TRACING_FIELD_MANAGER, WorkloadKind } from './kube';
import { ownsApplyFields, releaseApplied } from './webhookMode';

type Template = PlainWorkload['spec']['template'];

/** The manager that wrote the pod template's injection marker (JSON patch: an Update entry). */
export function markerManager(w: PlainWorkload): string | undefined {
  if (!w.spec.template.metadata?.annotations?.[INJECTED_MARKER_ANNOTATION]) return undefined;
  const key = `f:${INJECTED_MARKER_ANNOTATION}`;
  const entry = (w.metadata.managedFields ?? []).find(f => f.fieldsV1?.['f:spec']?.['f:template']?.['f:metadata']?.['f:annotations']?.[key] !== undefined);
  return entry?.manager ?? 'an unknown writer';
}

/** Injected by this entity (or by the single manager of releases before one per entity). */
function injectedByUs(kube: Kube, w: PlainWorkload): boolean {
  const m = markerManager(w);
  return m === kube.fieldManager || m === TRACING_FIELD_MANAGER;
}

function conflict(w: PlainWorkload): Error {
  return Object.assign(
    new Error(`${w.kind} ${w.metadata.namespace}/${w.metadata.name} carries an agent injection written by field manager ${markerManager(w)}, not by this entity; it is left as it is`),
    { code: 409 },
  );
}

export async function enablePatch(kube: Kube, workload: PlainWorkload, serviceName: string, collector: string, caConfigMap?: string, allowedImages?: string[]): Promise<boolean> {
  let changed = false;
  let w = workload;
  if (markerManager(w) && !injectedByUs(kube, w)) throw conflict(w);
  if (ownsApplyFields(kube, w.metadata)) {
    // set up for webhook mode before: release those fields first
    w = await releaseApplied(kube, w);
    changed = true;
  }
  // the portal's toggle is the opt-in (force skips only the opt-in label); opt-outs still hold:
  // a pod label "false" and a namespace with swck-injection: disabled
  const ns = await kube.readNamespace(w.metadata.namespace);
  if (ns.labels[NAMESPACE_INJECT_LABEL]?.toLowerCase() === 'disabled') {
    throw Object.assign(new Error(`namespace ${w.metadata.namespace} has ${NAMESPACE_INJECT_LABEL}: disabled; agent injection is turned off there`), { code: 409 });
  }
  const backend = { agentServiceName: serviceName, collectorAddress: collector, ...(caConfigMap ? { caConfigMap } : {}) };
  return (
    (await patchTemplate(kube, w, template => {
      const annotations = template.metadata?.annotations ?? {};
      const base = INJECTED_MARKER_ANNOTATION in annotations ? removeAgent(template) : undefined;
      if (base?.errors.length) throw new Error(base.errors.map(e => `${e.path}: ${e.message}`).join('; '));
      const r = injectAgent({ pod: base?.pod ?? template, force: true, backend, namespaceLabels: ns.labels, ...(allowedImages ? { allowedImages } : {}) });
      if (!r.injected) {
        if (/^already injected by SWCK/.test(r.reason ?? '')) return undefined;
        const why = [r.reason, ...r.errors.map(e => `${e.path}: ${e.message}`)].filter(Boolean).join('; ');
        throw Object.assign(new Error(`agent not injected: ${why}`), { code: 422 });
      }
      return isSubset(r.pod, template) ? undefined : r.pod;
    })) || changed
  );
}

/**
 * Both modes: undo what this entity did (its patch injection, its applied
 * label/annotations), and what the one manager of earlier releases applied
 * (those fields would otherwise stay on for good after an upgrade).
 */
export async function disableWorkload(kube: Kube, workload: PlainWorkload): Promise<boolean> {
  let changed = false;
  let w = workload;
  for (const k of [kube, kube.as(TRACING_FIELD_MANAGER)]) {
    if (ownsApplyFields(k, w.metadata)) {
      w = await releaseApplied(k, w);
      changed = true;
    }
  }
  if (injectedByUs(kube, w)) changed = (await removePatchInjection(kube, w)) || changed;
  return changed;
}

/** Removes this entity's patch injection; 409 when another writer's injection is there. */
export function removePatchInjection(kube: Kube, w: PlainWorkload): Promise<boolean> {
  if (!injectedByUs(kube, w)) return Promise.reject(conflict(w));
  return patchTemplate(kube, w, template => {
    const r = removeAgent(template);
    if (r.errors.length) throw new Error(r.errors.map(e => `${e.path}: ${e.message}`).join('; '));
    return r.removed ? r.pod : undefined;
  });
}

/**
 * Patches the pod template to what `change` returns (undefined: leave it),
 * guarded by a test of the resourceVersion; on a concurrent write, reads
 * again and recomputes (3 attempts).
 */
async function patchTemplate(kube: Kube, w: PlainWorkload, change: (template: Template) => Template | undefined): Promise<boolean> {
  let current = w;
  for (let attempt = 1; ; attempt++) {
    const next = change(current.spec.template);
    if (!next) return false;
    const ops: PatchOp[] = [
      { op: 'test', path: '/metadata/resourceVersion', value: current.metadata.resourceVersion },
      ...jsonDiff(current.spec.template, next, '/spec/template'),
    ];
    try {
      await kube.jsonPatchWorkload(current.kind, current.metadata.namespace, current.metadata.name, ops);
      return true;
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (attempt >= 3 || (code !== 409 && code !== 422)) throw e;
      current = await kube.readWorkload(current.kind as WorkloadKind, current.metadata.namespace, current.metadata.name);
    }
  }
}
