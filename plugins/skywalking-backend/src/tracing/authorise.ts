/**
 * What the tracing toggle may act on, checked before anything is written
 * (issue 15, finding C1) and again by every periodic reconcile:
 * - the entity's selector pins workloads by value (checkTracingSelector);
 * - no namespace annotation: the namespaces tenancy maps to the entity's
 *   owner, never all; no cluster annotation: the owner's mapped clusters;
 * - every resolved namespace passes tenancy for the caller (or, in the
 *   reconcile, the user who toggled) and for the entity's owner;
 * - the backend is a portal-managed OAPServer the caller may read.
 */
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { AuthorizeResult, isResourcePermission } from '@backstage/plugin-permission-common';
import {
  BackendRef,
  backendResourceRef,
  checkTracingSelector,
  entityWorkloadSelector,
  EntityWorkloadSelector,
  KUBERNETES_CLUSTER_ANNOTATION,
  KUBERNETES_ID_ANNOTATION,
  KUBERNETES_LABEL_SELECTOR_ANNOTATION,
  KUBERNETES_NAMESPACE_ANNOTATION,
  skywalkingBackendReadPermission,
} from '@skywalking-backstage/plugin-skywalking-common';
import { TenancyDeniedError } from '../tenancy/TenancyService';
import { errorMessage, isApiError, Kube, withTimeout } from './kube';
import type { ClusterTarget, TracingServiceOptions } from './types';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const isDnsLabel = (v: unknown): v is string => typeof v === 'string' && v.length <= 63 && DNS1123_LABEL.test(v);

/** Whose tenancy a toggle must pass: the caller (or recorded actor) and the entity's owner. */
export interface TracingSubject {
  who: string;
  refs: string[];
}

/** The entity's owner as a subject, named by its ref. */
export async function ownerSubject(o: TracingServiceOptions, ref: string, entity: Entity): Promise<TracingSubject> {
  const refs = await o.tenancy.entityOwnerRefs(entity);
  return { who: `${refs[0] ?? 'no owner'} (owner of ${ref})`, refs };
}

/** The entity's selector, refused (400 naming the annotation) when it could select what it does not own. */
export function tracingSelector(entity: Entity, ref: string): EntityWorkloadSelector {
  const s = entityWorkloadSelector(entity);
  const a = entity.metadata.annotations ?? {};
  if (!s) {
    throw new InputError(`${ref} names no Kubernetes workloads: annotate it with ${KUBERNETES_ID_ANNOTATION} or ${KUBERNETES_LABEL_SELECTOR_ANNOTATION}`);
  }
  const annotation = a[KUBERNETES_LABEL_SELECTOR_ANNOTATION] ? KUBERNETES_LABEL_SELECTOR_ANNOTATION : KUBERNETES_ID_ANNOTATION;
  const problem = checkTracingSelector(s.labelSelector);
  if (problem) {
    throw new InputError(`${ref}: the ${annotation} annotation ${JSON.stringify(a[annotation])} ${problem}; the tracing toggle needs selectors that pin values (key=value or key in (a,b))`);
  }
  if (s.namespace !== undefined && !isDnsLabel(s.namespace)) {
    throw new InputError(`${ref}: the ${KUBERNETES_NAMESPACE_ANNOTATION} annotation ${JSON.stringify(s.namespace)} is not a namespace name`);
  }
  return s;
}

/**
 * The clusters and namespaces the toggle acts in: the annotated ones, else
 * those tenancy maps to the entity's owner. A cluster that cannot be read
 * to find namespaces comes back with its error (applied later).
 */
export async function resolveTargets(
  o: TracingServiceOptions,
  timeoutMs: number,
  ref: string,
  selector: EntityWorkloadSelector,
  owner: TracingSubject,
): Promise<ClusterTarget[]> {
  const configured = o.clusters();
  let clusters: string[];
  if (selector.cluster) {
    if (!configured.includes(selector.cluster)) {
      throw new InputError(
        `${ref}: the ${KUBERNETES_CLUSTER_ANNOTATION} annotation names cluster ${selector.cluster}, which is not configured (configured: ${configured.join(', ') || 'none'})`,
      );
    }
    clusters = [selector.cluster];
  } else {
    clusters = o.tenancy.clustersFor(owner.refs, configured);
    if (!clusters.length) {
      throw new InputError(
        `${ref} has no ${KUBERNETES_CLUSTER_ANNOTATION} annotation and skywalking.tenancy maps no cluster to ${owner.who}: annotate the cluster or map the owner`,
      );
    }
  }
  if (selector.namespace) return clusters.map(cluster => ({ cluster, namespaces: [selector.namespace!] }));
  const targets = await Promise.all(
    clusters.map(async (cluster): Promise<ClusterTarget> => {
      let kube: Kube | undefined;
      try {
        kube = await Kube.create(await o.getKubeConfig(cluster));
        const all = await withTimeout(timeoutMs, `listing namespaces in cluster ${cluster}`, () => kube!.listNamespaces());
        const mine: string[] = [];
        for (const ns of all) {
          if ((await o.tenancy.allowed(owner.refs, cluster, ns.name, ns)).allowed) mine.push(ns.name);
        }
        return { cluster, namespaces: mine };
      } catch (e) {
        const where = kube?.server ? ` (${kube.server})` : '';
        return {
          cluster,
          namespaces: [],
          reachable: isApiError(e),
          error: isApiError(e)
            ? `cluster ${cluster}${where}: listing namespaces failed: ${errorMessage(e)}`
            : `cluster ${cluster}${where} is unreachable: ${errorMessage(e)}`,
        };
      }
    }),
  );
  if (targets.every(t => !t.error && !t.namespaces.length)) {
    throw new InputError(
      `${ref} has no ${KUBERNETES_NAMESPACE_ANNOTATION} annotation and skywalking.tenancy maps no namespace of cluster ${clusters.join(', ')} to ${owner.who}: annotate the namespace or map the owner`,
    );
  }
  return targets;
}

/** 403 naming the first namespace one of the subjects may not act in. */
export async function assertTargetsAllowed(o: TracingServiceOptions, subjects: TracingSubject[], targets: ClusterTarget[]): Promise<void> {
  for (const t of targets) {
    for (const ns of t.namespaces) {
      for (const s of subjects) {
        const d = await o.tenancy.allowed(s.refs, t.cluster, ns);
        if (!d.allowed) throw new TenancyDeniedError(`${s.who} may not toggle tracing in namespace ${ns} of cluster ${t.cluster}: ${d.reason}`);
      }
    }
  }
}

/** The request's backend, 400 naming each malformed field. */
export function backendShape(b: unknown): BackendRef | undefined {
  if (b === undefined || b === null) return undefined;
  if (typeof b !== 'object' || Array.isArray(b)) throw new InputError('backend must be { cluster, namespace, name }');
  const r = b as Record<string, unknown>;
  const bad: string[] = [];
  if (typeof r.cluster !== 'string' || !r.cluster || r.cluster.length > 253) bad.push('backend.cluster must be a configured cluster name');
  for (const k of ['namespace', 'name']) {
    if (!isDnsLabel(r[k])) bad.push(`backend.${k} ${JSON.stringify(r[k] ?? null)} is not a DNS-1123 label (lowercase letters, digits, "-"; at most 63 characters)`);
  }
  if (bad.length) throw new InputError(bad.join('; '));
  return { cluster: r.cluster as string, namespace: r.namespace as string, name: r.name as string };
}

/**
 * The backend exists in a configured cluster as an OAPServer the portal
 * manages, in a namespace the subject may act in (400, 403, 404).
 */
export async function assertBackendUsable(o: TracingServiceOptions, timeoutMs: number, backend: BackendRef, subject: TracingSubject): Promise<void> {
  const label = `backend ${backend.cluster}/${backend.namespace}/${backend.name}`;
  const configured = o.clusters();
  if (!configured.includes(backend.cluster)) {
    throw new InputError(`backend.cluster ${backend.cluster} is not a configured cluster (configured: ${configured.join(', ') || 'none'})`);
  }
  const d = await o.tenancy.allowed(subject.refs, backend.cluster, backend.namespace);
  if (!d.allowed) throw new TenancyDeniedError(`${subject.who} may not send traces to ${label}: ${d.reason}`);
  const kube = await Kube.create(await o.getKubeConfig(backend.cluster));
  const oap = await withTimeout(timeoutMs, `reading ${label}`, () => kube.readOapServer(backend.namespace, backend.name));
  if (!oap) throw new NotFoundError(`${label} does not exist: choose a backend of the portal`);
  if (oap.metadata?.labels?.['app.kubernetes.io/managed-by'] !== 'skywalking-backstage') {
    throw new NotFoundError(`${label} is not managed by this portal (no app.kubernetes.io/managed-by: skywalking-backstage): choose a backend of the portal`);
  }
}

/** The caller may read the backend (skywalking.backend.read), as the backends page requires. */
export async function assertMayReadBackend(o: TracingServiceOptions, backend: BackendRef, credentials: BackstageCredentials): Promise<void> {
  const permission = skywalkingBackendReadPermission;
  const request = isResourcePermission(permission) ? { permission, resourceRef: backendResourceRef(backend) } : { permission };
  const [decision] = await o.permissions.authorize([request as any], { credentials });
  if (decision.result !== AuthorizeResult.ALLOW) {
    throw new NotAllowedError(`Not allowed: ${permission.name} on backend ${backendResourceRef(backend)}`);
  }
}
