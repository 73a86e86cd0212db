import { KubeObject, checksum } from '@skywalking-backstage/plugin-skywalking-common';
import { K8s, loadK8s } from '../clusters/k8s';

/** fieldManager of every server-side apply the plugin makes */
export const FIELD_MANAGER = 'skywalking-backstage';
/**
 * fieldManager that holds a Deployment's replicas for a moment when we stop
 * setting them (an HPA takes them over): without it, applying the Deployment
 * without replicas would drop the field we owned, and the API server would
 * default it to 1.
 */
export const REPLICAS_HANDOFF_MANAGER = 'skywalking-backstage-replicas-handoff';
/** checksum of what we last applied, so a field we stop rendering is noticed too */
export const APPLIED_HASH_ANNOTATION = 'skywalking-backstage.io/applied-hash';

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether every field of `want` has the same value in `have` (arrays element by element, same length). */
export function isSubset(want: unknown, have: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(have) && want.length === have.length && want.every((x, i) => isSubset(x, have[i]));
  if (isObject(want)) return isObject(have) && Object.keys(want).every(k => want[k] === undefined || isSubset(want[k], have[k]));
  return want === have;
}

/** Drops undefined values (JSON semantics), so hashes and comparisons see what the API server sees. */
export function clean<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/** The desired object with its applied-hash annotation. */
export function withAppliedHash(obj: KubeObject): KubeObject {
  const c = clean(obj);
  const annotations = { ...(c.metadata.annotations ?? {}) };
  delete annotations[APPLIED_HASH_ANNOTATION];
  const hash = checksum({ ...c, metadata: { ...c.metadata, annotations } });
  return { ...c, metadata: { ...c.metadata, annotations: { ...annotations, [APPLIED_HASH_ANNOTATION]: hash } } };
}

/** The fields of a desired object we manage, without apiVersion/kind (informer caches may lack them). */
export function managedView(obj: KubeObject): any {
  const { apiVersion: _v, kind: _k, metadata, ...rest } = obj;
  return {
    ...rest,
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      labels: metadata.labels,
      annotations: metadata.annotations,
      ownerReferences: metadata.ownerReferences?.map((r: any) => ({ kind: r.kind, name: r.name, uid: r.uid, controller: r.controller })),
    },
  };
}

/** Whether a live object already has every field we manage (then no PATCH is needed). */
export function upToDate(desired: KubeObject, live: any | undefined): boolean {
  return Boolean(live) && isSubset(managedView(desired), live);
}

/**
 * Server-side apply (`application/apply-patch+yaml`, fieldManager
 * skywalking-backstage, force) of a rendered object, skipped when the live
 * object already matches: steady state issues no writes.
 */
export class Applier {
  constructor(
    private readonly kc: K8s.KubeConfig,
    private readonly onWrite: (verb: string, obj: KubeObject) => void = () => {},
    /** called right before each PATCH; throws when this replica may no longer write (lost the lead mid-reconcile) */
    private readonly beforeWrite: () => void = () => {},
  ) {}

  private client?: K8s.KubernetesObjectApi;

  private async objects() {
    if (!this.client) this.client = (await loadK8s()).KubernetesObjectApi.makeApiClient(this.kc);
    return this.client;
  }

  /**
   * `live` is the cached object, or 'read' to GET it first (kinds without an
   * informer). Returns whether a PATCH was sent.
   */
  async apply(obj: KubeObject, live: any | undefined | 'read'): Promise<boolean> {
    const desired = withAppliedHash(obj);
    const client = await this.objects();
    let current = live;
    if (current === 'read') {
      try {
        current = await client.read({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace } });
      } catch (e: any) {
        if (e?.code !== 404) throw e;
        current = undefined;
      }
    }
    if (upToDate(desired, current)) return false;
    const handoff = replicasHandoff(desired, current);
    if (handoff) {
      this.beforeWrite();
      await serverSideApply(client, handoff, REPLICAS_HANDOFF_MANAGER);
      this.onWrite('apply', handoff);
    }
    this.beforeWrite();
    await serverSideApply(client, desired);
    this.onWrite('apply', desired);
    return true;
  }
}

/**
 * The apply that hands a Deployment's replicas over before we stop setting
 * them (rendered without replicas: an HPA owns them): another field manager
 * applies the live count, so releasing ours keeps it (Kubernetes' documented
 * way of handing replicas to an HPA under server-side apply). Only while we
 * still own the field; a Deployment scaled to zero is handed over at 1 (an
 * HPA is disabled at 0 and raises 1 to its minimum). Undefined: nothing to hand over.
 */
export function replicasHandoff(desired: KubeObject, live: any | undefined): KubeObject | undefined {
  if (desired.kind !== 'Deployment' || desired.spec?.replicas !== undefined || typeof live?.spec?.replicas !== 'number') return undefined;
  const ours = (live.metadata?.managedFields ?? []).some(
    (f: any) => f.manager === FIELD_MANAGER && f.operation === 'Apply' && f.fieldsV1?.['f:spec']?.['f:replicas'] !== undefined,
  );
  if (!ours) return undefined;
  return {
    apiVersion: desired.apiVersion,
    kind: desired.kind,
    metadata: { name: desired.metadata.name, namespace: desired.metadata.namespace },
    spec: { replicas: Math.max(1, live.spec.replicas) },
  };
}

/** One server-side apply PATCH. */
export async function serverSideApply(client: K8s.KubernetesObjectApi, obj: KubeObject, fieldManager = FIELD_MANAGER) {
  const k8s = await loadK8s();
  return client.patch(obj as any, undefined, undefined, fieldManager, true, k8s.PatchStrategy.ServerSideApply);
}
