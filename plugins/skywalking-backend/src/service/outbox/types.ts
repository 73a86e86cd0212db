/** One write waiting for its cluster: the operation and its arguments, replayed in order. */
export interface OutboxOp {
  operation: 'create' | 'update' | 'scale' | 'pause' | 'resume' | 'upgrade' | 'delete';
  payload: { args: unknown[]; actor: string };
}

/** pending: waits to be applied; done: applied; dead: given up (attempts exhausted or expired), kept for a person */
export type OutboxState = 'pending' | 'done' | 'dead';

export interface OutboxEntry {
  id: number | string;
  cluster: string;
  op: OutboxOp;
  /** failures the API server answered (a network error or timeout is not an attempt) */
  attempts?: number;
  lastError?: string;
  state?: OutboxState;
  /** ISO time the write was requested */
  createdAt?: string;
  deadAt?: string;
}

/**
 * Where writes for an unreachable cluster wait (the plugin keeps it in its
 * database, database/OutboxStore.ts). A drainer claims an entry before it
 * applies it; a claim lapses after its lease, so a crashed drainer's entry is
 * taken up again (its replay is a server-side apply: applying twice is
 * applying once).
 */
export interface BackendOutbox {
  enqueue(cluster: string, op: OutboxOp): Promise<number | string>;
  /** pending entries of a cluster, oldest first */
  pending(cluster: string): Promise<OutboxEntry[]>;
  /** dead-lettered entries, of one cluster or all, oldest first */
  dead(cluster?: string): Promise<OutboxEntry[]>;
  /** takes a pending entry for `holder` for `leaseMs` unless another holder's claim is still valid; whether it got it */
  claim(id: number | string, holder: string, leaseMs: number): Promise<boolean>;
  markDone(id: number | string): Promise<void>;
  /** records the error and releases the claim; `counted`: the API server answered (an attempt). Returns the attempts. */
  markFailed(id: number | string, error: string, opts?: { counted?: boolean }): Promise<number>;
  /** gives up on an entry: kept as a dead letter with its reason */
  markDead(id: number | string, reason: string): Promise<void>;
  /** a dead letter back to pending, attempts reset (a person retries it) */
  retry(id: number | string): Promise<boolean>;
}

/** An entry that failed this often with an answer from the API server is dead-lettered. */
export const MAX_OUTBOX_ATTEMPTS = 5;

/** `namespace/name` of the backend an entry writes to: the unit of ordering. */
export function backendKeyOf(op: OutboxOp): string {
  const ref = (op.payload.args?.[0] ?? {}) as { namespace?: string; name?: string };
  return `${ref.namespace ?? ''}/${ref.name ?? ''}`;
}
