import { BackendOutbox, OutboxEntry } from './BackendService';

/**
 * For tests: the plugin keeps its outbox in the database; here in memory,
 * with what was done and what failed, so tests can see the outbox drain.
 */
export class MemoryOutbox implements BackendOutbox {
  entries: (OutboxEntry & { done: boolean })[] = [];
  private next = 1;
  async enqueue(cluster: string, op: OutboxEntry['op']) {
    const id = this.next++;
    this.entries.push({ id, cluster, op, attempts: 0, done: false });
    return id;
  }
  async pending(cluster: string) {
    return this.entries.filter(e => e.cluster === cluster && !e.done);
  }
  async markDone(id: number | string) {
    this.entries.find(e => e.id === id)!.done = true;
  }
  async markFailed(id: number | string, error: string) {
    const e = this.entries.find(x => x.id === id)!;
    e.attempts = (e.attempts ?? 0) + 1;
    e.lastError = error;
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
