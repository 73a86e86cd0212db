import { ConflictError } from '@backstage/errors';
import { MANAGED_BY } from '@skywalking-backstage/plugin-skywalking-common';

/** The label the portal puts on every custom object it renders (backendObjects.ts). */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

type Labelled = { kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } };

/**
 * Refuses a write to a custom object the portal did not create: an OAPServer
 * someone applied by hand (or another tool manages) shares the cluster, and a
 * team allowed to scale the portal's backends must not thereby reach it.
 * Adopting one is explicit: label it `app.kubernetes.io/managed-by=skywalking-backstage`.
 */
export function assertPortalManaged(o: Labelled | undefined, cluster: string, action: string): void {
  if (!o || o.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) return;
  const what = `${o.kind ?? 'object'} ${o.metadata?.namespace}/${o.metadata?.name} in cluster ${cluster}`;
  throw new ConflictError(
    `${what} is not managed by this portal (it lacks the label ${MANAGED_BY_LABEL}=${MANAGED_BY}), so the portal does not ${action} it; ` +
      `to adopt it, label it: kubectl label ${(o.kind ?? 'oapserver').toLowerCase()} -n ${o.metadata?.namespace} ${o.metadata?.name} ${MANAGED_BY_LABEL}=${MANAGED_BY}`,
  );
}
