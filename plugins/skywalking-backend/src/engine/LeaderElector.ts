import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { K8s, loadK8s } from '../clusters/k8s';
import { withDeadline } from '../service/outbox/deadline';

/** Clocks of an elector: injectable, so tests can skew one replica's wall clock. */
export interface ElectorClock {
  /** wall time in ms, written into the Lease (renewTime, acquireTime) for people to read; never compared across replicas */
  wall(): number;
  /** a monotonic ms counter: every duration the elector judges (lease expiry, renew deadline) is measured on it */
  monotonic(): number;
}

export const systemClock: ElectorClock = { wall: () => Date.now(), monotonic: () => performance.now() };

export interface LeaderElectorOptions {
  kc: K8s.KubeConfig;
  namespace: string;
  name: string;
  /** how long a Lease holds without renewal (default 15 s) */
  leaseDurationSeconds?: number;
  /** how often the holder renews and candidates retry (default 2 s, as client-go's retry period) */
  renewIntervalMs?: number;
  /**
   * The leader gives up once this long has passed since the start of its
   * last successful renewal (default 2/3 of the lease duration, as
   * client-go's 10 s of 15 s); must be shorter than the lease duration.
   */
  renewDeadlineMs?: number;
  /** timeout of every Lease request (default half the renew deadline; an attempt answered after the deadline does not count) */
  requestTimeoutMs?: number;
  identity?: string;
  clock?: ElectorClock;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  onError?: (e: unknown) => void;
}

/** hostname, PID and a random suffix: unique per process, readable in the Lease */
export function defaultIdentity(): string {
  return `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * Per-request options that abort the request after `ms` (the generated
 * clients' fetch honours the signal). makeApiClient's object-parameter APIs
 * run call-time middleware as the generated Observable middleware: `pre` and
 * `post` return something with toPromise().
 */
export function requestTimeout(ms: number): K8s.ConfigurationOptions {
  const observable = <T>(v: T) => ({ toPromise: async () => v });
  return {
    middleware: [
      {
        pre: (ctx: any) => {
          ctx.setSignal(AbortSignal.timeout(ms));
          return observable(ctx);
        },
        post: (rsp: any) => observable(rsp),
      },
    ],
    middlewareMergeStrategy: 'append',
  } as unknown as K8s.ConfigurationOptions;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease with client-go's
 * guarantees:
 * - optimistic concurrency (resourceVersion): two candidates never both win
 *   one write;
 * - expiry by locally observed time: a candidate records when it last saw the
 *   Lease record change (monotonic clock) and takes it only once it has seen
 *   no change for a lease duration, never by comparing the holder's renewTime
 *   with its own clock (clock skew between replicas does not matter);
 * - bounded leadership: isLeader() is true only until the renew deadline
 *   after the start of the last successful renewal, whatever the API server
 *   does (a hung request times out well before it), and the leader is told
 *   to stop at that moment. The deadline is shorter than the lease duration,
 *   so the old leader has stopped before anybody may take over.
 */
export class LeaderElector {
  readonly identity: string;
  private leading = false;
  private timer?: NodeJS.Timeout;
  private deadlineTimer?: NodeJS.Timeout;
  private readonly duration: number;
  private readonly renewDeadline: number;
  private readonly requestTimeoutMs: number;
  private readonly clock: ElectorClock;
  /** monotonic time at the start of our last successful acquire or renew */
  private lastRenew = -Infinity;
  /** the Lease record as we last saw it, and when (monotonic) we saw it change */
  private observed?: { key: string; at: number };
  private running = false;
  private inflight?: Promise<void>;

  constructor(private readonly o: LeaderElectorOptions) {
    this.identity = o.identity ?? defaultIdentity();
    this.duration = o.leaseDurationSeconds ?? 15;
    this.renewDeadline = o.renewDeadlineMs ?? (this.duration * 1000 * 2) / 3;
    if (this.renewDeadline >= this.duration * 1000) throw new Error(`renew deadline ${this.renewDeadline} ms must be shorter than the lease duration ${this.duration} s`);
    this.requestTimeoutMs = o.requestTimeoutMs ?? this.renewDeadline / 2;
    if (this.requestTimeoutMs >= this.renewDeadline) throw new Error(`Lease request timeout ${this.requestTimeoutMs} ms must be shorter than the renew deadline ${this.renewDeadline} ms`);
    this.clock = o.clock ?? systemClock;
  }

  /** Whether we lead now: renewed successfully within the renew deadline. */
  isLeader() {
    return this.leading && this.clock.monotonic() - this.lastRenew < this.renewDeadline;
  }

  private setLeading(v: boolean) {
    if (v === this.leading) return;
    this.leading = v;
    if (v) this.o.onStartedLeading?.();
    else this.o.onStoppedLeading?.();
  }

  /** Steps down at the renew deadline unless a renewal moved it on. */
  private armDeadline() {
    clearTimeout(this.deadlineTimer);
    const left = this.lastRenew + this.renewDeadline - this.clock.monotonic();
    this.deadlineTimer = setTimeout(() => {
      if (this.leading && !this.isLeader()) this.setLeading(false);
      else if (this.leading) this.armDeadline();
    }, Math.max(0, left) + 1);
    this.deadlineTimer.unref?.();
  }

  private call<T>(what: string, f: (opts: K8s.ConfigurationOptions) => Promise<T>): Promise<T> {
    // the signal aborts the request; the deadline bounds the attempt even if something ignores it
    return withDeadline(f(requestTimeout(this.requestTimeoutMs)), this.requestTimeoutMs + 50, `Lease ${this.o.namespace}/${this.o.name}: ${what}`);
  }

  /** Records the Lease record we saw; its observed time moves only when the record changed. */
  private observe(lease: K8s.V1Lease) {
    const s = lease.spec ?? {};
    const key = `${lease.metadata?.resourceVersion}|${s.holderIdentity ?? ''}|${s.renewTime ? new Date(s.renewTime as any).toISOString() : ''}`;
    if (this.observed?.key !== key) this.observed = { key, at: this.clock.monotonic() };
  }

  /** One acquire-or-renew attempt; returns whether we lead afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const started = this.clock.monotonic();
    const k8s = await loadK8s();
    const api = this.o.kc.makeApiClient(k8s.CoordinationV1Api);
    // Lease times are MicroTime: six fractional digits, which V1MicroTime serializes
    const now = new k8s.V1MicroTime(this.clock.wall());
    const spec = { holderIdentity: this.identity, leaseDurationSeconds: this.duration, renewTime: now as any };
    const ref = { name: this.o.name, namespace: this.o.namespace };
    let lease: K8s.V1Lease;
    try {
      lease = await this.call('read', opts => api.readNamespacedLease(ref, opts));
    } catch (e: any) {
      if (e?.code !== 404) throw e;
      try {
        const created = await this.call('create', opts =>
          api.createNamespacedLease({ namespace: this.o.namespace, body: { metadata: ref, spec: { ...spec, acquireTime: now as any, leaseTransitions: 0 } } }, opts),
        );
        this.observe(created);
      } catch (ce: any) {
        if (ce?.code === 409) return false; // another candidate created it first
        throw ce;
      }
      return this.renewed(started);
    }
    this.observe(lease);
    const holder = lease.spec?.holderIdentity;
    const heldFor = (lease.spec?.leaseDurationSeconds ?? this.duration) * 1000;
    const expired = this.clock.monotonic() - this.observed!.at > heldFor;
    if (holder && holder !== this.identity && !expired) {
      this.setLeading(false);
      return false;
    }
    try {
      const replaced = await this.call('write', opts =>
        api.replaceNamespacedLease(
          {
            ...ref,
            body: {
              ...lease,
              spec: {
                ...lease.spec,
                ...spec,
                acquireTime: holder === this.identity ? lease.spec?.acquireTime : (now as any),
                leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + (holder === this.identity ? 0 : 1),
              },
            },
          },
          opts,
        ),
      );
      this.observe(replaced);
    } catch (e: any) {
      if (e?.code === 409) {
        // another candidate wrote the Lease since we read it
        this.setLeading(false);
        return false;
      }
      throw e;
    }
    return this.renewed(started);
  }

  /** `started`: when the successful attempt began; the renew deadline counts from there, not from its answer. */
  private renewed(started: number) {
    if (!this.running) return false; // stopped while the request was under way
    if (this.clock.monotonic() - started >= this.renewDeadline) return this.isLeader(); // answered too late to count
    this.lastRenew = started;
    this.setLeading(true);
    this.armDeadline();
    return true;
  }

  start() {
    if (this.running) return;
    this.running = true;
    const interval = this.o.renewIntervalMs ?? 2000;
    const attempt = async () => {
      try {
        await this.tryAcquireOrRenew();
      } catch (e) {
        this.o.onError?.(e);
      }
      // whatever the attempt did, leadership ends at the deadline
      if (this.leading && !this.isLeader()) this.setLeading(false);
    };
    const tick = () => {
      this.inflight = attempt().finally(() => {
        this.inflight = undefined;
        if (this.running) this.timer = setTimeout(tick, interval);
      });
    };
    tick();
  }

  /** Stops renewing; with `release` frees the Lease so another candidate takes over at once. */
  async stop(release = true) {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    clearTimeout(this.deadlineTimer);
    // a renewal under way must not land after the release (it is bounded by the request timeout)
    await this.inflight?.catch(() => undefined);
    this.setLeading(false);
    if (!release) return;
    try {
      const k8s = await loadK8s();
      const api = this.o.kc.makeApiClient(k8s.CoordinationV1Api);
      const ref = { name: this.o.name, namespace: this.o.namespace };
      const lease = await this.call('read', opts => api.readNamespacedLease(ref, opts));
      if (lease.spec?.holderIdentity === this.identity) {
        // as client-go's ReleaseOnCancel: an expired-looking record anyone may take
        await this.call('release', opts =>
          api.replaceNamespacedLease(
            { ...ref, body: { ...lease, spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: undefined, acquireTime: undefined } } },
            opts,
          ),
        );
      }
    } catch {
      // best effort: the Lease expires anyway
    }
  }
}
