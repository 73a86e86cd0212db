import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { K8s, loadK8s } from '../clusters/k8s';

export interface LeaderElectorOptions {
  kc: K8s.KubeConfig;
  namespace: string;
  name: string;
  leaseDurationSeconds?: number;
  renewIntervalMs?: number;
  identity?: string;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it:
 * take the Lease when it is free or expired, renew it while leading,
 * optimistic concurrency through resourceVersion so two candidates never both win.
 */
export class LeaderElector {
  readonly identity: string;
  private leading = false;
  private timer?: NodeJS.Timeout;
  private readonly duration: number;

  constructor(private readonly o: LeaderElectorOptions) {
    this.identity = o.identity ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
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
    try {
      let lease: K8s.V1Lease;
      try {
        lease = await api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
      } catch (e: any) {
        if (e?.code !== 404) throw e;
        await api.createNamespacedLease({
          namespace: this.o.namespace,
          body: { metadata: { name: this.o.name, namespace: this.o.namespace }, spec: { ...spec, acquireTime: now as any, leaseTransitions: 0 } },
        });
        this.setLeading(true);
        return true;
      }
      const holder = lease.spec?.holderIdentity;
      const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime as any).getTime() : 0;
      const expired = renewed + (lease.spec?.leaseDurationSeconds ?? this.duration) * 1000 < now.getTime();
      if (holder && holder !== this.identity && !expired) {
        this.setLeading(false);
        return false;
      }
      const transitions = (lease.spec?.leaseTransitions ?? 0) + (holder === this.identity ? 0 : 1);
      await api.replaceNamespacedLease({
        name: this.o.name,
        namespace: this.o.namespace,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            ...spec,
            acquireTime: holder === this.identity ? lease.spec?.acquireTime : (now as any),
            leaseTransitions: transitions,
          },
        },
      });
      this.setLeading(true);
      return true;
    } catch (e: any) {
      // a conflict means another candidate won this round; anything else: we cannot prove we lead
      this.setLeading(false);
      if (e?.code && e.code !== 409) throw e;
      return false;
    }
  }

  start() {
    const tick = async () => {
      try {
        await this.tryAcquireOrRenew();
      } catch {
        // unreachable API server: not leading until proven otherwise
      }
      this.timer = setTimeout(tick, this.o.renewIntervalMs ?? 5000);
    };
    void tick();
  }

  /** Stops renewing and releases the Lease so another candidate takes over at once. */
  async stop(release = true) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const was = this.leading;
    this.setLeading(false);
    if (!release || !was) return;
    try {
      const k8s = await loadK8s();
      const api = this.o.kc.makeApiClient(k8s.CoordinationV1Api);
      const lease = await api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
      if (lease.spec?.holderIdentity === this.identity) {
        await api.replaceNamespacedLease({
          name: this.o.name,
          namespace: this.o.namespace,
          body: { ...lease, spec: { ...lease.spec, holderIdentity: undefined, renewTime: undefined, acquireTime: undefined } },
        });
      }
    } catch {
      // best effort: the Lease expires anyway
    }
  }
}
