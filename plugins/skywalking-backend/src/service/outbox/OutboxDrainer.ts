import { LoggerService } from '@backstage/backend-plugin-api';
import { ClusterRegistry } from '../../clusters/ClusterRegistry';
import { defaultIdentity } from '../../engine/LeaderElector';
import { answeredByApiServer, isNetworkError } from '../networkError';
import { DeadlineError, withDeadline } from './deadline';
import { backendKeyOf, BackendOutbox, MAX_OUTBOX_ATTEMPTS, OutboxEntry, OutboxOp } from './types';

export interface OutboxDrainerOptions {
  outbox: BackendOutbox;
  clusters: Pick<ClusterRegistry, 'markUnreachable'>;
  logger: LoggerService;
  /** applies one queued write (BackendService's write path) */
  replay: (op: OutboxOp) => Promise<void>;
  /**
   * Checked right before a replay with the rules of now (permissions,
   * tenancy): throws when the change is no longer allowed; the entry is then
   * dead-lettered with the reason.
   */
  recheck?: (entry: OutboxEntry) => Promise<void>;
  /** who claims entries (default: hostname-pid-random) */
  identity?: string;
  /** API-answered failures before an entry is dead-lettered (default 5) */
  maxAttempts?: number;
  /** an entry older than this is dead-lettered instead of replayed (default 7 days) */
  maxAgeMs?: number;
  /** how long one replay may take (default 60 s) */
  entryTimeoutMs?: number;
  /** how long a claim holds (default 3 x entryTimeoutMs): longer than a replay, so it lapses only for a crashed drainer */
  claimLeaseMs?: number;
  /** an entry was dead-lettered (metrics) */
  onDead?: (entry: OutboxEntry, reason: string) => void;
  now?: () => number;
}

/** The result of one drain of a cluster. */
export interface DrainResult {
  applied: number;
  dead: number;
  /** backends whose later entries wait behind a failed or claimed one */
  waiting: string[];
}

/**
 * Replays the writes kept for a cluster while it was unreachable, with these
 * guarantees:
 * - per-backend order: entries of one backend apply oldest first; the drain
 *   stops at a failed entry of a backend, its later entries wait; other
 *   backends go on;
 * - one drainer per entry: an entry is claimed in the database (lease with
 *   expiry by the database clock) before it is applied, so any number of
 *   portal replicas may drain (M9: safe on every replica, no leader needed);
 *   a drainer killed between apply and markDone leaves a claim that lapses,
 *   and the entry is applied again - a server-side apply, so once in effect;
 * - nothing lost: only failures the API server answered count as attempts; an
 *   entry that exhausts them, or waits longer than maxAgeMs, is dead-lettered
 *   (kept, listed by GET /outbox, counted by a metric, retried by a person).
 */
export class OutboxDrainer {
  readonly identity: string;
  private readonly inflight = new Map<string, Promise<DrainResult>>();
  private readonly hung = new Map<string, Promise<void>>();
  private readonly deadCounts = new Map<string, number>();
  private readonly pendingCounts = new Map<string, number>();

  constructor(private readonly o: OutboxDrainerOptions) {
    this.identity = o.identity ?? defaultIdentity();
  }

  private get entryTimeoutMs() {
    return this.o.entryTimeoutMs ?? 60_000;
  }

  /** Dead letters and pending entries per cluster as of the last drain (metrics). */
  counts(): { dead: Record<string, number>; pending: Record<string, number> } {
    return { dead: Object.fromEntries(this.deadCounts), pending: Object.fromEntries(this.pendingCounts) };
  }

  /** Applies what waits for a cluster; returns how many were applied. */
  async drain(cluster: string): Promise<number> {
    return (await this.drainCluster(cluster)).applied;
  }

  /**
   * One drain of a cluster. A drain still under way (a replay that hangs past
   * its deadline) is not joined by another: the hung replay may yet land,
   * and nothing of that cluster may overtake it.
   */
  drainCluster(cluster: string): Promise<DrainResult> {
    if (this.inflight.has(cluster) || this.hung.has(cluster)) return Promise.resolve({ applied: 0, dead: 0, waiting: [] });
    const p = this.doDrain(cluster).finally(() => this.inflight.delete(cluster));
    this.inflight.set(cluster, p);
    return p;
  }

  /**
   * A replay past its deadline may still land: its claim is kept (renewed
   * while it runs, so no other replica replays the entry meanwhile) and the
   * cluster is not drained again until it settles; then it is marked done or
   * failed as it turned out.
   */
  private keepHung(cluster: string, entry: OutboxEntry, replay: Promise<void>, lease: number) {
    const renew = setInterval(() => void this.o.outbox.claim(entry.id, this.identity, lease).catch(() => false), Math.max(50, lease / 3));
    renew.unref?.();
    const settled = replay.then(
      () => this.o.outbox.markDone(entry.id),
      (e: any) => this.o.outbox.markFailed(entry.id, e?.message ?? String(e), { counted: answeredByApiServer(e) }).then(() => undefined),
    );
    this.hung.set(
      cluster,
      settled
        .catch(() => undefined)
        .finally(() => {
          clearInterval(renew);
          this.hung.delete(cluster);
        }),
    );
  }

  /** Resolves when no replay of the cluster is still under way past its deadline (tests). */
  async settled(cluster: string): Promise<void> {
    await this.hung.get(cluster);
    await this.inflight.get(cluster)?.catch(() => undefined);
  }

  private async doDrain(cluster: string): Promise<DrainResult> {
    const now = this.o.now ?? Date.now;
    const maxAttempts = this.o.maxAttempts ?? MAX_OUTBOX_ATTEMPTS;
    const maxAge = this.o.maxAgeMs ?? 7 * 24 * 3600_000;
    const lease = this.o.claimLeaseMs ?? 3 * this.entryTimeoutMs;
    const result: DrainResult = { applied: 0, dead: 0, waiting: [] };
    const blocked = new Set<string>();
    const pending = await this.o.outbox.pending(cluster);
    let unreachable = false;
    for (const entry of pending) {
      const key = backendKeyOf(entry.op);
      if (blocked.has(key)) continue;
      const age = entry.createdAt ? now() - Date.parse(entry.createdAt) : 0;
      if (age > maxAge) {
        await this.dead(entry, `expired: waited ${Math.round(age / 3600_000)} h, longer than ${Math.round(maxAge / 3600_000)} h`, result);
        continue;
      }
      // another drainer applies it (or crashed doing so, until its claim lapses): this backend waits
      if (!(await this.o.outbox.claim(entry.id, this.identity, lease))) {
        blocked.add(key);
        continue;
      }
      try {
        if (this.o.recheck) {
          try {
            await this.o.recheck(entry);
          } catch (e: any) {
            // only a decision refuses; a re-check that could not be made leaves the entry waiting
            if (e?.name !== 'NotAllowedError') throw e;
            await this.dead(entry, `no longer allowed: ${e?.message ?? e}`, result);
            continue;
          }
        }
        const replay = this.o.replay(entry.op);
        try {
          await withDeadline(replay, this.entryTimeoutMs, `queued ${entry.op.operation} of ${key} in cluster ${cluster}`);
        } catch (e) {
          if (!(e instanceof DeadlineError)) throw e;
          this.keepHung(cluster, entry, replay, lease);
          this.o.clusters.markUnreachable(cluster, e);
          unreachable = true;
          break;
        }
        await this.o.outbox.markDone(entry.id);
        result.applied++;
        this.o.logger.info(`applied queued ${entry.op.operation} of ${key} by ${entry.op.payload.actor} to cluster ${cluster}`);
      } catch (e: any) {
        const message = e?.message ?? String(e);
        const counted = answeredByApiServer(e);
        const attempts = await this.o.outbox.markFailed(entry.id, message, { counted });
        if (isNetworkError(e)) {
          // no answer: the whole cluster waits, nothing of it is given up
          this.o.clusters.markUnreachable(cluster, e);
          unreachable = true;
          break;
        }
        if (counted && attempts >= maxAttempts) {
          await this.dead(entry, `${attempts} attempts refused by the API server; last: ${message}`, result);
          continue;
        }
        blocked.add(key);
        this.o.logger.warn(`queued ${entry.op.operation} of ${key} in cluster ${cluster} failed (attempt ${attempts}${counted ? '' : ', not counted'}): ${message}`);
      }
    }
    if (unreachable) for (const e of pending) blocked.add(backendKeyOf(e.op));
    result.waiting = [...blocked];
    await this.refreshCounts(cluster);
    return result;
  }

  private async dead(entry: OutboxEntry, reason: string, result: DrainResult) {
    await this.o.outbox.markDead(entry.id, reason);
    result.dead++;
    this.o.logger.warn(`queued ${entry.op.operation} of ${backendKeyOf(entry.op)} by ${entry.op.payload.actor} in cluster ${entry.cluster} dead-lettered: ${reason}`);
    this.o.onDead?.(entry, reason);
  }

  private async refreshCounts(cluster: string) {
    try {
      this.deadCounts.set(cluster, (await this.o.outbox.dead(cluster)).length);
      this.pendingCounts.set(cluster, (await this.o.outbox.pending(cluster)).length);
    } catch {
      // counts are for metrics only
    }
  }
}
