import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { NotAllowedError } from '@backstage/errors';
import { createTestNamespace, getSharedTestCluster } from '@internal/local-cluster';
import { K8s, loadK8s } from '../../clusters/k8s';
import { applyDatabaseMigrations } from '../../database/migrations';
import { OutboxStore } from '../../database/OutboxStore';
import { quietLogger } from '../testOutbox';
import { OutboxDrainer, OutboxDrainerOptions } from './OutboxDrainer';
import { appliedN, cmOp, configMapReplay } from './__testUtils__/configMapOps';

/*
 * The outbox drain on the plugin's real databases (SQLite and PostgreSQL 15)
 * against a real API server: its refusals are real 422 answers, its silence a
 * real refused connection.
 */

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

let admin: K8s.KubeConfig;
let ns: string;
/** a KubeConfig whose API server never answers: a closed loopback port */
let nowhere: K8s.KubeConfig;

beforeAll(async () => {
  const cluster = await getSharedTestCluster();
  const k8s = await loadK8s();
  admin = new k8s.KubeConfig();
  admin.loadFromString(cluster.kubeconfig);
  ns = await createTestNamespace('outbox-drain');
  nowhere = new k8s.KubeConfig();
  nowhere.loadFromOptions({
    clusters: [{ name: 'gone', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u', token: 'x' }],
    contexts: [{ name: 'gone', cluster: 'gone', user: 'u' }],
    currentContext: 'gone',
  });
});

async function setup(databaseId: TestDatabaseId) {
  const knex = await databases.init(databaseId);
  await applyDatabaseMigrations(knex);
  const outbox = new OutboxStore(knex);
  const unreachable: string[] = [];
  const drainer = (o: Partial<OutboxDrainerOptions> = {}) =>
    new OutboxDrainer({
      outbox,
      logger: quietLogger,
      clusters: { markUnreachable: c => unreachable.push(c) },
      replay: configMapReplay(admin).replay,
      ...o,
    });
  return { knex, outbox, drainer, unreachable };
}

/** a backend name unique to one test and database */
const uniq = (base: string) => `${base}-${Math.random().toString(36).slice(2, 8)}`;

describe('OutboxDrainer', () => {
  it.each(databases.eachSupportedId())(
    'keeps a backend behind its refused entry until that is dead-lettered after five API answers, while other backends go on, on %p',
    async databaseId => {
      const { outbox, drainer } = await setup(databaseId);
      const [a, b] = [uniq('a'), uniq('b')];
      const refused = await outbox.enqueue('local', cmOp(ns, a, -1));
      await outbox.enqueue('local', cmOp(ns, a, 2));
      await outbox.enqueue('local', cmOp(ns, b, 1));
      const { replay, log } = configMapReplay(admin);
      const d = drainer({ replay });
      const first = await d.drainCluster('local');
      expect(first).toMatchObject({ applied: 1, dead: 0, waiting: [`${ns}/${a}`] });
      expect(await appliedN(admin, ns, b)).toBe('1');
      // the later change of a waits behind the refused one: applying it first would reorder a's changes
      expect(await appliedN(admin, ns, a)).toBeUndefined();
      for (let i = 2; i <= 4; i++) expect((await d.drainCluster('local')).applied).toBe(0);
      expect((await outbox.pending('local')).find(e => e.id === refused)).toMatchObject({ attempts: 4 });
      const fifth = await d.drainCluster('local');
      expect(fifth).toMatchObject({ applied: 1, dead: 1 });
      expect(await appliedN(admin, ns, a)).toBe('2');
      expect(log).toEqual([`${b}:1`, `${a}:2`]);
      const [dead] = await outbox.dead('local');
      expect(dead).toMatchObject({ id: refused, attempts: 5, state: 'dead' });
      expect(dead.lastError).toMatch(/^5 attempts refused by the API server; last: HTTP-Code: 4\d\d/);
      expect(d.counts()).toEqual({ dead: { local: 1 }, pending: { local: 0 } });
      expect(await outbox.pending('local')).toEqual([]);
    },
  );

  it.each(databases.eachSupportedId())('spends no attempt on a cluster that does not answer, however often it is drained, on %p', async databaseId => {
    const { outbox, drainer, unreachable } = await setup(databaseId);
    const a = uniq('a');
    await outbox.enqueue('local', cmOp(ns, a, 1));
    await outbox.enqueue('local', cmOp(ns, uniq('b'), 1));
    const d = drainer({ replay: configMapReplay(nowhere).replay });
    for (let i = 0; i < 8; i++) expect(await d.drainCluster('local')).toMatchObject({ applied: 0, dead: 0 });
    const pending = await outbox.pending('local');
    expect(pending.map(e => [e.state, e.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
    ]);
    expect(pending[0].lastError).toMatch(/ECONNREFUSED|connect/);
    expect(unreachable).toHaveLength(8);
    expect(await outbox.dead('local')).toEqual([]);
    // once the cluster answers, everything is applied
    expect(await drainer().drain('local')).toBe(2);
    expect(await appliedN(admin, ns, a)).toBe('1');
  });

  it.each(databases.eachSupportedId())('applies every entry once and in order per backend with two replicas draining at once on %p', async databaseId => {
    const { outbox, drainer } = await setup(databaseId);
    const backends = [uniq('a'), uniq('b'), uniq('c')];
    for (let n = 1; n <= 4; n++) for (const b of backends) await outbox.enqueue('local', cmOp(ns, b, n));
    const log: string[] = [];
    // slow replays, so the two drains overlap
    const one = drainer({ identity: 'replica-1', replay: configMapReplay(admin, log, 30).replay });
    const two = drainer({ identity: 'replica-2', replay: configMapReplay(admin, log, 30).replay });
    for (let round = 0; round < 20 && (await outbox.pending('local')).length; round++) {
      await Promise.all([one.drain('local'), two.drain('local')]);
    }
    expect(await outbox.pending('local')).toEqual([]);
    expect(log).toHaveLength(12);
    for (const b of backends) {
      expect(log.filter(l => l.startsWith(`${b}:`))).toEqual([1, 2, 3, 4].map(n => `${b}:${n}`));
      expect(await appliedN(admin, ns, b)).toBe('4');
    }
  });

  it.each(databases.eachSupportedId())('dead-letters an entry older than the maximum age instead of replaying it on %p', async databaseId => {
    const { outbox, drainer } = await setup(databaseId);
    const a = uniq('a');
    await outbox.enqueue('local', cmOp(ns, a, 1));
    const eightDaysOn = () => Date.now() + 8 * 24 * 3600_000;
    expect(await drainer({ now: eightDaysOn }).drainCluster('local')).toMatchObject({ applied: 0, dead: 1 });
    expect(await appliedN(admin, ns, a)).toBeUndefined();
    expect((await outbox.dead('local'))[0].lastError).toMatch(/^expired: waited 192 h, longer than 168 h/);
  });

  it.each(databases.eachSupportedId())('dead-letters a change its re-check no longer allows, and replays the allowed one, on %p', async databaseId => {
    const { outbox, drainer } = await setup(databaseId);
    const [a, b] = [uniq('a'), uniq('b')];
    await outbox.enqueue('local', cmOp(ns, a, 1));
    await outbox.enqueue('local', cmOp(ns, b, 1));
    const recheck = async (e: any) => {
      if (e.op.payload.args[0].name === a) throw new NotAllowedError(`namespace ${ns} is outside what the caller's teams own`);
    };
    expect(await drainer({ recheck }).drainCluster('local')).toMatchObject({ applied: 1, dead: 1 });
    expect(await appliedN(admin, ns, a)).toBeUndefined();
    expect(await appliedN(admin, ns, b)).toBe('1');
    expect((await outbox.dead('local'))[0].lastError).toContain(`no longer allowed: namespace ${ns} is outside`);
  });
});
