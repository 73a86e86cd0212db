import { NotAllowedError } from '@backstage/errors';
import { TenancyService } from '../../tenancy/TenancyService';
import { OutboxEntry } from './types';

/** The re-check could not be made (catalog unreachable...): the entry waits, no attempt is spent. */
export class RecheckUnavailableError extends Error {
  override name = 'RecheckUnavailableError';
}

/**
 * The tenancy rules of now for a queued change, before it is replayed: the
 * actor who asked must still be allowed in the backend's namespace (the
 * mapping or the namespace's owner label may have changed while it waited).
 * The permission framework's decision is not re-evaluated: it needs the
 * caller's credentials, which a queued change no longer has.
 */
export function tenancyRecheck(tenancy: Pick<TenancyService, 'userRefs' | 'allowed'>) {
  return async (entry: OutboxEntry) => {
    const ref = (entry.op.payload.args[0] ?? {}) as { namespace?: string };
    const actor = entry.op.payload.actor;
    let decision;
    try {
      decision = await tenancy.allowed(await tenancy.userRefs(actor), entry.cluster, ref.namespace ?? '');
    } catch (e) {
      throw new RecheckUnavailableError(`re-checking ${actor} in namespace ${ref.namespace} of cluster ${entry.cluster}: ${(e as Error)?.message ?? e}`);
    }
    if (!decision.allowed) throw new NotAllowedError(`${actor} may no longer act in namespace ${ref.namespace} of cluster ${entry.cluster}: ${decision.reason}`);
  };
}
