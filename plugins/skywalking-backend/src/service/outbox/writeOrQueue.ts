import { LoggerService } from '@backstage/backend-plugin-api';
import { WriteResult } from '@skywalking-backstage/plugin-skywalking-common';
import { ClusterRegistry } from '../../clusters/ClusterRegistry';
import { isNetworkError } from '../networkError';
import { backendKeyOf, BackendOutbox, OutboxOp } from './types';

export interface WriteOrQueueDeps {
  clusters: Pick<ClusterRegistry, 'definition' | 'health' | 'markUnreachable'>;
  outbox: BackendOutbox;
  logger: LoggerService;
  /** what the op becomes before it is stored (secret literals sealed, sealing.ts); a refusal is the answer, nothing is queued */
  seal?: (op: OutboxOp) => Promise<OutboxOp>;
}

/**
 * Runs a write now, or queues it: when the cluster is known unreachable,
 * when earlier writes of the same backend still wait (their order is kept;
 * dead letters do not hold it up), or when the request gets no answer.
 */
export async function writeOrQueue(d: WriteOrQueueDeps, cluster: string, op: OutboxOp, run: () => Promise<void>): Promise<WriteResult> {
  d.clusters.definition(cluster); // unknown cluster: a plain error, never queued
  const health = d.clusters.health(cluster);
  const key = backendKeyOf(op);
  const waiting = (await d.outbox.pending(cluster)).some(p => backendKeyOf(p.op) === key);
  if (!waiting && (health.reachable || health.checkedAt === undefined)) {
    try {
      await run();
      return { applied: true, queued: false };
    } catch (e) {
      if (!isNetworkError(e)) throw e;
      d.clusters.markUnreachable(cluster, e);
    }
  }
  await d.outbox.enqueue(cluster, d.seal ? await d.seal(op) : op);
  const why = waiting ? `earlier changes of backend ${key} in cluster ${cluster} are still waiting` : d.clusters.health(cluster).lastError ?? `cluster ${cluster} is unreachable`;
  d.logger.warn(`${op.operation} by ${op.payload.actor} queued: ${why}`);
  return { applied: false, queued: true, message: `${why}; the change is queued and will be applied when the cluster answers` };
}
