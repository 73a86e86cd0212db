import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { K8s, loadK8s } from '../clusters/k8s';

export interface LeaderElectorOptions {
  kc: K8s.KubeConfig;
  namespace: string;
  name: string;
  /** how long a Lease holds without renewal (default 15 s) */
  leaseDurationSeconds?: number;
  /** how often the holder renews and candidates retry (default 5 s) */
  renewIntervalMs?: number;
  identity?: string;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  onError?: (e: unknown) => void;
}

/** hostname, PID and a random suffix: unique per process, readable in the Lease */
export function defaultIdentity(): string {
  return `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's
 * leaderelection: take the Lease when it is free or expired, renew it while
 * leading, optimistic concurrency (resourceVersion) so two candidates never
 * both win; a leader that cannot renew within the lease duration steps down
 * before anybody else may take over.
 */
export class LeaderElector {
  readonly identity: string;
  private leading = false;
  private timer?: NodeJS.Timeout;
  private readonly duration: number;
  private lastRenew = 0;
  private running = false;
  private inflight?: Promise<void>;

  constructor(private readonly o: LeaderElectorOptions) {
    this.identity = o.identity ?? defaultIdentity();
    this.duration = o.leaseDurationSeconds ?? 15;
  }

  isLeader() {
    return this.leading;
  }

  private setLeading(v: boolean) {
    if (v === this.leading) return;
    this.leading = v;
    if (v) this.o.onStartedLeading?.();
    else this.o.onStoppedLeading?.();
  }

  /** One acquire-or-renew attempt; returns whether we lead afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const k8s = await loadK8s();
    const api = this.o.kc.makeApiClient(k8s.CoordinationV1Api);
    // Lease times are MicroTime: six fractional digits, which V1MicroTime serializes
    const now = new k8s.V1MicroTime();
    const spec = { holderIdentity: this.identity, leaseDurationSeconds: this.duration, renewTime: now as any };
    let lease: K8s.V1Lease;
    try {
      lease = await api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
    } catch (e: any) {
      if (e?.code !== 404) throw e;
      try {
        await api.createNamespacedLease({
          namespace: this.o.namespace,
          body: { metadata: { name: this.o.name, namespace: this.o.namespace }, spec: { ...spec, acquireTime: now as any, leaseTransitions: 0 } },
        });
      } catch (ce: any) {
        if (ce?.code === 409) return false; // another candidate created it first
        throw ce;
      }
      return this.renewed(now.getTime());
    }
    const holder = lease.spec?.holderIdentity;
    const renewedAt = lease.spec?.renewTime ? new Date(lease.spec.renewTime as any).getTime() : 0;
    const expired = renewedAt + (lease.spec?.leaseDurationSeconds ?? this.duration) * 1000 < now.getTime();
    if (holder && holder !== this.identity && !expired) {
      this.setLeading(false);
      return false;
    }
    try {
      await api.replaceNamespacedLease({
        name: this.o.name,
        namespace: this.o.namespace,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            ...spec,
            acquireTime: holder === this.identity ? lease.spec?.acquireTime : (now as any),
            leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + (holder === this.identity ? 0 : 1),
          },
        },
      });
    } catch (e: any) {
      if (e?.code === 409) {
        // another candidate wrote the Lease since we read it
        this.setLeading(false);
        return false;
      }
      throw e;
    }
    return this.renewed(now.getTime());
  }

  private renewed(at: number) {
    if (!this.running) return false; // stopped while the request was under way
    this.lastRenew = at;
    this.setLeading(true);
    return true;
  }

  start() {
    if (this.running) return;
    this.running = true;
    const interval = this.o.renewIntervalMs ?? 5000;
    const attempt = async () => {
      try {
        await this.tryAcquireOrRenew();
      } catch (e) {
        this.o.onError?.(e);
        // cannot reach the API server: keep leading only while our last renewal
        // is surely still valid (renew deadline = 2/3 of the lease duration)
        if (this.leading && Date.now() - this.lastRenew > (this.duration * 1000 * 2) / 3) this.setLeading(false);
      }
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
    // a renewal under way must not land after the release
    await this.inflight?.catch(() => undefined);
    this.setLeading(false);
    if (!release) return;
    try {
      const k8s = await loadK8s();
      const api = this.o.kc.makeApiClient(k8s.CoordinationV1Api);
      const lease = await api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
      if (lease.spec?.holderIdentity === this.identity) {
        // as client-go's ReleaseOnCancel: an expired-looking record anyone may take
        await api.replaceNamespacedLease({
          name: this.o.name,
          namespace: this.o.namespace,
          body: { ...lease, spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: undefined, acquireTime: undefined } },
        });
      }
    } catch {
      // best effort: the Lease expires anyway
    }
  }
}
