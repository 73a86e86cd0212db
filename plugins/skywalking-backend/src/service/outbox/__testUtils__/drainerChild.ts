/*
 * A portal replica that drains the outbox once, for the crash test
 * (OutboxDrainer.crash.test.ts): the real BackendService replays each entry
 * on the real cluster; with SWB_HANG_AFTER_APPLY=<n> it reports `applied` to
 * its parent after the n-th replay and hangs before markDone, to be SIGKILLed.
 * Run with `node -r sucrase/register`.
 */
import { knex as knexFactory } from 'knex';
import { ClusterRegistry } from '../../../clusters/ClusterRegistry';
import { OutboxStore } from '../../../database/OutboxStore';
import { BackendService } from '../../BackendService';
import { quietLogger } from '../../testOutbox';
import { OutboxDrainer } from '../OutboxDrainer';

async function main() {
  const env = process.env;
  const knex = knexFactory(JSON.parse(env.SWB_DB_CONFIG!));
  const outbox = new OutboxStore(knex);
  const clusters = await ClusterRegistry.fromDefinitions([{ name: 'local', kubeconfig: env.SWB_KUBECONFIG! }], quietLogger);
  const backends = new BackendService({ clusters, outbox, logger: quietLogger });
  const hangAfter = Number(env.SWB_HANG_AFTER_APPLY ?? 0);
  let replays = 0;
  const drainer = new OutboxDrainer({
    outbox,
    clusters,
    logger: quietLogger,
    identity: env.SWB_IDENTITY,
    claimLeaseMs: Number(env.SWB_CLAIM_LEASE_MS ?? 3000),
    replay: async op => {
      await backends.replay(op);
      replays++;
      process.send!({ applied: op.payload.args });
      if (replays === hangAfter) await new Promise(() => {}); // killed here: applied, not marked done
    },
  });
  // drain until nothing is pending (a claim of a killed replica lapses meanwhile)
  for (let i = 0; i < 100 && (await outbox.pending('local')).length; i++) {
    await drainer.drain('local');
    await new Promise(r => setTimeout(r, 200));
  }
  await knex.destroy();
  process.send!({ done: true }, () => process.exit(0));
}

main().catch(e => {
  process.send?.({ error: String(e?.stack ?? e) });
  process.exit(1);
});
