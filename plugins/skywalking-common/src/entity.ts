import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
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

const ENTITY_NAME_PART = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HASH_HEX = 16;

/**
 * Name of the catalog Resource that represents a backend. The scaffolder
 * action returns it and the catalog provider emits it, so both must agree.
 *
 * Distinct backends get distinct names (joining the parts with "-" made
 * cluster `a-b`/namespace `c` and cluster `a`/namespace `b-c` one entity, and
 * cutting at 63 characters merged long names): `skywalking.<cluster>.<namespace>.<name>`
 * when every part is a DNS label and it fits in 63 characters (the dots
 * separate parts that cannot hold one); otherwise a readable prefix and 64
 * bits of the SHA-256 of the exact parts, `skywalking-<prefix>-<hash>`,
 * which has no dot and so never equals a name of the first form.
 */
export function backendEntityName(b: { cluster: string; namespace: string; name: string }): string {
  const parts = [b.cluster, b.namespace, b.name];
  const exact = `skywalking.${parts.join('.')}`;
  if (exact.length <= 63 && parts.every(p => ENTITY_NAME_PART.test(p))) return exact;
  const hash = bytesToHex(sha256(JSON.stringify(parts))).slice(0, HASH_HEX);
  const prefix = parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63 - 'skywalking-'.length - 1 - HASH_HEX)
    .replace(/-+$/, '');
  return `skywalking-${prefix ? `${prefix}-` : ''}${hash}`;
}
