import { BackendOutbox, OutboxEntry } from './BackendService';

/** For tests: the plugin keeps its outbox in the database; here in memory (nothing is queued while the cluster answers). */
export class MemoryOutbox implements BackendOutbox {
  entries: OutboxEntry[] = [];
  async enqueue(cluster: string, op: OutboxEntry['op']) {
    this.entries.push({ id: this.entries.length + 1, cluster, op });
    return this.entries.length;
  }
  async pending(cluster: string) {
    return this.entries.filter(e => e.cluster === cluster);
  }
  async markDone() {}
  async markFailed() {}
}

/** For tests: a LoggerService that says nothing. */
export const quietLogger: any = {
  info: () => {},
  warn: () => {},
  debug: () => {},
  error: () => {},
  child: () => quietLogger,
};
