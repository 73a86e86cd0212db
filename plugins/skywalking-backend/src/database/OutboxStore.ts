import { Knex } from 'knex';
import { BackendOutbox, OutboxEntry, OutboxOp, OutboxState } from '../service/outbox/types';
import { toIso } from './time';

const TABLE = 'skywalking_outbox';

/**
 * Epoch milliseconds by the database's clock: claims of every portal replica
 * are judged by one clock, so a replica with a skewed clock cannot take a
 * claim that is still valid.
 */
export function dbNowMsSql(db: Knex): string {
  const client = String(db.client.config.client);
  if (client === 'pg' || client === 'postgres' || client === 'postgresql') return '(extract(epoch from clock_timestamp()) * 1000)::bigint';
  if (client.includes('mysql')) return 'CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS UNSIGNED)';
  return `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;
}

function affected(n: unknown): number {
  return Array.isArray(n) ? n.length : Number(n);
}

/** The outbox in the plugin's database (SQLite or PostgreSQL); see BackendOutbox. */
export class OutboxStore implements BackendOutbox {
  constructor(private readonly db: Knex) {}

  async enqueue(cluster: string, op: OutboxOp): Promise<number> {
    const [row] = await this.db(TABLE)
      .insert({ cluster, operation: op.operation, payload: JSON.stringify(op.payload), state: 'pending' })
      .returning('id');
    return Number(typeof row === 'object' ? row.id : row);
  }

  private entry(r: any): OutboxEntry {
    return {
      id: Number(r.id),
      cluster: r.cluster,
      op: { operation: r.operation, payload: JSON.parse(r.payload) },
      attempts: Number(r.attempts),
      lastError: r.last_error ?? undefined,
      state: r.state as OutboxState,
      createdAt: toIso(r.created_at),
      deadAt: r.dead_at ? toIso(r.dead_at) : undefined,
    };
  }

  /** Pending writes of a cluster, oldest first, so they apply in the order requested. */
  async pending(cluster: string): Promise<OutboxEntry[]> {
    const rows = await this.db(TABLE).where({ cluster, state: 'pending' }).orderBy('id', 'asc');
    return rows.map(r => this.entry(r));
  }

  async dead(cluster?: string): Promise<OutboxEntry[]> {
    const q = this.db(TABLE).where({ state: 'dead' }).orderBy('id', 'asc');
    if (cluster) q.where({ cluster });
    return (await q).map(r => this.entry(r));
  }

  /**
   * One conditional UPDATE, atomic on every database: the entry is pending
   * and unclaimed, ours, or its claim has lapsed by the database clock.
   */
  async claim(id: number | string, holder: string, leaseMs: number): Promise<boolean> {
    const now = dbNowMsSql(this.db);
    const n = await this.db(TABLE)
      .where({ id: Number(id), state: 'pending' })
      .andWhere(q => q.whereNull('claimed_by').orWhere('claimed_by', holder).orWhere('claim_expires_at', '<', this.db.raw(now)))
      .update({ claimed_by: holder, claim_expires_at: this.db.raw(`${now} + ${Math.max(0, Math.round(leaseMs))}`) });
    return affected(n) === 1;
  }

  async markDone(id: number | string): Promise<void> {
    await this.db(TABLE).where({ id: Number(id) }).update({ state: 'done', done_at: this.db.fn.now(), claimed_by: null, claim_expires_at: null });
  }

  async markFailed(id: number | string, error: string, opts: { counted?: boolean } = {}): Promise<number> {
    const counted = opts.counted ?? true;
    await this.db(TABLE)
      .where({ id: Number(id) })
      .update({
        last_error: error.slice(0, 4000),
        claimed_by: null,
        claim_expires_at: null,
        ...(counted ? { attempts: this.db.raw('attempts + 1') } : {}),
      });
    const row = await this.db(TABLE).where({ id: Number(id) }).first('attempts');
    return Number(row?.attempts ?? 0);
  }

  async markDead(id: number | string, reason: string): Promise<void> {
    await this.db(TABLE)
      .where({ id: Number(id), state: 'pending' })
      .update({ state: 'dead', dead_at: this.db.fn.now(), last_error: reason.slice(0, 4000), claimed_by: null, claim_expires_at: null });
  }

  async retry(id: number | string): Promise<boolean> {
    const n = await this.db(TABLE).where({ id: Number(id), state: 'dead' }).update({ state: 'pending', attempts: 0, dead_at: null });
    return affected(n) === 1;
  }
}
