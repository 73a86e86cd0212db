import type { BackendRef } from './api';
/**
 * How a catalog entity maps to Kubernetes objects: the same annotations as
 * Backstage's Kubernetes plugin, so users annotate their entities once.
 */
export const KUBERNETES_ID_ANNOTATION = 'backstage.io/kubernetes-id';
export const KUBERNETES_LABEL_SELECTOR_ANNOTATION = 'backstage.io/kubernetes-label-selector';
export const KUBERNETES_NAMESPACE_ANNOTATION = 'backstage.io/kubernetes-namespace';
export const KUBERNETES_CLUSTER_ANNOTATION = 'backstage.io/kubernetes-cluster';
/** Our own: the backend (cluster/namespace/name) an entity's agents report to. */
export const SKYWALKING_BACKEND_ANNOTATION = 'skywalking.apache.org/backend';

/**
 * The backend named by an entity's `skywalking.apache.org/backend`
 * annotation (`cluster/namespace/name`), or undefined when absent or malformed.
 */
export function entityBackendRef(entity: EntityLike): BackendRef | undefined {
  const v = entity.metadata.annotations?.[SKYWALKING_BACKEND_ANNOTATION];
  const parts = v?.split('/');
  if (!parts || parts.length !== 3 || parts.some(p => !p)) return undefined;
  return { cluster: parts[0], namespace: parts[1], name: parts[2] };
}

interface EntityLike {
  metadata: { name: string; annotations?: Record<string, string> };
}

export interface EntityWorkloadSelector {
  /** a Kubernetes label selector string, e.g. `backstage.io/kubernetes-id=shop` */
  labelSelector: string;
  namespace?: string;
  cluster?: string;
}

/** True when the entity names its Kubernetes workloads. */
export function isSkyWalkingAvailable(entity: EntityLike): boolean {
  const a = entity.metadata.annotations ?? {};
  return Boolean(a[KUBERNETES_ID_ANNOTATION] || a[KUBERNETES_LABEL_SELECTOR_ANNOTATION]);
}

/**
 * The label selector that finds an entity's workloads, exactly as Backstage's
 * Kubernetes plugin builds it: the label-selector annotation wins over the id.
 */
export function entityWorkloadSelector(entity: EntityLike): EntityWorkloadSelector | undefined {
  const a = entity.metadata.annotations ?? {};
  const labelSelector =
    a[KUBERNETES_LABEL_SELECTOR_ANNOTATION] ||
    (a[KUBERNETES_ID_ANNOTATION] ? `${KUBERNETES_ID_ANNOTATION}=${a[KUBERNETES_ID_ANNOTATION]}` : undefined);
  if (!labelSelector) return undefined;
  return {
    labelSelector,
    namespace: a[KUBERNETES_NAMESPACE_ANNOTATION] || undefined,
    cluster: a[KUBERNETES_CLUSTER_ANNOTATION] || undefined,
  };
}

/**
 * Name of the catalog Resource that represents a backend. The scaffolder
 * action returns it and the catalog provider emits it, so both must agree.
 */
export function backendEntityName(b: { cluster: string; namespace: string; name: string }): string {
  return `skywalking-${b.cluster}-${b.namespace}-${b.name}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63)
    .replace(/-+$/, '');
}
