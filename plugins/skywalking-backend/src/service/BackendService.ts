import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  BackendDetail,
  BackendList,
  BackendRef,
  BackendSummary,
  ClusterSummary,
  oapClusterRbacName,
  oapReplicasOf,
  renderRover,
  roverNames,
  SkyWalkingBackendSpec,
  WriteResult,
} from '@skywalking-backstage/plugin-skywalking-common';
import { loadK8s } from '../clusters/k8s';
import { SWCK_API_VERSION, SWCK_GROUP, SWCK_VERSION } from '../engine/kinds';
import { BackendOperations } from './types';
import { BackendTls } from './BackendTls';
import { StorageTls } from './StorageTls';
import { planScale } from './scaling';
import { startUpgrade, upgradeOf, UpgradeOptions, upgradeRefusal } from '../engine/upgrade';
import { backendKeyOf, OutboxOp } from './outbox/types';
import { OutboxDrainer, OutboxDrainerOptions } from './outbox/OutboxDrainer';
import { writeOrQueue } from './outbox/writeOrQueue';
import { OutboxSealer } from './outbox/sealing';
import { assertPortalManaged } from './portalManaged';
import { UpgradeInputError } from './upgradeInputError';
import { assertUpdateAllowed, specETag, UpdateOptions } from './updateGuard';
import { FIELD_MANAGER, Obj, PAUSED_ANNOTATION, renderBackendObjects, ROVER_PAUSED_NODE_LABEL } from './backendObjects';
import { BackendReads, BackendReadsOptions, PLURAL, recordedSpecOf } from './backendReads';

export { FIELD_MANAGER, OWNER_ANNOTATION, PAUSED_ANNOTATION, renderBackendObjects, ROVER_ANNOTATION, ROVER_PAUSED_NODE_LABEL } from './backendObjects';
export { phaseOf, roverCondition, roverOf } from './backendStatus';

export { isNetworkError } from './networkError';
export type { BackendOutbox, OutboxEntry, OutboxOp } from './outbox/types';

export { UpgradeInputError } from './upgradeInputError';
export { PreconditionFailedError, specETag } from './updateGuard';
export type { UpdateOptions } from './updateGuard';

/** fieldManagers of partial changes: each owns only the fields it sets, so applying it never drops the rest */
const SCALE_MANAGER = 'skywalking-backstage-scale';
const PAUSE_MANAGER = 'skywalking-backstage-pause';
/** A custom object's spec without `instances`, so an apply leaves the replicas to their owner. */
function withoutInstances(spec: any) {
  const { instances: _instances, ...rest } = spec ?? {};
  return rest;
}

export interface BackendServiceOptions extends BackendReadsOptions {
  /** certificates of backends with TLS (default: one on these clusters) */
  tls?: BackendTls;
  /** identity, limits, re-check and hooks of the outbox drain (OutboxDrainer) */
  drain?: Omit<OutboxDrainerOptions, 'outbox' | 'clusters' | 'logger' | 'replay'>;
  /** seals secret literals of queued changes (default: none configured, such a change is refused, not stored in clear) */
  sealer?: OutboxSealer;
}

/**
 * SkyWalking backends as SWCK custom objects, for the REST API and the
 * scaffolder: reads with status, pods and events; writes by server-side apply;
 * a write for an unreachable cluster (or one with writes still waiting) goes
 * to the outbox and is answered `{ queued: true }`, then replayed in order by
 * drainOutbox() when the cluster answers again.
 */
export class BackendService implements BackendOperations {
  /** issues, renews and removes the certificates of backends with TLS */
  readonly tls: BackendTls;
  /** the truststore password and CA checksum of backends with TLS to external storage */
  readonly storageTls: StorageTls;
  /** replays the outbox (claims, order, dead letters) */
  readonly drainer: OutboxDrainer;
  /** lists and reads (backendReads.ts) */
  private readonly reads: BackendReads;
  private readonly sealer: OutboxSealer;

  constructor(private readonly o: BackendServiceOptions) {
    this.reads = new BackendReads(o);
    this.sealer = o.sealer ?? new OutboxSealer();
    this.drainer = new OutboxDrainer({ ...o.drain, outbox: o.outbox, clusters: o.clusters, logger: o.logger, replay: op => this.replay(op) });
    this.tls = o.tls ?? new BackendTls({ clusters: o.clusters, logger: o.logger });
    this.storageTls = new StorageTls({ clusters: o.clusters, logger: o.logger });
  }

  private c(cluster: string) {
    return this.o.clusters.clients(cluster);
  }

  // ------------------------------------------------------------------- reads

  listClusters(): Promise<ClusterSummary[]> {
    return this.reads.listClusters();
  }

  listNamespaces(cluster: string): Promise<string[]> {
    return this.reads.listNamespaces(cluster);
  }

  /** Backends of every reachable cluster; creations still waiting in an outbox show as Queued. */
  list(): Promise<BackendSummary[]> {
    return this.reads.list();
  }

  /** Backends of every cluster with their outbox status, and the clusters that could not be listed. */
  listWithStatus(): Promise<BackendList> {
    return this.reads.listWithStatus();
  }

  /** One backend with its pods and recent events. */
  get(ref: BackendRef): Promise<BackendDetail> {
    return this.reads.get(ref);
  }

  /** The gRPC address agents of a backend report to (its Satellite, else its OAP Service). */
  collectorAddress(ref: BackendRef): Promise<string> {
    return this.reads.collectorAddress(ref);
  }

  private read(ref: BackendRef, kind: string): Promise<Obj | undefined> {
    return this.reads.read(ref, kind);
  }

  private readRover(ref: BackendRef): Promise<Obj | undefined> {
    return this.reads.readRover(ref);
  }

  // ------------------------------------------------------------------ writes

  /** Runs a write now, or queues it (outbox/writeOrQueue.ts). */
  private write(cluster: string, op: OutboxOp, run: () => Promise<void>): Promise<WriteResult> {
    return writeOrQueue({ ...this.o, seal: q => this.sealer.seal(q) }, cluster, op, run);
  }

  /** Server-side applies the objects in order; returns them as the API server answered. */
  private async applyAll(cluster: string, objects: Obj[], fieldManager = FIELD_MANAGER): Promise<Obj[]> {
    const client = this.c(cluster).objects;
    const k8s = await loadK8s();
    const applied: Obj[] = [];
    for (const o of objects) applied.push((await client.patch(o as any, undefined, undefined, fieldManager, true, k8s.PatchStrategy.ServerSideApply)) as Obj);
    return applied;
  }

  /**
   * Rover of a backend as its spec asks: applied, the namespaced objects owned
   * by the just-applied OAPServer (garbage collected with it), or, when
   * `removeIfDisabled`, deleted with its cluster-scoped RBAC.
   */
  private async syncRover(spec: SkyWalkingBackendSpec, applied: Obj[], removeIfDisabled: boolean) {
    const oap = applied.find(o => o?.kind === 'OAPServer');
    if (spec.rover?.enabled === true) {
      const uid = oap?.metadata?.uid;
      if (!uid) throw new Error(`the OAPServer ${spec.namespace}/${spec.name} has no uid after apply`);
      const owner = { apiVersion: SWCK_API_VERSION, kind: 'OAPServer', name: spec.name, uid };
      await this.applyAll(spec.cluster, renderRover(spec, { owner }));
    } else if (removeIfDisabled) {
      await this.deleteRover(spec);
    }
  }

  /** Deletes a backend's Rover: DaemonSet and ServiceAccount, and the cluster-scoped RBAC no owner reference can remove. */
  private async deleteRover(ref: BackendRef) {
    const n = roverNames(ref);
    const rbac = 'rbac.authorization.k8s.io/v1';
    for (const o of [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: n.daemonSet, namespace: ref.namespace } },
      { apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: { name: n.clusterRoleBinding } },
      { apiVersion: rbac, kind: 'ClusterRole', metadata: { name: n.clusterRole } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: n.serviceAccount, namespace: ref.namespace } },
    ]) {
      await this.c(ref.cluster)
        .objects.delete(o, undefined, undefined, undefined, undefined, 'Background')
        .catch((e: any) => {
          if (e?.code !== 404) throw e;
        });
    }
  }

  /** Deletes the OAP ServiceAccount's ClusterRole and ClusterRoleBinding (render.ts renderOAPClusterRbac): cluster-scoped, no owner reference removes them. */
  private async deleteOapClusterRbac(ref: BackendRef) {
    const name = oapClusterRbacName(ref.namespace, ref.name);
    for (const kind of ['ClusterRoleBinding', 'ClusterRole']) {
      await this.c(ref.cluster)
        .objects.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name } }, undefined, undefined, undefined, undefined, 'Background')
        .catch((e: any) => {
          if (e?.code !== 404) throw e;
        });
    }
  }

  private async doCreate(spec: SkyWalkingBackendSpec) {
    // a create over an OAPServer someone else made would take it over: adopting is explicit (portalManaged.ts)
    assertPortalManaged(await this.read(spec, 'OAPServer'), spec.cluster, 'overwrite');
    // the scaffolder offers new namespaces too
    const ns: Obj = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: spec.namespace } };
    const applied = await this.applyAll(spec.cluster, [ns, ...renderBackendObjects(spec)]);
    await this.syncRover(spec, applied, false);
    if (spec.tls !== undefined) await this.tls.reconcile(spec);
    if (spec.storage?.external?.tls !== undefined) await this.storageTls.reconcile(spec);
    // created paused: the replicas asked for are what resume brings
    if (spec.paused === true) await this.doPause(spec, { oap: oapReplicasOf(spec), ui: spec.ui?.enabled === false ? 0 : spec.ui?.replicas ?? 1 });
  }

  async create(spec: Record<string, unknown>, actor: string): Promise<WriteResult> {
    const s = spec as unknown as SkyWalkingBackendSpec;
    return this.write(s.cluster, { operation: 'create', payload: { args: [s], actor } }, () => this.doCreate(s));
  }

  private async doUpdate(ref: BackendRef, spec: SkyWalkingBackendSpec, options: UpdateOptions = {}) {
    const full = { ...spec, ...ref };
    // an update replaces an existing backend; applying it would create one without the create permission
    const current = await this.read(ref, 'OAPServer');
    if (!current) throw new NotFoundError(`no SkyWalking backend ${ref.namespace}/${ref.name} in cluster ${ref.cluster}`);
    assertPortalManaged(current, ref.cluster, 'update');
    const wasPaused = Boolean(current.metadata?.annotations?.[PAUSED_ANNOTATION]);
    // `paused` in the spec pauses or resumes; absent, the backend stays as it is
    const paused = spec.paused ?? wasPaused;
    const objects = renderBackendObjects(full).map(o =>
      // while paused the pause manager owns the replicas (zero): the update leaves them alone
      paused && (o.kind === 'OAPServer' || o.kind === 'UI') ? { ...o, spec: withoutInstances(o.spec) } : o,
    );
    // If-Match against the live spec, no upgrade under way, no version change (updateGuard.ts, M8)
    const [ui, banyandb, satellite] = await Promise.all([this.read(ref, 'UI'), this.read(ref, 'BanyanDB'), this.read(ref, 'Satellite')]);
    assertUpdateAllowed({ ref, live: { oap: current, ui, banyandb }, objects, ifMatch: options.ifMatch, etag: () => specETag(recordedSpecOf(current, ui, banyandb, satellite)) });
    const applied = await this.applyAll(ref.cluster, objects);
    // Rover switched off (or never on): its DaemonSet and RBAC go; nothing is left behind
    await this.syncRover(full, applied, true);
    // certificates issued, or removed when TLS was turned off
    await this.tls.reconcile(ref);
    // storage TLS: the truststore Secret created (kept) or removed, the CA checksum recorded
    await this.storageTls.reconcile(ref);
    // a component no longer in the spec (UI disabled, storage now external) goes
    const kinds = new Set(objects.map(o => o.kind));
    for (const kind of ['UI', 'BanyanDB', 'Satellite']) {
      if (!kinds.has(kind)) await this.deleteKind(ref, kind);
    }
    const saved = { oap: oapReplicasOf(full), ui: full.ui?.enabled === false ? 0 : full.ui?.replicas ?? 1 };
    if (paused) await this.doPause(ref, saved); // records the new replicas for resume
    else if (wasPaused) await this.doResume(ref, saved);
  }

  /** A full replace of the spec; `ifMatch` is checked when it is applied (a queued update, when replayed). */
  async update(ref: BackendRef, spec: Record<string, unknown>, actor: string, options: UpdateOptions = {}): Promise<WriteResult> {
    const s = spec as unknown as SkyWalkingBackendSpec;
    const args = options.ifMatch === undefined ? [ref, s] : [ref, s, { ifMatch: options.ifMatch }];
    return this.write(ref.cluster, { operation: 'update', payload: { args, actor } }, () => this.doUpdate(ref, s, options));
  }

  private partial(ref: BackendRef, kind: string, spec: any, metadata: any = {}): Obj {
    return { apiVersion: SWCK_API_VERSION, kind, metadata: { name: ref.name, namespace: ref.namespace, ...metadata }, spec };
  }

  private async doScale(ref: BackendRef, replicas: number, role?: string) {
    const oap = await this.read(ref, 'OAPServer');
    if (!oap) throw new NotFoundError(`no SkyWalking backend ${ref.namespace}/${ref.name} in cluster ${ref.cluster}`);
    assertPortalManaged(oap, ref.cluster, 'scale');
    // one role's count, or the total shared by the split; refused where an HPA owns the replicas (scaling.ts)
    const plan = planScale(oap, replicas, role);
    await this.applyAll(ref.cluster, [this.partial(ref, 'OAPServer', { instances: plan.instances }, plan.annotations ? { annotations: plan.annotations } : {})], SCALE_MANAGER);
  }

  /**
   * Sets the OAP replicas (its own field manager: the rest of the spec stays
   * as applied); with role split, `role` scales the Receivers or the
   * Aggregators alone.
   */
  async scale(ref: BackendRef, replicas: number, actor: string, role?: string): Promise<WriteResult> {
    const args = role === undefined ? [ref, replicas] : [ref, replicas, role];
    return this.write(ref.cluster, { operation: 'scale', payload: { args, actor } }, () => this.doScale(ref, replicas, role));
  }

  /** `replicas`: what resume brings back (default: the current replicas); given, a paused backend records them anew. */
  private async doPause(ref: BackendRef, replicas?: { oap: number; ui: number }) {
    const [oap, ui] = await Promise.all([this.read(ref, 'OAPServer'), this.read(ref, 'UI')]);
    if (!oap) throw new NotFoundError(`no SkyWalking backend ${ref.namespace}/${ref.name} in cluster ${ref.cluster}`);
    assertPortalManaged(oap, ref.cluster, 'pause');
    if (oap.metadata?.annotations?.[PAUSED_ANNOTATION] && !replicas) return;
    const saved = JSON.stringify(replicas ?? { oap: oap.spec?.instances ?? 1, ui: ui?.spec?.instances ?? 0 });
    const objects = [this.partial(ref, 'OAPServer', { instances: 0 }, { annotations: { [PAUSED_ANNOTATION]: saved } })];
    if (ui) objects.push(this.partial(ref, 'UI', { instances: 0 }));
    // a DaemonSet has no replicas: Rover is paused by a node selector no node has
    if (await this.readRover(ref)) objects.push(this.roverPause(ref, true));
    await this.applyAll(ref.cluster, objects, PAUSE_MANAGER);
  }

  /** The pause manager's share of the Rover DaemonSet: the unmatchable node selector, or nothing (released). */
  private roverPause(ref: BackendRef, paused: boolean): Obj {
    return {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: roverNames(ref).daemonSet, namespace: ref.namespace },
      ...(paused ? { spec: { template: { spec: { nodeSelector: { [ROVER_PAUSED_NODE_LABEL]: 'true' } } } } } : {}),
    };
  }

  /** Scales OAP and UI to zero, remembering their replicas. */
  async pause(ref: BackendRef, actor: string): Promise<WriteResult> {
    return this.write(ref.cluster, { operation: 'pause', payload: { args: [ref], actor } }, () => this.doPause(ref));
  }

  /** `replicas`: what to come back to (default: what the pause recorded). */
  private async doResume(ref: BackendRef, replicas?: { oap: number; ui: number }) {
    const [oap, ui] = await Promise.all([this.read(ref, 'OAPServer'), this.read(ref, 'UI')]);
    if (!oap) throw new NotFoundError(`no SkyWalking backend ${ref.namespace}/${ref.name} in cluster ${ref.cluster}`);
    assertPortalManaged(oap, ref.cluster, 'resume');
    const raw = oap.metadata?.annotations?.[PAUSED_ANNOTATION];
    if (!raw) return;
    const saved = replicas ?? JSON.parse(raw);
    // the pause manager gives up the annotation (omitted) and sets the saved replicas
    const objects = [this.partial(ref, 'OAPServer', { instances: saved.oap || 1 })];
    if (ui) objects.push(this.partial(ref, 'UI', { instances: saved.ui || 1 }));
    // applying nothing for the DaemonSet releases the pause manager's node selector
    if (await this.readRover(ref)) objects.push(this.roverPause(ref, false));
    await this.applyAll(ref.cluster, objects, PAUSE_MANAGER);
  }

  async resume(ref: BackendRef, actor: string): Promise<WriteResult> {
    return this.write(ref.cluster, { operation: 'resume', payload: { args: [ref], actor } }, () => this.doResume(ref));
  }

  /**
   * Records the upgrade on the OAPServer; the reconcile engine rolls storage,
   * OAP and UI in that order and rolls back what it upgraded when a step's new
   * pods are not Ready by the deadline (engine/upgrade.ts).
   */
  private async doUpgrade(ref: BackendRef, version: string, options: UpgradeOptions = {}) {
    const [oap, ui, banyandb] = await Promise.all([this.read(ref, 'OAPServer'), this.read(ref, 'UI'), this.read(ref, 'BanyanDB')]);
    if (!oap) throw new NotFoundError(`no SkyWalking backend ${ref.namespace}/${ref.name} in cluster ${ref.cluster}`);
    assertPortalManaged(oap, ref.cluster, 'upgrade');
    const refusal = upgradeRefusal({ oap, banyandb }, { version, ...options });
    if (refusal) throw refusal.conflict ? new ConflictError(`${refusal.path}: ${refusal.message}`) : new UpgradeInputError(refusal.path, refusal.message);
    await startUpgrade(this.c(ref.cluster).custom, { oap, ui, banyandb }, { version, ...options });
  }

  /**
   * A queued upgrade replayed: one already recorded for this very target (a
   * drainer that died between apply and markDone) counts as applied, not as a
   * conflict with itself.
   */
  private async replayUpgrade(ref: BackendRef, version: string, options: UpgradeOptions = {}) {
    const already = upgradeOf((await this.read(ref, 'OAPServer')) ?? {});
    if (already && already.version === version && already.storageVersion === options.storageVersion) return;
    await this.doUpgrade(ref, version, options);
  }

  async upgrade(ref: BackendRef, version: string, actor: string, options: UpgradeOptions = {}): Promise<WriteResult> {
    return this.write(ref.cluster, { operation: 'upgrade', payload: { args: [ref, version, options], actor } }, () => this.doUpgrade(ref, version, options));
  }

  private async deleteKind(ref: BackendRef, kind: string) {
    await this.c(ref.cluster)
      .custom.deleteNamespacedCustomObject({ group: SWCK_GROUP, version: SWCK_VERSION, namespace: ref.namespace, plural: PLURAL[kind], name: ref.name, propagationPolicy: 'Background' })
      .catch((e: any) => {
        if (e?.code !== 404) throw e;
      });
  }

  private async doDelete(ref: BackendRef) {
    // nothing is deleted when any of the custom objects is not the portal's
    const kinds = ['UI', 'Satellite', 'OAPServer', 'BanyanDB'];
    for (const o of await Promise.all(kinds.map(k => this.read(ref, k)))) assertPortalManaged(o, ref.cluster, 'delete');
    // children go with their owners (garbage collection by ownerReferences)
    for (const kind of kinds) await this.deleteKind(ref, kind);
    // cluster-scoped RBAC has no namespaced owner: deleted here (the DaemonSet would also go by its owner)
    await this.deleteRover(ref);
    await this.deleteOapClusterRbac(ref);
    // Secrets of cert-manager carry no owner reference (by default): removed by their label
    await this.tls.remove(ref);
  }

  async delete(ref: BackendRef, actor: string): Promise<WriteResult> {
    return this.write(ref.cluster, { operation: 'delete', payload: { args: [ref], actor } }, () => this.doDelete(ref));
  }

  /** Puts a dead-lettered change of this backend back into the outbox (attempts reset); false when there is none with that id. */
  async retryDeadLetter(ref: BackendRef, id: string): Promise<boolean> {
    const entry = (await this.o.outbox.dead(ref.cluster)).find(e => String(e.id) === id && backendKeyOf(e.op) === `${ref.namespace}/${ref.name}`);
    return entry ? this.o.outbox.retry(entry.id) : false;
  }

  /** Applies one queued write (the outbox drain), its sealed values opened. */
  async replay(queued: OutboxOp): Promise<void> {
    const op = await this.sealer.open(queued);
    const a = op.payload.args as any[];
    switch (op.operation) {
      case 'create':
        return this.doCreate(a[0]);
      case 'update':
        return this.doUpdate(a[0], a[1], a[2]);
      case 'scale':
        return this.doScale(a[0], a[1], a[2]);
      case 'pause':
        return this.doPause(a[0]);
      case 'resume':
        return this.doResume(a[0]);
      case 'upgrade':
        return this.replayUpgrade(a[0], a[1], a[2]);
      case 'delete':
        return this.doDelete(a[0]);
      default:
        throw new Error(`unknown outbox operation ${(op as any).operation}`);
    }
  }

  /** Applies the writes waiting for a cluster, oldest first (OutboxDrainer). */
  drainOutbox(cluster: string): Promise<number> {
    return this.drainer.drain(cluster);
  }
}
