/*
 * The tracing toggle of a catalog entity (issue 5, server side; issue 15 for
 * what it may act on): finds the entity's workloads the way Backstage's
 * Kubernetes plugin does, within the namespaces tenancy gives it
 * (authorise.ts), turns the SkyWalking java agent on or off for them, keeps
 * the choice as desired state in the database and re-applies it
 * periodically (reconcile.ts).
 *
 * Two ways to get the agent into pods, per cluster: webhook mode
 * (webhookMode.ts: namespace label and pod template annotations by
 * server-side apply) and patch mode (patchMode.ts: the pod template injected
 * by a JSON patch). Every write carries the entity's own field manager.
 */
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Entity, parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import { BackendRef, entityBackendRef, entityWorkloadSelector, TracingStatus } from '@skywalking-backstage/plugin-skywalking-common';
import type { TracingOperations } from '../service/router';
import { ApplyContext, applyTargets } from './apply';
import {
  assertBackendUsable,
  assertMayReadBackend,
  assertTargetsAllowed,
  backendShape,
  ownerSubject,
  resolveTargets,
  tracingSelector,
  TracingSubject,
} from './authorise';
import { reconcileTracing, ReconcileResult } from './reconcile';
import { tracingStatus } from './status';
import type { TracingServiceOptions } from './types';

export type { InjectionMode, TracingCatalog, TracingServiceOptions } from './types';
export { podHasAgent } from './status';

/**
 * The change was recorded as desired state but could not be applied to every
 * cluster; reconcileTracing applies it once the cluster answers again.
 */
export class TracingNotAppliedError extends ServiceUnavailableError {
  constructor(message: string, readonly clusters: { name: string; error: string }[]) {
    super(message);
  }
}

export class TracingService implements TracingOperations {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly ctx: ApplyContext & { lastRefusal: Map<string, string> };

  constructor(private readonly options: TracingServiceOptions) {
    this.ctx = { options, timeoutMs: options.timeoutMs ?? 15_000, workloadErrors: new Map(), lastRefusal: new Map() };
  }

  async getStatus(entityRef: string, credentials: BackstageCredentials): Promise<TracingStatus> {
    const ref = this.normalizeRef(entityRef);
    const entity = await this.entity(ref, credentials);
    if (!entityWorkloadSelector(entity)) return tracingStatus(this.ctx, ref, undefined, []);
    const selector = tracingSelector(entity, ref);
    const targets = await resolveTargets(this.options, this.ctx.timeoutMs, ref, selector, await this.owner(ref, entity));
    return tracingStatus(this.ctx, ref, selector, targets);
  }

  async setTracing(
    input: { entityRef: string; enabled: boolean; backend?: BackendRef },
    actor: string,
    credentials: BackstageCredentials,
  ): Promise<TracingStatus> {
    const o = this.options;
    const ref = this.normalizeRef(input.entityRef);
    const requested = backendShape(input.backend);
    const entity = await this.entity(ref, credentials);
    const selector = tracingSelector(entity, ref);
    const caller: TracingSubject = { who: actor, refs: await o.tenancy.callerRefs(credentials) };
    const owner = await this.owner(ref, entity);
    const targets = await resolveTargets(o, this.ctx.timeoutMs, ref, selector, owner);
    await assertTargetsAllowed(o, [caller, owner], targets);
    const existing = await o.store.getTracing(ref);
    const backend = requested ?? existing?.backend ?? entityBackendRef(entity);
    if (input.enabled) {
      if (!backend) throw new InputError(`choose the SkyWalking backend ${ref} reports to (backend: {cluster, namespace, name})`);
      await assertMayReadBackend(o, backend, credentials);
      await assertBackendUsable(o, this.ctx.timeoutMs, backend, caller);
    }
    const collector = backend ? await o.backendCollector(backend) : undefined;
    const mode = targets.length ? o.injectionMode(targets[0].cluster) : 'webhook';

    return this.withLock(ref, async () => {
      // desired state first: an unreachable cluster gets it from reconcileTracing later
      await o.store.setTracing({ entityRef: ref, enabled: input.enabled, backend, mode, updatedBy: actor });
      const outcomes = await applyTargets(this.ctx, ref, entity, selector, targets, { enabled: input.enabled, backend });
      const failed = outcomes.filter(x => x.error);
      await o.store.appendAudit({
        actor,
        action: input.enabled ? 'tracing.enable' : 'tracing.disable',
        target: `entity:${ref}`,
        details: {
          ...(backend ? { backend } : {}),
          ...(collector ? { collector } : {}),
          namespaces: targets.flatMap(t => t.namespaces.map(ns => `${t.cluster}/${ns}`)),
          changed: outcomes.flatMap(x => x.changed),
          ...(failed.length ? { pending: failed.map(x => ({ cluster: x.name, error: x.error })) } : {}),
          ...(outcomes.some(x => x.workloadErrors.length) ? { errors: outcomes.flatMap(x => x.workloadErrors) } : {}),
        },
      });
      if (failed.length) {
        throw new TracingNotAppliedError(
          `tracing ${input.enabled ? 'enable' : 'disable'} for ${ref} is recorded and will be applied when the cluster answers again: ${failed
            .map(x => x.error)
            .join('; ')}`,
          failed.map(x => ({ name: x.name, error: x.error! })),
        );
      }
      return tracingStatus(this.ctx, ref, selector, targets, outcomes);
    });
  }

  /** See reconcile.ts: leader clusters only, every rule checked again first. */
  reconcileTracing(): Promise<ReconcileResult> {
    return reconcileTracing({ ...this.ctx, withLock: (k, w) => this.withLock(k, w) });
  }

  private owner(ref: string, entity: Entity): Promise<TracingSubject> {
    return ownerSubject(this.options, ref, entity);
  }

  private normalizeRef(entityRef: string): string {
    try {
      return stringifyEntityRef(parseEntityRef(entityRef));
    } catch (e) {
      throw new InputError(`invalid entity ref ${JSON.stringify(entityRef)}: ${(e as Error).message}`);
    }
  }

  private async entity(ref: string, credentials: BackstageCredentials): Promise<Entity> {
    const entity = await this.options.catalog.getEntityByRef(ref, { credentials });
    if (!entity) throw new NotFoundError(`no catalog entity ${ref}`);
    return entity;
  }

  private async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.locks.set(key, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(key) === next) this.locks.delete(key);
    }
  }
}
