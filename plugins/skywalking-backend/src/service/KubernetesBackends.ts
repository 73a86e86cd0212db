import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  BackendDetail,
  BackendPhase,
  BackendRef,
  BackendSummary,
  ClusterSummary,
  EventSummary,
  PodSummary,
  StatusCondition,
  WriteResult,
} from '@skywalking-backstage/plugin-skywalking-common';
import { ClusterRegistry, ClusterUnreachableError } from '../clusters/ClusterRegistry';
import { loadK8s } from '../clusters/k8s';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { BackendOperations } from './types';

export const SWCK_GROUP = 'operator.skywalking.apache.org';
export const SWCK_VERSION = 'v1alpha1';
export const FIELD_MANAGER = 'skywalking-backstage';
const PAUSED_ANNOTATION = 'skywalking-backstage.io/paused-replicas';

type Obj = { apiVersion?: string; kind?: string; metadata: any; spec?: any; status?: any };

/** Renders the SWCK custom objects for a portal backend spec (OAPServer, UI, BanyanDB). */
export function renderSwckObjects(spec: any): Obj[] {
  const labels = { 'app.kubernetes.io/managed-by': FIELD_MANAGER, 'app.kubernetes.io/part-of': spec.name };
  const meta = (name: string) => ({ name, namespace: spec.namespace, labels });
  const version = spec.version;
  const storageType = spec.storage?.type ?? 'banyandb';
  const objects: Obj[] = [];
  const config: { name: string; value?: string; valueFrom?: any }[] = [...(spec.oap?.config ?? [])];
  if (storageType === 'banyandb') {
    objects.push({
      apiVersion: `${SWCK_GROUP}/${SWCK_VERSION}`,
      kind: 'BanyanDB',
      metadata: meta(spec.name),
      spec: {
        version: spec.storage?.banyandb?.version ?? '0.8.0',
        counts: 1,
        image: `apache/skywalking-banyandb:${spec.storage?.banyandb?.version ?? '0.8.0'}`,
        config: ['standalone'],
        storages: spec.storage?.banyandb?.storageSize
          ? [{ name: 'data', path: '/tmp', persistentVolumeClaimSpec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: spec.storage.banyandb.storageSize } } } }]
          : undefined,
      },
    });
    config.push({ name: 'SW_STORAGE', value: 'banyandb' }, { name: 'SW_STORAGE_BANYANDB_TARGETS', value: `${spec.name}-banyandb-grpc:17912` });
  } else {
    const secret = spec.storage?.external?.secretName;
    const fromSecret = (key: string) => ({ valueFrom: { secretKeyRef: { name: secret, key } } });
    if (storageType === 'elasticsearch') {
      config.push(
        { name: 'SW_STORAGE', value: 'elasticsearch' },
        { name: 'SW_STORAGE_ES_CLUSTER_NODES', value: spec.storage.external.address },
        { name: 'SW_ES_USER', ...fromSecret('username') },
        { name: 'SW_ES_PASSWORD', ...fromSecret('password') },
      );
    } else {
      const jdbc = storageType === 'postgresql'
        ? `jdbc:postgresql://${spec.storage.external.address}/${spec.storage.external.database ?? 'skywalking'}`
        : `jdbc:mysql://${spec.storage.external.address}/${spec.storage.external.database ?? 'skywalking'}?rewriteBatchedStatements=true`;
      const prefix = storageType === 'postgresql' ? 'SW_DATA_SOURCE' : 'SW_DATA_SOURCE';
      config.push(
        { name: 'SW_STORAGE', value: storageType === 'postgresql' ? 'postgresql' : 'mysql' },
        { name: 'SW_JDBC_URL', value: jdbc },
        { name: `${prefix}_USER`, ...fromSecret('username') },
        { name: `${prefix}_PASSWORD`, ...fromSecret('password') },
      );
    }
  }
  objects.push({
    apiVersion: `${SWCK_GROUP}/${SWCK_VERSION}`,
    kind: 'OAPServer',
    metadata: meta(spec.name),
    spec: {
      version,
      image: `apache/skywalking-oap-server:${version}`,
      instances: spec.paused ? 0 : spec.oap?.replicas ?? 1,
      config,
      service: { template: { type: 'ClusterIP' } },
    },
  });
  if (spec.ui?.enabled !== false) {
    objects.push({
      apiVersion: `${SWCK_GROUP}/${SWCK_VERSION}`,
      kind: 'UI',
      metadata: meta(spec.name),
      spec: {
        kind: 'booster',
        version,
        image: `apache/skywalking-ui:${version}`,
        instances: spec.paused ? 0 : spec.ui?.replicas ?? 1,
        OAPServerAddress: `http://${spec.name}-oap.${spec.namespace}:12800`,
        service: { template: { type: 'ClusterIP' } },
      },
    });
  }
  return objects;
}

const plural: Record<string, string> = { OAPServer: 'oapservers', UI: 'uis', BanyanDB: 'banyandbs' };

function phaseOf(oap: Obj, ui?: Obj): BackendPhase {
  const desired = oap.spec?.instances ?? 0;
  if (desired === 0 && oap.metadata?.annotations?.[PAUSED_ANNOTATION]) return 'Paused';
  const conds: StatusCondition[] = oap.status?.conditions ?? [];
  if (conds.some(c => c.type === 'Degraded' && c.status === 'True')) return 'Degraded';
  const oapReady = (oap.status?.availableReplicas ?? 0) >= desired;
  const uiReady = !ui || (ui.status?.availableReplicas ?? 0) >= (ui.spec?.instances ?? 0);
  return oapReady && uiReady ? 'Ready' : 'Progressing';
}

/**
 * Backends as SWCK custom objects in the configured clusters: reads them with
 * their status, writes them with server-side apply, and keeps writes for an
 * unreachable cluster in the database outbox until it answers again.
 */
export class KubernetesBackends implements BackendOperations {
  constructor(
    private readonly deps: {
      clusters: ClusterRegistry;
      store: SkyWalkingStore;
      logger: LoggerService;
      /** leadership and SWCK detection per cluster, from the operator */
      operatorState?: (cluster: string) => { leader?: boolean; swckControllerDetected?: boolean };
    },
  ) {}

  private async custom(cluster: string) {
    const k8s = await loadK8s();
    return { k8s, api: this.deps.clusters.kubeConfig(cluster).makeApiClient(k8s.CustomObjectsApi) };
  }

  async listClusters(): Promise<ClusterSummary[]> {
    const all = await this.deps.clusters.checkAll();
    return all.map(c => ({ ...c, ...this.deps.operatorState?.(c.name) }));
  }

  async listNamespaces(cluster: string): Promise<string[]> {
    const k8s = await loadK8s();
    const core = this.deps.clusters.kubeConfig(cluster).makeApiClient(k8s.CoreV1Api);
    try {
      const list = await core.listNamespace();
      return list.items.map(n => n.metadata!.name!).sort();
    } catch (e) {
      throw new ClusterUnreachableError(cluster, this.deps.clusters.kubeConfig(cluster).getCurrentCluster()?.server, e);
    }
  }

  private async listKind(cluster: string, kind: string): Promise<Obj[]> {
    const { api } = await this.custom(cluster);
    try {
      const r: any = await api.listClusterCustomObject({ group: SWCK_GROUP, version: SWCK_VERSION, plural: plural[kind] });
      return r.items ?? [];
    } catch (e: any) {
      if (e?.code === 404) return []; // CRD not installed yet: no backends of this kind
      throw e;
    }
  }

  private summarize(cluster: string, oap: Obj, ui?: Obj, storage?: string): BackendSummary {
    return {
      cluster,
      namespace: oap.metadata.namespace,
      name: oap.metadata.name,
      version: oap.spec?.version ?? '',
      phase: phaseOf(oap, ui),
      conditions: (oap.status?.conditions ?? []).map((c: any) => ({
        type: c.type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime: c.lastTransitionTime,
      })),
      oap: { desired: oap.spec?.instances ?? 0, ready: oap.status?.availableReplicas ?? 0 },
      ui: ui ? { desired: ui.spec?.instances ?? 0, ready: ui.status?.availableReplicas ?? 0 } : undefined,
      storage: storage ?? (oap.spec?.config ?? []).find((c: any) => c.name === 'SW_STORAGE')?.value ?? 'h2',
      paused: Boolean(oap.metadata?.annotations?.[PAUSED_ANNOTATION]),
    };
  }

  async list(): Promise<BackendSummary[]> {
    const out: BackendSummary[] = [];
    for (const c of this.deps.clusters.names()) {
      let oaps: Obj[];
      let uis: Obj[];
      try {
        [oaps, uis] = await Promise.all([this.listKind(c, 'OAPServer'), this.listKind(c, 'UI')]);
      } catch (e) {
        this.deps.logger.warn(`listing backends in cluster ${c} failed: ${(e as Error).message}`);
        continue; // an unreachable cluster shows as such in listClusters()
      }
      for (const oap of oaps) {
        const ui = uis.find(u => u.metadata.namespace === oap.metadata.namespace && u.metadata.name === oap.metadata.name);
        out.push(this.summarize(c, oap, ui));
      }
    }
    return out;
  }

  async get(ref: BackendRef): Promise<BackendDetail> {
    const { k8s, api } = await this.custom(ref.cluster);
    const read = async (kind: string) => {
      try {
        return (await api.getNamespacedCustomObject({ group: SWCK_GROUP, version: SWCK_VERSION, namespace: ref.namespace, plural: plural[kind], name: ref.name })) as Obj;
      } catch (e: any) {
        if (e?.code === 404) return undefined;
        throw e;
      }
    };
    const oap = await read('OAPServer');
    if (!oap) throw new NotFoundError(`no SkyWalking backend ${ref.namespace}/${ref.name} in cluster ${ref.cluster}`);
    const ui = await read('UI');
    const kc = this.deps.clusters.kubeConfig(ref.cluster);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: ref.namespace });
    const mine = pods.items.filter(p => {
      const l = p.metadata?.labels ?? {};
      return l['app.kubernetes.io/part-of'] === ref.name || l['operator.skywalking.apache.org/oap-server-name'] === ref.name
        || l['operator.skywalking.apache.org/ui-name'] === ref.name || l['app.kubernetes.io/instance'] === ref.name;
    });
    const podSummaries: PodSummary[] = mine.map(p => ({
      name: p.metadata!.name!,
      component: p.metadata?.labels?.['app.kubernetes.io/component'] ?? p.metadata?.labels?.app ?? '',
      phase: p.status?.phase ?? 'Unknown',
      ready: Boolean(p.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True')),
      node: p.spec?.nodeName,
      ip: p.status?.podIP,
      restarts: (p.status?.containerStatuses ?? []).reduce((a, s) => a + (s.restartCount ?? 0), 0),
    }));
    const evs = await core.listNamespacedEvent({ namespace: ref.namespace });
    const names = new Set([ref.name, ...mine.map(p => p.metadata!.name!)]);
    const events: EventSummary[] = evs.items
      .filter(e => names.has(e.involvedObject.name ?? '') || (e.involvedObject.name ?? '').startsWith(`${ref.name}-`))
      .map(e => ({
        type: e.type ?? 'Normal',
        reason: e.reason ?? '',
        message: e.message ?? '',
        object: `${e.involvedObject.kind}/${e.involvedObject.name}`,
        count: e.count ?? 1,
        lastSeen: (e.lastTimestamp ?? e.eventTime)?.toString(),
      }))
      .slice(-50);
    return { ...this.summarize(ref.cluster, oap, ui), pods: podSummaries, events, spec: { oap: oap.spec, ui: ui?.spec } };
  }

  /** Server-side apply of our objects; an unreachable cluster queues them instead. */
  private async apply(cluster: string, objects: Obj[], operation: string, actor: string): Promise<WriteResult> {
    const k8s = await loadK8s();
    const client = k8s.KubernetesObjectApi.makeApiClient(this.deps.clusters.kubeConfig(cluster));
    try {
      for (const o of objects) {
        await client.patch(o as any, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
      }
      return { applied: true, queued: false };
    } catch (e: any) {
      if (e?.code || e?.body) throw e; // the API server answered: a real error, not an outage
      const err = new ClusterUnreachableError(cluster, this.deps.clusters.kubeConfig(cluster).getCurrentCluster()?.server, e);
      await this.deps.store.enqueueOutbox(cluster, operation, { objects, actor });
      this.deps.logger.warn(`${err.message}; ${operation} queued in the outbox`);
      return { applied: false, queued: true, message: err.message };
    }
  }

  /** Applies what was queued for a cluster, oldest first; stops at the first outage. */
  async drainOutbox(cluster: string): Promise<number> {
    const k8s = await loadK8s();
    const client = k8s.KubernetesObjectApi.makeApiClient(this.deps.clusters.kubeConfig(cluster));
    let applied = 0;
    for (const item of await this.deps.store.pendingOutbox(cluster)) {
      try {
        for (const o of (item.payload.objects as Obj[]) ?? []) {
          if (item.operation === 'delete') await client.delete(o as any).catch((e: any) => { if (e?.code !== 404) throw e; });
          else await client.patch(o as any, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
        }
        await this.deps.store.markOutboxDone(item.id);
        applied++;
      } catch (e: any) {
        await this.deps.store.markOutboxFailed(item.id, e?.message ?? String(e));
        if (!e?.code) break; // still unreachable: keep order, try later
      }
    }
    return applied;
  }

  async create(spec: any, actor: string) {
    // the template offers new namespaces too: create it with the backend
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: spec.namespace } };
    return this.apply(spec.cluster, [ns, ...renderSwckObjects(spec)], 'apply', actor);
  }

  async update(ref: BackendRef, spec: any, actor: string) {
    return this.apply(ref.cluster, renderSwckObjects({ ...spec, ...ref }), 'apply', actor);
  }

  private patchOap(ref: BackendRef, spec: any, metadata: any = {}): Obj {
    return {
      apiVersion: `${SWCK_GROUP}/${SWCK_VERSION}`,
      kind: 'OAPServer',
      metadata: { name: ref.name, namespace: ref.namespace, ...metadata },
      spec,
    };
  }

  async scale(ref: BackendRef, replicas: number, actor: string) {
    const current = await this.get(ref);
    return this.apply(ref.cluster, [this.patchOap(ref, { version: current.version, instances: replicas })], 'apply', actor);
  }

  async pause(ref: BackendRef, actor: string) {
    const current = await this.get(ref);
    const objects: Obj[] = [
      this.patchOap(ref, { version: current.version, instances: 0 }, { annotations: { [PAUSED_ANNOTATION]: JSON.stringify({ oap: current.oap.desired, ui: current.ui?.desired ?? 0 }) } }),
    ];
    if (current.ui) objects.push({ apiVersion: `${SWCK_GROUP}/${SWCK_VERSION}`, kind: 'UI', metadata: { name: ref.name, namespace: ref.namespace }, spec: { version: current.version, instances: 0 } });
    return this.apply(ref.cluster, objects, 'apply', actor);
  }

  async resume(ref: BackendRef, actor: string) {
    const { api } = await this.custom(ref.cluster);
    const oap: any = await api.getNamespacedCustomObject({ group: SWCK_GROUP, version: SWCK_VERSION, namespace: ref.namespace, plural: 'oapservers', name: ref.name });
    const saved = JSON.parse(oap.metadata?.annotations?.[PAUSED_ANNOTATION] ?? '{"oap":1,"ui":1}');
    const objects: Obj[] = [this.patchOap(ref, { version: oap.spec.version, instances: saved.oap || 1 }, { annotations: { [PAUSED_ANNOTATION]: null } })];
    const current = await this.get(ref);
    if (current.ui) objects.push({ apiVersion: `${SWCK_GROUP}/${SWCK_VERSION}`, kind: 'UI', metadata: { name: ref.name, namespace: ref.namespace }, spec: { version: oap.spec.version, instances: saved.ui || 1 } });
    return this.apply(ref.cluster, objects, 'apply', actor);
  }

  async upgrade(ref: BackendRef, version: string, actor: string) {
    const current = await this.get(ref);
    const objects: Obj[] = [this.patchOap(ref, { version, image: `apache/skywalking-oap-server:${version}`, instances: current.oap.desired })];
    if (current.ui) objects.push({ apiVersion: `${SWCK_GROUP}/${SWCK_VERSION}`, kind: 'UI', metadata: { name: ref.name, namespace: ref.namespace }, spec: { version, image: `apache/skywalking-ui:${version}`, instances: current.ui.desired } });
    return this.apply(ref.cluster, objects, 'apply', actor);
  }

  async delete(ref: BackendRef, actor: string): Promise<WriteResult> {
    const { api } = await this.custom(ref.cluster);
    try {
      for (const kind of ['UI', 'OAPServer', 'BanyanDB']) {
        await api.deleteNamespacedCustomObject({ group: SWCK_GROUP, version: SWCK_VERSION, namespace: ref.namespace, plural: plural[kind], name: ref.name })
          .catch((e: any) => { if (e?.code !== 404) throw e; });
      }
      return { applied: true, queued: false };
    } catch (e: any) {
      if (e?.code || e?.body) throw e;
      const objects = ['UI', 'OAPServer', 'BanyanDB'].map(kind => ({ apiVersion: `${SWCK_GROUP}/${SWCK_VERSION}`, kind, metadata: { name: ref.name, namespace: ref.namespace } }));
      await this.deps.store.enqueueOutbox(ref.cluster, 'delete', { objects, actor });
      return { applied: false, queued: true, message: new ClusterUnreachableError(ref.cluster, undefined, e).message };
    }
  }
}
