import { LoggerService } from '@backstage/backend-plugin-api';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { ensureSwckCrds } from '../clusters/crds';
import { ClusterEngine, ReconcileRecord, RetryRecord } from './ClusterEngine';
import { defaultIdentity } from './LeaderElector';
import { detectSwckController } from './swck';
import { withDeadline } from '../service/outbox/deadline';

export interface OperatorEngineOptions {
  clusters: ClusterRegistry;
  logger: LoggerService;
  /** namespace of the per-cluster Lease `skywalking-backstage-operator` (default kube-system) */
  leaseNamespace?: string;
  leaseDurationSeconds?: number;
  renewIntervalMs?: number;
  /** default: hostname-pid-random */
  identity?: string;
  /** reconcile only this namespace (default: all) */
  namespace?: string;
  /** install the SWCK CRDs a cluster lacks (default true; needs the right to create CRDs) */
  installCrds?: boolean;
  /** health check period of a reachable cluster (default 15 s) */
  healthIntervalMs?: number;
  /** first and largest retry delay for an unreachable cluster (default 1 s, 60 s) */
  healthMinBackoffMs?: number;
  healthMaxBackoffMs?: number;
  resyncIntervalMs?: number;
  /** applies writes kept while a cluster was unreachable; called after each successful health check */
  drainOutbox?: (cluster: string) => Promise<number>;
  /**
   * How long detecting SWCK's controller, installing CRDs, starting an engine
   * or draining the outbox may take (default 30 s): a call the API server
   * never answers must not stop the cluster's health checks for good.
   */
  stepTimeoutMs?: number;
}

export interface ClusterOperatorState {
  /** our reconcilers run there (reachable, reconcile enabled, no SWCK controller) */
  reconciling: boolean;
  leader: boolean;
  swckControllerDetected: boolean;
  /** why SWCK's controller is thought to run there */
  swckEvidence?: string;
  queueDepth: number;
}

/**
 * The operator across all configured clusters: health checks with backoff,
 * one ClusterEngine per reachable cluster that we may reconcile (CRDs
 * installed first; none where SWCK's own controller runs or
 * `skywalking.clusters.<name>.reconcile` is false), the outbox drained when a
 * cluster answers, and metrics hooks.
 */
export class OperatorEngine {
  private readonly engines = new Map<string, ClusterEngine>();
  private readonly starting = new Map<string, Promise<void>>();
  private readonly swck = new Map<string, string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly backoff = new Map<string, number>();
  private readonly listeners: ((r: ReconcileRecord) => void)[] = [];
  private readonly retryListeners: ((r: RetryRecord) => void)[] = [];
  private running = false;
  readonly identity: string;
  private drain?: (cluster: string) => Promise<number>;

  constructor(private readonly o: OperatorEngineOptions) {
    this.identity = o.identity ?? defaultIdentity();
    this.drain = o.drainOutbox;
  }

  /** Registers a callback run after every reconcile; returns its removal. */
  onReconcile(cb: (r: ReconcileRecord) => void): () => void {
    this.listeners.push(cb);
    return () => {
      const i = this.listeners.indexOf(cb);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Registers a callback run when a failed reconcile is queued again (work queue retries); returns its removal. */
  onRetry(cb: (r: RetryRecord) => void): () => void {
    this.retryListeners.push(cb);
    return () => {
      const i = this.retryListeners.indexOf(cb);
      if (i >= 0) this.retryListeners.splice(i, 1);
    };
  }

  /** Sets what applies queued writes (BackendService.drainOutbox), when it was not given to the constructor. */
  setOutboxDrainer(drain: (cluster: string) => Promise<number>) {
    this.drain = drain;
  }

  /** Checks every cluster once, starts the engines of the reachable ones, then keeps checking. */
  async start() {
    if (this.running) return;
    this.running = true;
    await Promise.all(this.o.clusters.names().map(c => this.tick(c)));
  }

  private schedule(cluster: string, ms: number) {
    if (!this.running) return;
    clearTimeout(this.timers.get(cluster));
    this.timers.set(cluster, setTimeout(() => void this.tick(cluster), ms));
  }

  /** One health check of a cluster, and what follows from it; reschedules itself. */
  private async tick(cluster: string) {
    const log = this.o.logger.child({ cluster });
    const { reachable } = await this.o.clusters.check(cluster);
    if (!reachable) {
      const prev = this.backoff.get(cluster);
      const next = prev === undefined ? this.o.healthMinBackoffMs ?? 1000 : Math.min(prev * 2, this.o.healthMaxBackoffMs ?? 60_000);
      this.backoff.set(cluster, next);
      this.schedule(cluster, Math.round(next * (0.75 + Math.random() * 0.5)));
      return;
    }
    const wasUnreachable = this.backoff.delete(cluster);
    // its watches failed while it was away: no need to wait out their backoff
    if (wasUnreachable) this.engines.get(cluster)?.rewatch();
    try {
      await this.ensureStarted(cluster);
      if (this.drain) {
        // a drain past its deadline goes on (OutboxDrainer keeps its claim and starts no second drain of the cluster)
        const n = await withDeadline(this.drain(cluster), this.stepTimeout, `cluster ${cluster}: outbox drain`);
        if (n) log.info(`applied ${n} queued change(s) to cluster ${cluster}`);
      }
    } catch (e) {
      log.warn(`cluster ${cluster}: ${(e as Error).message}`);
    }
    this.schedule(cluster, this.o.healthIntervalMs ?? 15_000);
  }

  private get stepTimeout() {
    return this.o.stepTimeoutMs ?? 30_000;
  }

  /** Starts the cluster's engine if it should run and does not yet (idempotent). */
  async ensureStarted(cluster: string): Promise<void> {
    const pending = this.starting.get(cluster);
    if (pending) return pending;
    const p = this.doEnsureStarted(cluster).finally(() => this.starting.delete(cluster));
    this.starting.set(cluster, p);
    return p;
  }

  private async doEnsureStarted(cluster: string) {
    const def = this.o.clusters.definition(cluster);
    const log = this.o.logger.child({ cluster });
    const kc = this.o.clusters.kubeConfig(cluster);
    const evidence = await withDeadline(detectSwckController(kc), this.stepTimeout, `cluster ${cluster}: detecting SWCK's controller`);
    if (evidence) {
      if (!this.swck.has(cluster)) log.info(`SWCK's controller runs in cluster ${cluster} (${evidence}): leaving reconciliation to it`);
      this.swck.set(cluster, evidence);
      const running = this.engines.get(cluster);
      if (running) {
        this.engines.delete(cluster);
        await running.stop();
      }
      return;
    }
    this.swck.delete(cluster);
    if (!def.reconcile || this.engines.has(cluster) || !this.running) return;
    if (this.o.installCrds ?? true) {
      const crds = await withDeadline(ensureSwckCrds(kc), this.stepTimeout, `cluster ${cluster}: installing CRDs`);
      if (crds.created.length) log.info(`installed CRDs in cluster ${cluster}: ${crds.created.join(', ')}`);
      for (const f of crds.failed) log.warn(`cluster ${cluster}: CRD ${f.name}: ${f.error}`);
    }
    const engine = new ClusterEngine({
      cluster,
      kc,
      logger: log,
      namespace: this.o.namespace,
      leaseNamespace: this.o.leaseNamespace,
      leaseDurationSeconds: this.o.leaseDurationSeconds,
      renewIntervalMs: this.o.renewIntervalMs,
      identity: this.identity,
      resyncIntervalMs: this.o.resyncIntervalMs,
      onReconcile: r => {
        for (const l of this.listeners) {
          try {
            l(r);
          } catch {
            // a metrics hook must not break reconciliation
          }
        }
      },
      onRetry: r => {
        for (const l of this.retryListeners) {
          try {
            l(r);
          } catch {
            // as above
          }
        }
      },
    });
    this.engines.set(cluster, engine);
    try {
      await withDeadline(engine.start(), this.stepTimeout, `cluster ${cluster}: starting the engine`);
    } catch (e) {
      // a start still under way stops itself once its informers answer (ClusterEngine.start checks stopped)
      this.engines.delete(cluster);
      await withDeadline(engine.stop(), this.stepTimeout, `cluster ${cluster}: stopping the engine`).catch(() => undefined);
      throw e;
    }
  }

  isLeader(cluster: string): boolean {
    return this.engines.get(cluster)?.isLeader() ?? false;
  }

  isSwckManaged(cluster: string): boolean {
    return this.swck.has(cluster);
  }

  state(cluster: string): ClusterOperatorState {
    const e = this.engines.get(cluster);
    return {
      reconciling: Boolean(e),
      leader: e?.isLeader() ?? false,
      swckControllerDetected: this.swck.has(cluster),
      swckEvidence: this.swck.get(cluster),
      queueDepth: e?.queueDepth ?? 0,
    };
  }

  /** Keys waiting in one cluster's queue, or in all. */
  queueDepth(cluster?: string): number {
    if (cluster) return this.engines.get(cluster)?.queueDepth ?? 0;
    return [...this.engines.values()].reduce((n, e) => n + e.queueDepth, 0);
  }

  engine(cluster: string): ClusterEngine | undefined {
    return this.engines.get(cluster);
  }

  /** Stops every cluster's engine; `releaseLease: false` leaves their Leases held, as a crash does (failure tests). */
  async stop(opts: { releaseLease?: boolean } = {}) {
    this.running = false;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.starting.values()].map(p => p.catch(() => undefined)));
    await Promise.all([...this.engines.values()].map(e => e.stop(opts)));
    this.engines.clear();
  }
}
