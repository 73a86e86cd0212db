import { Knex } from 'knex';
import { AuditEntry, BackendRef } from '@skywalking-backstage/plugin-skywalking-common';
import { OutboxStore } from './OutboxStore';
import { toIso } from './time';

export interface BackendOwnership extends BackendRef {
  ownerRef?: string;
  entityRef?: string;
  createdBy: string;
  createdAt: string;
}

export interface TracingRecord {
  entityRef: string;
  enabled: boolean;
  backend?: BackendRef;
  mode: 'webhook' | 'patch';
  updatedBy: string;
  updatedAt: string;
}

/**
 * The plugin's portal-side state on knex (SQLite or PostgreSQL): backend
 * ownership, the audit log, tracing choices and the outbox of writes that wait
 * for an unreachable cluster.
 */
export class SkyWalkingStore {
  /** writes waiting for their cluster (OutboxStore) */
  readonly outbox: OutboxStore;

  constructor(private readonly db: Knex) {
    this.outbox = new OutboxStore(db);
  }

  async recordBackend(o: Omit<BackendOwnership, 'createdAt'>): Promise<void> {
    await this.db('skywalking_backends')
      .insert({
        cluster: o.cluster,
        namespace: o.namespace,
        name: o.name,
        owner_ref: o.ownerRef ?? null,
        entity_ref: o.entityRef ?? null,
        created_by: o.createdBy,
      })
      .onConflict(['cluster', 'namespace', 'name'])
      .merge(['owner_ref', 'entity_ref']);
  }

  async removeBackend(ref: BackendRef): Promise<void> {
    await this.db('skywalking_backends').where(ref).delete();
  }

  async listBackends(): Promise<BackendOwnership[]> {
    const rows = await this.db('skywalking_backends').select('*');
    return rows.map(r => ({
      cluster: r.cluster,
      namespace: r.namespace,
      name: r.name,
      ownerRef: r.owner_ref ?? undefined,
      entityRef: r.entity_ref ?? undefined,
      createdBy: r.created_by,
      createdAt: toIso(r.created_at),
    }));
  }

  async appendAudit(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<number> {
    const [row] = await this.db('skywalking_audit')
      .insert({
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        details: JSON.stringify(entry.details ?? {}),
      })
      .returning('id');
    return Number(typeof row === 'object' ? row.id : row);
  }

  async listAudit(opts: { target?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    let q = this.db('skywalking_audit').select('*').orderBy('id', 'desc');
    if (opts.target) q = q.where('target', opts.target);
    const rows = await q.limit(Math.min(opts.limit ?? 50, 500));
    return rows.map(r => ({
      id: Number(r.id),
      at: toIso(r.at),
      actor: r.actor,
      action: r.action,
      target: r.target,
      details: JSON.parse(r.details),
    }));
  }

  async setTracing(rec: Omit<TracingRecord, 'updatedAt'>): Promise<void> {
    await this.db('skywalking_tracing')
      .insert({
        entity_ref: rec.entityRef,
        enabled: rec.enabled,
        backend_cluster: rec.backend?.cluster ?? null,
        backend_namespace: rec.backend?.namespace ?? null,
        backend_name: rec.backend?.name ?? null,
        mode: rec.mode,
        updated_by: rec.updatedBy,
        updated_at: this.db.fn.now(),
      })
      .onConflict('entity_ref')
      .merge();
  }

  async getTracing(entityRef: string): Promise<TracingRecord | undefined> {
    const r = await this.db('skywalking_tracing').where({ entity_ref: entityRef }).first();
    if (!r) return undefined;
    return {
      entityRef: r.entity_ref,
      enabled: Boolean(r.enabled),
      backend: r.backend_cluster
        ? { cluster: r.backend_cluster, namespace: r.backend_namespace, name: r.backend_name }
        : undefined,
      mode: r.mode,
      updatedBy: r.updated_by,
      updatedAt: toIso(r.updated_at),
    };
  }

  async listTracing(): Promise<TracingRecord[]> {
    const rows = await this.db('skywalking_tracing').select('entity_ref');
    const out: TracingRecord[] = [];
    for (const r of rows) {
      const rec = await this.getTracing(r.entity_ref);
      if (rec) out.push(rec);
    }
    return out;
  }
}
