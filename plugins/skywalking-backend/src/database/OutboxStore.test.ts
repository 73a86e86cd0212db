import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { applyDatabaseMigrations } from './migrations';
import { OutboxStore } from './OutboxStore';

// SQLite always; PostgreSQL 15 when the test run provides it (scripts/postgres.mjs)
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const MIGRATIONS = { tableName: 'skywalking_knex_migrations', directory: `${__dirname}/../../migrations` };

const op = (name: string, n: number) => ({ operation: 'scale' as const, payload: { args: [{ cluster: 'east', namespace: 'sw', name }, n], actor: 'user:default/a' } });

describe('OutboxStore', () => {
  async function createOutbox(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    return { knex, outbox: new OutboxStore(knex) };
  }

  it.each(databases.eachSupportedId())('returns pending writes per cluster in request order until done on %p', async databaseId => {
    const { outbox } = await createOutbox(databaseId);
    const a = await outbox.enqueue('east', op('x', 1));
    const b = await outbox.enqueue('east', op('x', 2));
    await outbox.enqueue('west', op('y', 3));
    expect((await outbox.pending('east')).map(e => e.op.payload.args[1])).toEqual([1, 2]);
    expect(Date.parse((await outbox.pending('east'))[0].createdAt!)).not.toBeNaN();
    await outbox.markDone(a);
    await outbox.markDone(b);
    expect(await outbox.pending('east')).toEqual([]);
    expect(await outbox.pending('west')).toHaveLength(1);
  });

  it.each(databases.eachSupportedId())('counts only failures marked as answered by the API server as attempts on %p', async databaseId => {
    const { outbox } = await createOutbox(databaseId);
    const id = await outbox.enqueue('east', op('x', 1));
    expect(await outbox.markFailed(id, 'connect ECONNREFUSED', { counted: false })).toBe(0);
    expect(await outbox.markFailed(id, 'connect ECONNREFUSED', { counted: false })).toBe(0);
    expect(await outbox.markFailed(id, 'HTTP 422 Unprocessable', { counted: true })).toBe(1);
    expect((await outbox.pending('east'))[0]).toMatchObject({ attempts: 1, lastError: 'HTTP 422 Unprocessable', state: 'pending' });
  });

  it.each(databases.eachSupportedId())('lets one holder claim an entry until its claim lapses by the database clock on %p', async databaseId => {
    const { outbox } = await createOutbox(databaseId);
    const a = await outbox.enqueue('east', op('x', 1));
    expect(await outbox.claim(a, 'replica-1', 60_000)).toBe(true);
    expect(await outbox.claim(a, 'replica-2', 60_000)).toBe(false);
    expect(await outbox.claim(a, 'replica-1', 60_000)).toBe(true); // renewal by the holder
    const b = await outbox.enqueue('east', op('x', 2));
    expect(await outbox.claim(b, 'crashed', 200)).toBe(true);
    expect(await outbox.claim(b, 'replica-2', 60_000)).toBe(false);
    await new Promise(r => setTimeout(r, 400));
    expect(await outbox.claim(b, 'replica-2', 60_000)).toBe(true);
    // a released claim (failure recorded) is free at once; a done entry cannot be claimed
    await outbox.markFailed(a, 'refused', { counted: true });
    expect(await outbox.claim(a, 'replica-2', 60_000)).toBe(true);
    await outbox.markDone(a);
    expect(await outbox.claim(a, 'replica-1', 60_000)).toBe(false);
  });

  it.each(databases.eachSupportedId())('gives exactly one of many concurrent claimants an entry on %p', async databaseId => {
    const { outbox } = await createOutbox(databaseId);
    const id = await outbox.enqueue('east', op('x', 1));
    const won = await Promise.all(Array.from({ length: 12 }, (_, i) => outbox.claim(id, `replica-${i}`, 60_000)));
    expect(won.filter(Boolean)).toHaveLength(1);
  });

  it.each(databases.eachSupportedId())('keeps dead letters with their reason, out of pending, until a retry puts them back on %p', async databaseId => {
    const { outbox } = await createOutbox(databaseId);
    const a = await outbox.enqueue('east', op('x', 1));
    await outbox.enqueue('east', op('x', 2));
    await outbox.markFailed(a, 'HTTP 422', { counted: true });
    await outbox.markDead(a, '5 attempts refused by the API server; last: HTTP 422');
    expect((await outbox.pending('east')).map(e => e.op.payload.args[1])).toEqual([2]);
    const [dead] = await outbox.dead('east');
    expect(dead).toMatchObject({ id: a, state: 'dead', lastError: '5 attempts refused by the API server; last: HTTP 422' });
    expect(Date.parse(dead.deadAt!)).not.toBeNaN();
    expect(await outbox.dead('west')).toEqual([]);
    expect(await outbox.claim(a, 'replica-1', 60_000)).toBe(false);
    expect(await outbox.retry(a)).toBe(true);
    expect(await outbox.retry(a)).toBe(false);
    expect((await outbox.pending('east')).map(e => [e.op.payload.args[1], e.attempts])).toEqual([
      [1, 0],
      [2, 0],
    ]);
  });

  it.each(databases.eachSupportedId())('turns the entries the old drain skipped for good into dead letters when migrating on %p', async databaseId => {
    const knex = await databases.init(databaseId);
    await knex.migrate.up({ ...MIGRATIONS, name: '20261122000000_init.js' });
    const row = (n: number, attempts: number, done = false) => ({
      cluster: 'east',
      operation: 'scale',
      payload: JSON.stringify(op('x', n).payload),
      attempts,
      ...(done ? { done_at: knex.fn.now() } : {}),
    });
    await knex('skywalking_outbox').insert([row(1, 5), row(2, 1), row(3, 0, true)]);
    await applyDatabaseMigrations(knex);
    const outbox = new OutboxStore(knex);
    expect((await outbox.dead('east')).map(e => e.op.payload.args[1])).toEqual([1]);
    expect((await outbox.pending('east')).map(e => e.op.payload.args[1])).toEqual([2]);
    await knex.migrate.down(MIGRATIONS);
    expect(await knex.schema.hasColumn('skywalking_outbox', 'state')).toBe(false);
  });
});
