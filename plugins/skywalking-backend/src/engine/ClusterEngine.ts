import { LoggerService } from '@backstage/backend-plugin-api';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { CustomObject, KubeObject } from '@skywalking-backstage/plugin-skywalking-common';
import { K8s, loadK8s } from '../clusters/k8s';
import { Applier, FIELD_MANAGER } from './apply';
import { CacheView, KINDS, KindDef, key, MANAGED_SELECTOR, parseKey, statusChanged, SWCK_API_VERSION, SWCK_GROUP, SWCK_VERSION } from './kinds';
import { LeaderElector } from './LeaderElector';
import { UpgradeController, upgradeInProgress, upgradeOf } from './upgrade';
import { WorkQueue, WorkQueueOptions } from './WorkQueue';

/** One reconcile, for metrics: kind, cluster, duration, writes made and the error if it failed. */
export interface ReconcileRecord {
  kind: string;
  cluster: string;
  key: string;
  durationMs: number;
  /** API writes the reconcile made (apply PATCHes, status, events, deletes) */
  writes: number;
  error?: unknown;
}

export interface ClusterEngineOptions {
  cluster: string;
  kc: K8s.KubeConfig;
  logger: LoggerService;
  /** watch and reconcile only this namespace (default: all namespaces) */
  namespace?: string;
  /** namespace of the leader-election Lease (default kube-system) */
  leaseNamespace?: string;
  leaseName?: string;
  leaseDurationSeconds?: number;
  renewIntervalMs?: number;
  identity?: string;
  /** every this often every custom object is reconciled again (default 10 min) */
  resyncIntervalMs?: number;
  queue?: WorkQueueOptions;
  onReconcile?: (r: ReconcileRecord) => void;
  /** a failed reconcile was queued again after a backoff */
  onRetry?: (r: RetryRecord) => void;
}

/** A reconcile's write refused because this replica no longer leads the cluster. */
export class NotLeaderError extends Error {
  override name = 'NotLeaderError';
  constructor(cluster: string, identity: string) {
    super(`${identity} no longer leads cluster ${cluster}: the reconcile stops before its next write`);
  }
}

/** A failed reconcile queued again, for metrics. */
export interface RetryRecord {
  kind: string;
  cluster: string;
  key: string;
  attempt: number;
  delayMs: number;
}

const tracer = trace.getTracer('skywalking-backstage');

type Informer = K8s.Informer<any> & K8s.ObjectCache<any>;

/** Children we render and watch (by our managed-by label), with the API they live in. */
const CHILD_KINDS: { kind: string; apiVersion: string; path: string }[] = [
  { kind: 'Deployment', apiVersion: 'apps/v1', path: 'apis/apps/v1/deployments' },
  { kind: 'StatefulSet', apiVersion: 'apps/v1', path: 'apis/apps/v1/statefulsets' },
  { kind: 'Service', apiVersion: 'v1', path: 'api/v1/services' },
  { kind: 'ConfigMap', apiVersion: 'v1', path: 'api/v1/configmaps' },
  { kind: 'ServiceAccount', apiVersion: 'v1', path: 'api/v1/serviceaccounts' },
  { kind: 'Role', apiVersion: 'rbac.authorization.k8s.io/v1', path: 'apis/rbac.authorization.k8s.io/v1/roles' },
  { kind: 'RoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', path: 'apis/rbac.authorization.k8s.io/v1/rolebindings' },
  // the UI's optional Ingress: watched so a removed ui.ingress is pruned, not left behind
  { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', path: 'apis/networking.k8s.io/v1/ingresses' },
  // OAP's disruption budgets and autoscaler: pruned when no longer rendered (one replica, autoscaling off), healed on drift
  { kind: 'PodDisruptionBudget', apiVersion: 'policy/v1', path: 'apis/policy/v1/poddisruptionbudgets' },
  { kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v2', path: 'apis/autoscaling/v2/horizontalpodautoscalers' },
  // scheduled snapshots of external storage: pruned when the schedule goes, healed on drift
  { kind: 'CronJob', apiVersion: 'batch/v1', path: 'apis/batch/v1/cronjobs' },
];

function scopedPath(path: string, namespace?: string) {
  if (!namespace) return `/${path}`;
  const parts = path.split('/');
  const resource = parts.pop();
  return `/${parts.join('/')}/namespaces/${namespace}/${resource}`;
}

const ready = (cr: any) => (cr?.status?.conditions ?? []).find((c: any) => c.type === 'Ready')?.status;
const degraded = (cr: any) => (cr?.status?.conditions ?? []).find((c: any) => c.type === 'Degraded');

/**
 * The reconcile engine of one cluster, as a controller-runtime manager:
 * informers (ListWatch) on the SWCK kinds and on the objects we own, a keyed
 * rate-limited work queue, one reconciler per kind (render, then server-side
 * apply of what differs, prune what is no longer rendered), status with
 * Ready/Progressing/Degraded conditions, Events on transitions, and a Lease so
 * that only one portal replica reconciles.
 */
export class ClusterEngine {
  private readonly crInformers = new Map<string, Informer>();
  private readonly childInformers = new Map<string, Informer>();
  private readonly queue: WorkQueue;
  readonly elector: LeaderElector;
  private readonly applier: Applier;
  /** advances version upgrades recorded on OAPServers (upgrade.ts) */
  private readonly upgrades: UpgradeController;
  private resyncTimer?: NodeJS.Timeout;
  private started = false;
  private stopped = false;
  /** restarts of failed watches waiting for their backoff */
  private readonly pendingRewatch = new Set<() => void>();
  /** API writes made by this engine's reconciles (zero in steady state) */
  writes = 0;
  reconciles = 0;

  constructor(private readonly o: ClusterEngineOptions) {
    this.queue = new WorkQueue(k => this.reconcile(k), {
      workers: 2,
      ...o.queue,
      onRetry: (k, attempt, delayMs, error) => {
        this.keyLogger(k).warn(`reconcile failed (attempt ${attempt}, retry in ${delayMs} ms): ${(error as Error)?.message ?? error}`);
        this.o.onRetry?.({ kind: parseKey(k).kind, cluster: this.o.cluster, key: k, attempt, delayMs });
      },
    });
    this.queue.pause(); // until we lead
    this.applier = new Applier(
      o.kc,
      () => this.writes++,
      () => this.assertLeader(),
    );
    this.upgrades = new UpgradeController(o.kc, {
      event: (cr, type, reason, note) => this.event(cr, type, reason, note),
      onWrite: () => this.writes++,
      beforeWrite: () => this.assertLeader(),
      log: msg => this.o.logger.info(msg),
    });
    this.elector = new LeaderElector({
      kc: o.kc,
      namespace: o.leaseNamespace ?? 'kube-system',
      name: o.leaseName ?? 'skywalking-backstage-operator',
      leaseDurationSeconds: o.leaseDurationSeconds,
      renewIntervalMs: o.renewIntervalMs,
      identity: o.identity,
      onStartedLeading: () => {
        this.o.logger.info(`leading cluster ${o.cluster} as ${this.elector.identity}`);
        this.queue.resume();
        this.resync();
      },
      onStoppedLeading: () => {
        this.o.logger.info(`not leading cluster ${o.cluster}`);
        this.queue.pause();
      },
      onError: e => this.o.logger.debug(`lease ${o.cluster}: ${(e as Error)?.message ?? e}`),
    });
  }

  get cluster() {
    return this.o.cluster;
  }

  get identity() {
    return this.elector.identity;
  }

  /** keys waiting to be reconciled */
  get queueDepth() {
    return this.queue.depth;
  }

  isLeader() {
    return this.elector.isLeader();
  }

  /**
   * Called right before every write of a reconcile: a reconcile that began
   * while we led may outlast the lead (a slow API server); its writes stop
   * at the moment the renew deadline passed, not at the next reconcile.
   */
  private assertLeader() {
    if (!this.elector.isLeader()) throw new NotLeaderError(this.o.cluster, this.elector.identity);
  }

  /** every line about one object carries its cluster, kind and key */
  private keyLogger(k: string) {
    return this.o.logger.child({ cluster: this.o.cluster, kind: parseKey(k).kind, key: k });
  }

  readonly cache: CacheView = {
    list: (kind, namespace) => {
      const inf = this.crInformers.get(kind) ?? this.childInformers.get(kind);
      return (inf?.list(namespace) ?? []) as any[];
    },
    get: (kind, namespace, name) => (this.crInformers.get(kind) ?? this.childInformers.get(kind))?.get(name, namespace),
  };

  async start() {
    if (this.started) return;
    this.started = true;
    const k8s = await loadK8s();
    const objects = k8s.KubernetesObjectApi.makeApiClient(this.o.kc);
    const ns = this.o.namespace;
    const informers: Informer[] = [];
    for (const def of KINDS) {
      const inf = k8s.makeInformer<any>(this.o.kc, scopedPath(`apis/${SWCK_GROUP}/${SWCK_VERSION}/${def.plural}`, ns), () =>
        objects.list(SWCK_API_VERSION, def.kind, ns) as any,
      );
      const changed = (obj: any) => {
        this.queue.add(key(def.kind, obj));
        this.enqueueRelated(def, obj);
      };
      inf.on('add', changed);
      inf.on('update', changed);
      inf.on('delete', (obj: any) => this.enqueueRelated(def, obj));
      this.crInformers.set(def.kind, inf);
      informers.push(inf);
    }
    for (const child of CHILD_KINDS) {
      const inf = k8s.makeInformer<any>(
        this.o.kc,
        scopedPath(child.path, ns),
        () => objects.list(child.apiVersion, child.kind, ns, undefined, undefined, undefined, undefined, MANAGED_SELECTOR) as any,
        MANAGED_SELECTOR,
      );
      // drift, deletion or a status change of an owned object wakes its owner
      const wake = (obj: any) => {
        for (const ref of obj?.metadata?.ownerReferences ?? []) {
          if (ref.controller && this.crInformers.has(ref.kind)) this.queue.add(`${ref.kind}/${obj.metadata.namespace}/${ref.name}`);
          // an upgrade waits for the storage and UI workloads too: their rollouts wake the backend's OAPServer
          if (ref.controller && (ref.kind === 'BanyanDB' || ref.kind === 'UI')) {
            const oap = this.crInformers.get('OAPServer')?.get(ref.name, obj.metadata.namespace);
            if (oap && upgradeInProgress(upgradeOf(oap))) this.queue.add(`OAPServer/${obj.metadata.namespace}/${ref.name}`);
          }
        }
      };
      inf.on('add', wake);
      inf.on('update', wake);
      inf.on('delete', wake);
      this.childInformers.set(child.kind, inf);
      informers.push(inf);
    }
    for (const inf of informers) {
      // a ListWatch stops on errors (API server restart, expired resourceVersion): restart it with
      // backoff, back to the first delay once a restart gets through (its start() resolves with no
      // error on the way; 'connect' fires before the request, so it cannot tell)
      let delay = 500;
      let failures = 0;
      let timer: NodeJS.Timeout | undefined;
      const restart = () => {
        clearTimeout(timer);
        timer = undefined;
        if (this.stopped) return;
        const before = failures;
        inf.start().then(
          () => {
            if (failures === before) delay = 500;
          },
          () => undefined,
        );
      };
      // the cluster answers again: retry now, and back off afresh if it is not quite ready
      // (custom resources are served a moment after a restarted API server's /readyz)
      const now = () => {
        if (!timer) return; // not waiting (any more)
        delay = 500;
        restart();
      };
      inf.on('error', (err: any) => {
        if (this.stopped) return;
        failures++;
        this.o.logger.debug(`watch of cluster ${this.o.cluster} failed, restarting in ${delay} ms: ${err?.message ?? err}`);
        clearTimeout(timer);
        timer = setTimeout(restart, delay).unref(); // stop() needs no clearing: restart checks stopped
        this.pendingRewatch.add(now);
        delay = Math.min(delay * 2, 30_000);
      });
    }
    await Promise.all(informers.map(inf => inf.start()));
    // stopped while the informers listed (a start that outlived its deadline): no elector, no timers
    if (this.stopped) return;
    this.elector.start();
    const every = this.o.resyncIntervalMs ?? 600_000;
    const tick = () => {
      this.resync();
      this.resyncTimer = setTimeout(tick, every);
    };
    this.resyncTimer = setTimeout(tick, every);
  }

  /**
   * Restarts at once the watches waiting out a backoff (the cluster answers
   * again), rather than after up to 30 s.
   */
  rewatch() {
    const pending = [...this.pendingRewatch];
    this.pendingRewatch.clear();
    for (const now of pending) now();
  }

  private enqueueRelated(def: KindDef, obj: any) {
    try {
      for (const k of def.related?.(obj, this.cache) ?? []) this.queue.add(k);
    } catch (e) {
      this.o.logger.warn(`related objects of ${key(def.kind, obj)}: ${(e as Error).message}`);
    }
  }

  /** Enqueues every custom object (on taking the lead, and periodically). */
  resync() {
    for (const def of KINDS) {
      for (const cr of this.crInformers.get(def.kind)?.list() ?? []) this.queue.add(key(def.kind, cr));
    }
  }

  /** Enqueues one object by key (`Kind/namespace/name`). */
  enqueue(k: string) {
    this.queue.add(k);
  }

  /** Resolves when the queue is drained (tests, benchmarks). */
  idle(timeoutMs?: number) {
    return this.queue.idle(timeoutMs);
  }

  /** One reconcile of a key, in a trace span (kind, cluster, key; error status when it fails). */
  private reconcile(k: string): Promise<void> {
    const attributes = { 'skywalking.kind': parseKey(k).kind, 'skywalking.cluster': this.o.cluster, 'skywalking.key': k };
    return tracer.startActiveSpan('skywalking.reconcile', { attributes }, async span => {
      try {
        await this.reconcileKey(k);
      } catch (e) {
        span.recordException(e as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message });
        throw e;
      } finally {
        span.end();
      }
    });
  }

  private async reconcileKey(k: string) {
    if (!this.elector.isLeader()) return;
    const { kind, namespace, name } = parseKey(k);
    const def = KINDS.find(d => d.kind === kind);
    const cr = this.crInformers.get(kind)?.get(name, namespace) as CustomObject | undefined;
    // gone or going: owner references let the garbage collector remove the children
    if (!def || !cr || (cr.metadata as any).deletionTimestamp) return;
    const log = this.keyLogger(k);
    const started = Date.now();
    const writesBefore = this.writes;
    this.reconciles++;
    let error: unknown;
    const full = { ...cr, apiVersion: cr.apiVersion ?? SWCK_API_VERSION, kind } as CustomObject;
    try {
      const desired = def.render(full, this.cache);
      const changes: string[] = [];
      for (const obj of desired) {
        const cached = this.childInformers.get(obj.kind);
        const live = cached ? cached.get(obj.metadata.name, obj.metadata.namespace) : 'read';
        if (await this.applier.apply(obj, live)) {
          changes.push(`${live ? 'updated' : 'created'} ${obj.kind} ${obj.metadata.name}`);
          log.debug(`applied ${obj.kind} ${obj.metadata.name}`);
        }
      }
      changes.push(...(await this.prune(full, desired)));
      if (changes.length && cr.status) {
        // the first creation is reported by the Ready transition; later repairs here
        await this.event(full, 'Normal', 'Applied', changes.join('; '));
      }
      await this.updateStatus(full, def, log);
      if (kind === 'OAPServer') {
        // a recorded upgrade takes its next step; checked again at the step's deadline
        const next = await this.upgrades.step(full, this.cache);
        if (next.requeueAfterMs !== undefined) this.queue.addAfter(k, next.requeueAfterMs);
      }
    } catch (e) {
      // lost the lead mid-reconcile: nothing to retry here, the new leader reconciles it (and so do we, on taking the lead again)
      if (e instanceof NotLeaderError) {
        log.info(e.message);
        return;
      }
      error = e;
      if (this.queue.attempts(k) === 0) await this.event(full, 'Warning', 'ReconcileFailed', `${(e as Error)?.message ?? e}`.slice(0, 1000));
      throw e;
    } finally {
      const durationMs = Date.now() - started;
      this.o.onReconcile?.({ kind, cluster: this.o.cluster, key: k, durationMs, writes: this.writes - writesBefore, error });
    }
  }

  /** Deletes owned children that are no longer rendered (e.g. an Ingress whose host was removed). */
  private async prune(cr: CustomObject, desired: KubeObject[]): Promise<string[]> {
    const want = new Set(desired.map(o => `${o.kind}/${o.metadata.name}`));
    const out: string[] = [];
    const k8s = await loadK8s();
    for (const child of CHILD_KINDS) {
      for (const live of this.childInformers.get(child.kind)?.list(cr.metadata.namespace) ?? []) {
        const owned = (live.metadata?.ownerReferences ?? []).some((r: any) => r.controller && r.uid === cr.metadata.uid);
        if (!owned || want.has(`${child.kind}/${live.metadata.name}`)) continue;
        this.assertLeader();
        await k8s.KubernetesObjectApi.makeApiClient(this.o.kc)
          .delete({ apiVersion: child.apiVersion, kind: child.kind, metadata: { name: live.metadata.name, namespace: live.metadata.namespace } })
          .catch((e: any) => {
            if (e?.code !== 404) throw e;
          });
        this.writes++;
        out.push(`deleted ${child.kind} ${live.metadata.name}`);
      }
    }
    return out;
  }

  private async updateStatus(cr: CustomObject, def: KindDef, log: LoggerService) {
    const status = def.status(cr, this.cache, new Date());
    if (!statusChanged(cr.status, status)) return;
    const k8s = await loadK8s();
    const custom = this.o.kc.makeApiClient(k8s.CustomObjectsApi);
    this.assertLeader();
    await custom.patchNamespacedCustomObjectStatus(
      { group: SWCK_GROUP, version: SWCK_VERSION, namespace: cr.metadata.namespace, plural: def.plural, name: cr.metadata.name, body: { status }, fieldManager: FIELD_MANAGER },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    this.writes++;
    const next = { status };
    if (ready(next) && ready(next) !== ready(cr)) {
      const r = (status.conditions as any[]).find(c => c.type === 'Ready');
      log.info(`Ready=${r.status} (${r.reason}: ${r.message})`);
      if (r.status === 'True') await this.event(cr, 'Normal', 'Ready', r.message || r.reason);
      else if (ready(cr) === 'True') await this.event(cr, 'Warning', 'NotReady', `${r.reason}: ${r.message}`);
    }
    const d = degraded(next);
    if (d?.status === 'True' && degraded(cr)?.status !== 'True') await this.event(cr, 'Warning', d.reason, d.message);
  }

  /** An events.k8s.io/v1 Event on the custom object (best effort). */
  private async event(cr: CustomObject, type: 'Normal' | 'Warning', reason: string, note: string) {
    const k8s = await loadK8s();
    try {
      this.assertLeader();
      await this.o.kc.makeApiClient(k8s.EventsV1Api).createNamespacedEvent({
        namespace: cr.metadata.namespace,
        body: {
          // as client-go's recorder: <object>.<unix nanos in hex> (events.k8s.io rejects a generateName ending in '.')
          metadata: { name: `${cr.metadata.name}.${(BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1e6))).toString(16)}`, namespace: cr.metadata.namespace },
          eventTime: new k8s.V1MicroTime() as any,
          reportingController: `${FIELD_MANAGER}/operator`,
          reportingInstance: this.elector.identity.slice(0, 128),
          action: 'Reconcile',
          reason,
          note: note.slice(0, 1024),
          type,
          regarding: { apiVersion: cr.apiVersion ?? SWCK_API_VERSION, kind: cr.kind, name: cr.metadata.name, namespace: cr.metadata.namespace, uid: cr.metadata.uid },
        },
      });
      this.writes++;
    } catch (e) {
      this.o.logger.warn(`event ${reason} for ${cr.kind} ${cr.metadata.name} not recorded: ${(e as Error).message}`);
    }
  }

  /**
   * Stops watching and reconciling. `releaseLease: false` leaves the Lease
   * held, as a crash does: another replica takes over only once it expires.
   */
  async stop(opts: { releaseLease?: boolean } = {}) {
    this.stopped = true;
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    this.queue.stop();
    await this.elector.stop(opts.releaseLease ?? true);
    for (const inf of [...this.crInformers.values(), ...this.childInformers.values()]) await inf.stop().catch(() => undefined);
  }
}
