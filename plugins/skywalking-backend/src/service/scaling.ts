import { ConflictError, InputError } from '@backstage/errors';
import {
  AUTOSCALING_ANNOTATION,
  autoscalingOf,
  DISRUPTION_BUDGET_ANNOTATION,
  OAPAutoscaling,
  OAPScaleRole,
  OAP_SCALE_ROLES,
  ROLE_SPLIT_ANNOTATION,
  roleSplitOf,
  SkyWalkingBackendSpec,
  splitOAPReplicas,
  TOPOLOGY_SPREAD_ANNOTATION,
} from '@skywalking-backstage/plugin-skywalking-common';

type Obj = { metadata: any; spec?: any };

/** A scale request the backend cannot take, with the field to point at (400). */
export class ScaleInputError extends InputError {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

/** fieldManager of scaling (BackendService's SCALE_MANAGER) */
const SCALE_MANAGER = 'skywalking-backstage-scale';

/** The annotations recording OAP's autoscaling, disruption budget and topology spread, as the spec asks. */
export function scalingAnnotations(oap: SkyWalkingBackendSpec['oap']): Record<string, string> {
  const out: Record<string, string> = {};
  if (oap?.autoscaling !== undefined) out[AUTOSCALING_ANNOTATION] = JSON.stringify(oap.autoscaling);
  if (oap?.disruptionBudget !== undefined) out[DISRUPTION_BUDGET_ANNOTATION] = JSON.stringify(oap.disruptionBudget);
  if (oap?.topologySpread !== undefined) out[TOPOLOGY_SPREAD_ANNOTATION] = JSON.stringify(oap.topologySpread);
  return out;
}

/** The recorded autoscaling, disruption budget and topology spread of an OAPServer, for `get` (as asked, also when off). */
export function recordedScaling(oap: Obj): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, annotation] of [
    ['autoscaling', AUTOSCALING_ANNOTATION],
    ['disruptionBudget', DISRUPTION_BUDGET_ANNOTATION],
    ['topologySpread', TOPOLOGY_SPREAD_ANNOTATION],
  ]) {
    const raw = oap.metadata?.annotations?.[annotation];
    if (!raw) continue;
    try {
      out[field] = JSON.parse(raw);
    } catch {
      // unreadable: left out, as the renderers ignore it
    }
  }
  return out;
}

/** The role counts and autoscaling of a backend's OAP, for its summary (what the Scale dialog offers). */
export function oapScalingSummary(oap: Obj): { roles?: { receivers: number; aggregators: number }; autoscaling?: OAPAutoscaling & { role: 'mixed' | 'receiver' } } {
  const split = roleSplitOf(oap as any);
  const auto = autoscalingOf(oap as any);
  return {
    ...(split ? { roles: splitOAPReplicas(oap.spec?.instances ?? 1, split) } : {}),
    ...(auto ? { autoscaling: { ...auto, role: split ? 'receiver' : 'mixed' } } : {}),
  };
}

/** Whether the scale manager applied the role split annotation before (then it must keep applying it, or the field would go). */
function scaleOwnsRoleSplit(oap: Obj): boolean {
  return (oap.metadata?.managedFields ?? []).some(
    (f: any) => f.manager === SCALE_MANAGER && f.fieldsV1?.['f:metadata']?.['f:annotations']?.[`f:${ROLE_SPLIT_ANNOTATION}`] !== undefined,
  );
}

/**
 * What scaling an OAPServer writes: `spec.instances`, and with a role the
 * role split annotation with explicit counts (that role's new count, the
 * other's current one; a ratio gives way to the counts). Refused with a 400
 * (ScaleInputError) for an unknown role, a role without role split, or a
 * count a role cannot have; with a 409 (ConflictError) for replicas an HPA
 * owns (the Mixed Deployment, or the Receivers when split): the HPA would
 * undo a manual count, so its bounds are changed by an update of
 * oap.autoscaling, or autoscaling is switched off. The Aggregators, never
 * autoscaled, scale as ever.
 */
export function planScale(oap: Obj, replicas: number, role?: string): { instances: number; annotations?: Record<string, string> } {
  const ref = `${oap.metadata?.namespace}/${oap.metadata?.name}`;
  if (role !== undefined && !OAP_SCALE_ROLES.includes(role as OAPScaleRole)) {
    throw new ScaleInputError('role', `${JSON.stringify(role)} must be ${OAP_SCALE_ROLES.join(' or ')}`);
  }
  const split = roleSplitOf(oap as any);
  if (role !== undefined && !split) throw new ScaleInputError('role', `backend ${ref} has no role split: scale its OAP without a role`);
  const auto = autoscalingOf(oap as any);
  if (auto && role !== 'aggregator') {
    throw new ConflictError(
      `OAP ${split ? 'Receivers' : 'replicas'} of ${ref} are autoscaled by a HorizontalPodAutoscaler (${auto.minReplicas} to ${auto.maxReplicas} replicas): ` +
        `change oap.autoscaling.minReplicas/maxReplicas by an update, or switch autoscaling off to scale by hand${split ? '; the Aggregators scale with role "aggregator"' : ''}`,
    );
  }
  if (!split) return { instances: replicas };
  if (role === undefined) {
    // split, the replicas are shared by the recorded ratio (or counts): each role needs one
    if (replicas === 1) throw new ScaleInputError('replicas', 'must be 0 or at least 2 with role split (one Receiver and one Aggregator)');
    const raw = oap.metadata?.annotations?.[ROLE_SPLIT_ANNOTATION];
    return { instances: replicas, ...(raw && scaleOwnsRoleSplit(oap) ? { annotations: { [ROLE_SPLIT_ANNOTATION]: raw } } : {}) };
  }
  if (replicas < 1) throw new ScaleInputError('replicas', `must be at least 1 for the ${role}s (pause the backend to stop every pod)`);
  const current = splitOAPReplicas(oap.spec?.instances ?? 1, split);
  const receivers = role === 'receiver' ? replicas : Math.max(1, current.receivers);
  const aggregators = role === 'aggregator' ? replicas : Math.max(1, current.aggregators);
  const { receiverRatio: _ratio, ...rest } = split;
  return {
    instances: receivers + aggregators,
    annotations: { [ROLE_SPLIT_ANNOTATION]: JSON.stringify({ ...rest, enabled: true, receivers, aggregators }) },
  };
}
