/**
 * The periodic tracing reconcile: re-applies each entity's desired state
 * (changes that waited for an unreachable cluster, workloads that appeared
 * since, patch-mode templates another writer overwrote), only in clusters
 * this replica leads, and only after the same checks as the toggle against
 * the current catalog entity and the current tenancy: a record those rules
 * no longer allow is not applied, and why is logged and audited (once per
 * new reason).
 */
import { stringifyEntityRef } from '@backstage/catalog-model';
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ApplyContext, applyTargets } from './apply';
import { assertBackendUsable, assertTargetsAllowed, ownerSubject, resolveTargets, tracingSelector, TracingSubject } from './authorise';
import { errorMessage } from './kube';

export const SYSTEM_ACTOR = 'skywalking-backstage';

export interface ReconcileResult {
  entities: number;
  changed: string[];
  errors: string[];
  /** records the current rules refuse, with the reason */
  refused: { entityRef: string; reason: string }[];
}

export interface ReconcileContext extends ApplyContext {
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** the reason last audited per entity, so a lasting refusal is audited once */
  lastRefusal: Map<string, string>;
}

export async function reconcileTracing(ctx: ReconcileContext): Promise<ReconcileResult> {
  const o = ctx.options;
  const { store, catalog, logger } = o;
  const result: ReconcileResult = { entities: 0, changed: [], errors: [], refused: [] };
  const leads = (c: string) => o.isLeader?.(c) ?? true;
  // another replica leads every cluster: it reconciles
  if (!o.clusters().some(leads)) return result;
  const credentials = (await o.auth?.getOwnServiceCredentials()) as BackstageCredentials;
  const records = await store.listTracing();
  result.entities = records.length;
  for (const rec of records) {
    try {
      const entity = await catalog.getEntityByRef(rec.entityRef, { credentials });
      if (!entity) {
        logger.debug(`tracing: ${rec.entityRef} is no longer in the catalog; not reconciled`);
        continue;
      }
      if (rec.enabled && !rec.backend) continue;
      const ref = stringifyEntityRef(entity);
      let targets;
      try {
        const selector = tracingSelector(entity, ref);
        const owner = await ownerSubject(o, ref, entity);
        const actor: TracingSubject = { who: rec.updatedBy, refs: await o.tenancy.userRefs(rec.updatedBy) };
        targets = await resolveTargets(o, ctx.timeoutMs, ref, selector, owner);
        await assertTargetsAllowed(o, [actor, owner], targets.filter(t => leads(t.cluster)));
        if (rec.enabled && rec.backend) await assertBackendUsable(o, ctx.timeoutMs, rec.backend, actor);
        targets = targets.filter(t => leads(t.cluster));
        ctx.lastRefusal.delete(rec.entityRef);
        if (!targets.length) continue;
        const outcomes = await ctx.withLock(rec.entityRef, () => applyTargets(ctx, rec.entityRef, entity, selector, targets!, { enabled: rec.enabled, backend: rec.backend }));
        const here = outcomes.flatMap(x => x.changed);
        const problems = [
          ...outcomes.filter(x => x.error).map(x => x.error!),
          ...outcomes.flatMap(x => x.workloadErrors.map(e => `${e.workload}: ${e.error}`)),
        ];
        if (here.length) {
          logger.info(`tracing: re-applied ${rec.enabled ? 'enabled' : 'disabled'} tracing of ${rec.entityRef} to ${here.join(', ')}`);
          await store.appendAudit({
            actor: SYSTEM_ACTOR,
            action: 'tracing.reconcile',
            target: `entity:${rec.entityRef}`,
            details: { enabled: rec.enabled, changed: here, ...(problems.length ? { errors: problems } : {}) },
          });
        }
        result.changed.push(...here);
        result.errors.push(...problems.map(p => `${rec.entityRef}: ${p}`));
      } catch (e) {
        const status = (e as { name?: string }).name;
        if (status !== 'InputError' && status !== 'NotAllowedError' && status !== 'NotFoundError') throw e;
        const reason = (e as Error).message;
        result.refused.push({ entityRef: rec.entityRef, reason });
        logger.warn(`tracing reconcile: not re-applying ${rec.enabled ? 'enabled' : 'disabled'} tracing of ${rec.entityRef}: ${reason}`);
        if (ctx.lastRefusal.get(rec.entityRef) !== reason) {
          ctx.lastRefusal.set(rec.entityRef, reason);
          await store.appendAudit({ actor: SYSTEM_ACTOR, action: 'tracing.reconcile.refused', target: `entity:${rec.entityRef}`, details: { enabled: rec.enabled, reason } });
        }
      }
    } catch (e) {
      result.errors.push(`${rec.entityRef}: ${errorMessage(e)}`);
    }
  }
  for (const e of result.errors) logger.warn(`tracing reconcile: ${e}`);
  return result;
}
