import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  backupOf,
  BackendDetail,
  BackendList,
  BackendRef,
  BackendSummary,
  BackendUpgradeStatus,
  ClusterSummary,
  EventSummary,
  PodSummary,
  restoredCondition,
  restoreOf,
  ROLE_SPLIT_ANNOTATION,
  roverNames,
  schedulingOf,
  snapshotOf,
  StatusCondition,
  TLS_ANNOTATION,
} from '@skywalking-backstage/plugin-skywalking-common';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { SWCK_GROUP, SWCK_VERSION } from '../engine/kinds';
import { upgradeOf } from '../engine/upgrade';
import { oapScalingSummary, recordedScaling } from './scaling';
import { isNetworkError } from './networkError';
import { BackendOutbox } from './outbox/types';
import { withOutboxStatus } from './outbox/outboxStatus';
import { Obj, OWNER_ANNOTATION, PAUSED_ANNOTATION, recorded } from './backendObjects';
import { phaseOf, roverCondition, roverOf } from './backendStatus';

/** The recorded upgrade as the API shows it: a waiter tells this upgrade from the one before by its start (M13). */
function upgradeStatusOf(oap: Obj): { upgrade?: BackendUpgradeStatus } {
  const r = upgradeOf(oap);
  if (!r) return {};
  const { version, storageVersion, phase, startedAt, finishedAt, message } = r;
  return { upgrade: { version, ...(storageVersion ? { storageVersion } : {}), phase, startedAt, ...(finishedAt ? { finishedAt } : {}), ...(message ? { message } : {}) } };
}

/** A backend's spec as GET shows it: SWCK's fields with what the portal recorded beside them (scheduling, role split, …). */
export function recordedSpecOf(oap: Obj, ui?: Obj, db?: Obj, satellite?: Obj): Record<string, unknown> {
  // as asked, also when switched off
  const roleSplit = recorded(oap, ROLE_SPLIT_ANNOTATION);
  const backup = db ? backupOf(db) : undefined;
  const restore = db ? restoreOf(db) : undefined;
  return {
    oap: { ...oap.spec, ...schedulingOf(oap as any), ...(roleSplit !== undefined ? { roleSplit } : {}), ...recordedScaling(oap) },
    ui: ui ? { ...ui.spec, ...schedulingOf(ui as any) } : undefined,
    banyandb: db ? { ...db.spec, ...schedulingOf(db as any), ...(backup ? { backup } : {}), ...(restore ? { restore } : {}) } : undefined,
    rover: roverOf(oap) ?? { enabled: false },
    satellite: satellite
      ? { enabled: true, replicas: satellite.spec?.instances, version: String(satellite.spec?.version ?? '').replace(/^v/, '') }
      : { enabled: false },
    tls: recorded(oap, TLS_ANNOTATION) ?? { enabled: false },
    ...(snapshotOf(oap) ? { snapshot: snapshotOf(oap) } : {}),
  };
}

/** plural resource names of the SWCK kinds the portal writes */
export const PLURAL: Record<string, string> = { OAPServer: 'oapservers', UI: 'uis', BanyanDB: 'banyandbs', Storage: 'storages', Satellite: 'satellites' };
/** the Rover DaemonSets the portal rendered (renderRover's labels) */
const ROVER_SELECTOR = 'app.kubernetes.io/managed-by=skywalking-backstage,app.kubernetes.io/component=rover';

export interface BackendReadsOptions {
  clusters: ClusterRegistry;
  outbox: BackendOutbox;
  logger: LoggerService;
  /** leadership and SWCK detection per cluster (OperatorEngine.state) */
  operatorState?: (cluster: string) => { leader?: boolean; swckControllerDetected?: boolean };
}

/**
 * The read side of BackendService: clusters, namespaces and backends with
 * their status, pods and events, as the REST API shows them; also the reads
 * the write paths check before they apply.
 */
export class BackendReads {
  constructor(private readonly o: BackendReadsOptions) {}

  private c(cluster: string) {
    return this.o.clusters.clients(cluster);
  }

  async listClusters(): Promise<ClusterSummary[]> {
    const all = await this.o.clusters.checkAll();
    return all.map(c => ({ ...c, ...this.o.operatorState?.(c.name) }));
  }

  async listNamespaces(cluster: string): Promise<string[]> {
    try {
      const list = await this.c(cluster).core.listNamespace();
      return list.items.map(n => n.metadata!.name!).sort();
    } catch (e) {
      throw isNetworkError(e) ? this.o.clusters.unreachable(cluster, e) : e;
    }
  }

  private async listKind(cluster: string, kind: string): Promise<Obj[]> {
    try {
      const r: any = await this.c(cluster).custom.listClusterCustomObject({ group: SWCK_GROUP, version: SWCK_VERSION, plural: PLURAL[kind] });
      return (r.items ?? []).map((i: any) => ({ ...i, kind }));
    } catch (e: any) {
      if (e?.code === 404) return []; // CRD not installed: none of this kind
      throw isNetworkError(e) ? this.o.clusters.unreachable(cluster, e) : e;
    }
  }

  private summarize(cluster: string, oap: Obj, ui?: Obj, storage?: Obj, rover?: Obj): BackendSummary {
    const conditions: StatusCondition[] = (oap.status?.conditions ?? []).map((c: any) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
      lastTransitionTime: c.lastTransitionTime,
    }));
    const roverReady = roverCondition(oap, rover);
    if (roverReady) conditions.push(roverReady);
    return {
      cluster,
      namespace: oap.metadata.namespace,
      name: oap.metadata.name,
      version: oap.spec?.version ?? '',
      phase: phaseOf(oap, ui, storage),
      conditions,
      oap: { desired: oap.spec?.instances ?? 1, ready: oap.status?.availableReplicas ?? 0, ...oapScalingSummary(oap) },
      ui: ui ? { desired: ui.spec?.instances ?? 1, ready: ui.status?.availableReplicas ?? 0 } : undefined,
      storage: (oap.spec?.config ?? []).find((c: any) => c.name === 'SW_STORAGE')?.value ?? (oap.spec?.storage?.name ? 'storage' : 'h2'),
      paused: Boolean(oap.metadata?.annotations?.[PAUSED_ANNOTATION]),
      owner: oap.metadata?.annotations?.[OWNER_ANNOTATION],
      ...upgradeStatusOf(oap),
    };
  }

  /** Backends of every reachable cluster; creations still waiting in an outbox show as Queued. */
  async list(): Promise<BackendSummary[]> {
    return (await this.listWithStatus()).items;
  }

  /**
   * Backends of every cluster with their outbox status, and the clusters
   * that could not be listed: a reader (the catalog provider) must not take
   * an unreachable cluster's missing backends for deleted ones.
   */
  async listWithStatus(): Promise<BackendList> {
    const items: BackendSummary[] = [];
    const unavailableClusters: BackendList['unavailableClusters'] = [];
    await Promise.all(
      this.o.clusters.names().map(async c => {
        const listed: BackendSummary[] = [];
        try {
          const [oaps, uis, dbs, rovers] = await Promise.all([this.listKind(c, 'OAPServer'), this.listKind(c, 'UI'), this.listKind(c, 'BanyanDB'), this.listRovers(c)]);
          const same = (a: Obj) => (b: Obj) => a.metadata.namespace === b.metadata.namespace && a.metadata.name === b.metadata.name;
          const roverOfOap = (a: Obj) => rovers.find(r => r.metadata.namespace === a.metadata.namespace && r.metadata.name === roverNames(a.metadata).daemonSet);
          for (const oap of oaps) listed.push(this.summarize(c, oap, uis.find(same(oap)), dbs.find(same(oap)), roverOfOap(oap)));
        } catch (e) {
          this.o.logger.warn(`listing backends in cluster ${c} failed: ${(e as Error).message}`);
          unavailableClusters.push({ cluster: c, message: (e as Error).message });
        }
        items.push(...(await withOutboxStatus(c, listed, this.o.outbox)));
      }),
    );
    items.sort((a, b) => `${a.cluster}/${a.namespace}/${a.name}`.localeCompare(`${b.cluster}/${b.namespace}/${b.name}`));
    return { items, unavailableClusters: unavailableClusters.sort((a, b) => a.cluster.localeCompare(b.cluster)) };
  }

  /**
   * The gRPC address agents of a backend report to: its Satellite when it has
   * one (Satellite balances over the OAP pods), else its OAP Service.
   */
  async collectorAddress(ref: BackendRef): Promise<string> {
    const satellite = await this.read(ref, 'Satellite').catch(() => undefined);
    return satellite ? `${ref.name}-satellite.${ref.namespace}:11800` : `${ref.name}-oap.${ref.namespace}:11800`;
  }

  /** One custom object of a backend; undefined when it does not exist. */
  async read(ref: BackendRef, kind: string): Promise<Obj | undefined> {
    try {
      const o: any = await this.c(ref.cluster).custom.getNamespacedCustomObject({ group: SWCK_GROUP, version: SWCK_VERSION, namespace: ref.namespace, plural: PLURAL[kind], name: ref.name });
      return { ...o, kind };
    } catch (e: any) {
      if (e?.code === 404) return undefined;
      throw isNetworkError(e) ? this.o.clusters.unreachable(ref.cluster, e) : e;
    }
  }

  /** Rover DaemonSets of the portal's backends in a cluster (none when it cannot be listed). */
  private async listRovers(cluster: string): Promise<Obj[]> {
    try {
      const list = await this.c(cluster).apps.listDaemonSetForAllNamespaces({ labelSelector: ROVER_SELECTOR });
      return list.items as Obj[];
    } catch (e) {
      if (isNetworkError(e)) throw this.o.clusters.unreachable(cluster, e);
      this.o.logger.warn(`listing Rover DaemonSets in cluster ${cluster} failed: ${(e as Error).message}`);
      return [];
    }
  }

  /** The backend's Rover DaemonSet; undefined when it has none. */
  async readRover(ref: BackendRef): Promise<Obj | undefined> {
    try {
      return (await this.c(ref.cluster).apps.readNamespacedDaemonSet({ namespace: ref.namespace, name: roverNames(ref).daemonSet })) as Obj;
    } catch (e: any) {
      if (e?.code === 404) return undefined;
      throw isNetworkError(e) ? this.o.clusters.unreachable(ref.cluster, e) : e;
    }
  }

  /** One backend with its pods and recent events. */
  async get(ref: BackendRef): Promise<BackendDetail> {
    const [oap, ui, db, rover, satellite] = await Promise.all([
      this.read(ref, 'OAPServer'),
      this.read(ref, 'UI'),
      this.read(ref, 'BanyanDB'),
      this.readRover(ref),
      this.read(ref, 'Satellite'),
    ]);
    if (!oap) throw new NotFoundError(`no SkyWalking backend ${ref.namespace}/${ref.name} in cluster ${ref.cluster}`);
    const core = this.c(ref.cluster).core;
    const pods = await core.listNamespacedPod({ namespace: ref.namespace, labelSelector: `app.kubernetes.io/part-of=${ref.name}` });
    const podSummaries: PodSummary[] = pods.items.map(p => ({
      name: p.metadata!.name!,
      component: p.metadata?.labels?.app ?? p.metadata?.labels?.['app.kubernetes.io/component'] ?? '',
      phase: p.status?.phase ?? 'Unknown',
      ready: Boolean(p.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True')),
      node: p.spec?.nodeName,
      ip: p.status?.podIP,
      restarts: (p.status?.containerStatuses ?? []).reduce((a, s) => a + (s.restartCount ?? 0), 0),
    }));
    const evs = await core.listNamespacedEvent({ namespace: ref.namespace });
    const podNames = new Set(podSummaries.map(p => p.name));
    const events: EventSummary[] = evs.items
      .filter(e => {
        const n = e.involvedObject.name ?? '';
        return n === ref.name || podNames.has(n) || n.startsWith(`${ref.name}-`);
      })
      .map(e => ({
        type: e.type ?? 'Normal',
        reason: e.reason ?? '',
        message: e.message ?? '',
        object: `${e.involvedObject.kind}/${e.involvedObject.name}`,
        count: e.count ?? (e as any).series?.count ?? 1,
        lastSeen: (e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp)?.toString(),
      }))
      .sort((a, b) => new Date(a.lastSeen ?? 0).getTime() - new Date(b.lastSeen ?? 0).getTime())
      .slice(-50);
    const summary = this.summarize(ref.cluster, oap, ui, db, rover);
    // Restored: from the BanyanDB pods' restore init container (backup.ts)
    const restored = db ? restoredCondition(restoreOf(db), pods.items.filter(p => p.metadata?.labels?.app === 'banyandb')) : undefined;
    if (restored) summary.conditions.push(restored);
    return {
      ...summary,
      pods: podSummaries,
      events,
      // what the portal recorded beside SWCK's fields (scheduling, role split) comes back with them
      spec: recordedSpecOf(oap, ui, db, satellite),
    };
  }
}
