import { BackendOutbox, OutboxEntry } from './outbox/types';

/**
 * For tests: the plugin keeps its outbox in the database (OutboxStore); here
 * in memory with the same states and claims, so tests can see the outbox drain.
 */
export class MemoryOutbox implements BackendOutbox {
  entries: (OutboxEntry & { done: boolean; claimedBy?: string; claimExpires?: number })[] = [];
  private next = 1;
  async enqueue(cluster: string, op: OutboxEntry['op']) {
    const id = this.next++;
    this.entries.push({ id, cluster, op, attempts: 0, done: false, state: 'pending', createdAt: new Date().toISOString() });
    return id;
  }
  async pending(cluster: string) {
    return this.entries.filter(e => e.cluster === cluster && e.state === 'pending');
  }
  async dead(cluster?: string) {
    return this.entries.filter(e => e.state === 'dead' && (!cluster || e.cluster === cluster));
  }
  private get(id: number | string) {
    return this.entries.find(e => e.id === id)!;
  }
  async claim(id: number | string, holder: string, leaseMs: number) {
    const e = this.get(id);
    if (e.state !== 'pending') return false;
    if (e.claimedBy && e.claimedBy !== holder && (e.claimExpires ?? 0) >= Date.now()) return false;
    Object.assign(e, { claimedBy: holder, claimExpires: Date.now() + leaseMs });
    return true;
  }
  async markDone(id: number | string) {
    Object.assign(this.get(id), { done: true, state: 'done', claimedBy: undefined });
  }
  async markFailed(id: number | string, error: string, opts: { counted?: boolean } = {}) {
    const e = this.get(id);
    if (opts.counted ?? true) e.attempts = (e.attempts ?? 0) + 1;
    Object.assign(e, { lastError: error, claimedBy: undefined });
    return e.attempts ?? 0;
  }
  async markDead(id: number | string, reason: string) {
    const e = this.get(id);
    if (e.state === 'pending') Object.assign(e, { state: 'dead', lastError: reason, deadAt: new Date().toISOString(), claimedBy: undefined });
  }
  async retry(id: number | string) {
    const e = this.get(id);
    if (e?.state !== 'dead') return false;
    Object.assign(e, { state: 'pending', attempts: 0, deadAt: undefined });
    return true;
  }
}

/** For tests: a LoggerService that says nothing. */
export const quietLogger: any = {
  info: () => {},
  warn: () => {},
  debug: () => {},
  error: () => {},
  child: () => quietLogger,
};
