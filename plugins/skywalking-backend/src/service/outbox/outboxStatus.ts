import { BackendSummary, OutboxDeadLetter, SkyWalkingBackendSpec } from '@skywalking-backstage/plugin-skywalking-common';
import { backendKeyOf, BackendOutbox, OutboxEntry } from './types';

function deadLetter(e: OutboxEntry): OutboxDeadLetter {
  // no arguments: a spec may carry values that are not for every reader
  return { id: e.id, operation: e.op.operation, actor: e.op.payload.actor, attempts: e.attempts ?? 0, reason: e.lastError, createdAt: e.createdAt, deadAt: e.deadAt };
}

/**
 * The backends of one cluster with what its outbox holds for each: waiting
 * and dead-lettered changes; a creation still waiting (or given up) shows as
 * a Queued backend, so it is seen, not lost.
 */
export async function withOutboxStatus(cluster: string, listed: BackendSummary[], outbox: BackendOutbox): Promise<BackendSummary[]> {
  const [pending, dead] = await Promise.all([outbox.pending(cluster).catch(() => [] as OutboxEntry[]), outbox.dead(cluster).catch(() => [] as OutboxEntry[])]);
  const out = [...listed];
  const byKey = new Map(out.map(b => [`${b.namespace}/${b.name}`, b]));
  for (const entry of [...pending, ...dead]) {
    const key = backendKeyOf(entry.op);
    if (byKey.has(key) || entry.op.operation !== 'create') continue;
    const spec = entry.op.payload.args[0] as SkyWalkingBackendSpec;
    const queued: BackendSummary = {
      cluster,
      namespace: spec.namespace,
      name: spec.name,
      version: spec.version,
      phase: 'Queued',
      conditions: [],
      oap: { desired: spec.oap?.replicas ?? 1, ready: 0 },
      storage: spec.storage?.type ?? 'banyandb',
      paused: false,
      owner: spec.owner,
    };
    out.push(queued);
    byKey.set(key, queued);
  }
  for (const [key, b] of byKey) {
    const waiting = pending.filter(e => backendKeyOf(e.op) === key).length;
    const given = dead.filter(e => backendKeyOf(e.op) === key).map(deadLetter);
    if (waiting || given.length) b.outbox = { pending: waiting, dead: given };
  }
  return out;
}
