import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { applyDatabaseMigrations } from './migrations';
import { SkyWalkingStore } from './SkyWalkingStore';

// SQLite always; PostgreSQL 15 from the Debian package, started by the test
// orchestrator (scripts/postgres.mjs), which sets
// BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING and SWB_REQUIRE_POSTGRES.
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe('SkyWalkingStore', () => {
  it('has PostgreSQL available when the test run requires it', () => {
    const ids = databases.eachSupportedId().map(([id]) => id);
    expect(ids).toContain('SQLITE_3');
    // npm test starts PostgreSQL and sets SWB_REQUIRE_POSTGRES: then it must be used
    expect(!process.env.SWB_REQUIRE_POSTGRES || ids.includes('POSTGRES_15')).toBe(true);
  });

  async function createStore(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    return { knex, store: new SkyWalkingStore(knex) };
  }

  it.each(databases.eachSupportedId())(
    'runs the migrations up and down cleanly on %p',
    async databaseId => {
      const { knex } = await createStore(databaseId);
      for (const t of ['skywalking_backends', 'skywalking_audit', 'skywalking_outbox', 'skywalking_tracing']) {
        expect(await knex.schema.hasTable(t)).toBe(true);
      }
      await knex.migrate.rollback(
        { tableName: 'skywalking_knex_migrations', directory: `${__dirname}/../../migrations` },
        true,
      );
      expect(await knex.schema.hasTable('skywalking_audit')).toBe(false);
    },
  );

  it.each(databases.eachSupportedId())(
    'records backend ownership and updates it on conflict on %p',
    async databaseId => {
      const { store } = await createStore(databaseId);
      const ref = { cluster: 'local', namespace: 'sw', name: 'demo' };
      await store.recordBackend({ ...ref, ownerRef: 'group:default/a', createdBy: 'user:default/guest' });
      await store.recordBackend({ ...ref, ownerRef: 'group:default/b', entityRef: 'resource:default/demo', createdBy: 'user:default/other' });
      const rows = await store.listBackends();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ ...ref, ownerRef: 'group:default/b', entityRef: 'resource:default/demo', createdBy: 'user:default/guest' });
      expect(Date.parse(rows[0].createdAt)).not.toBeNaN();
      await store.removeBackend(ref);
      expect(await store.listBackends()).toHaveLength(0);
    },
  );

  it.each(databases.eachSupportedId())(
    'keeps an ordered audit log filtered by target on %p',
    async databaseId => {
      const { store } = await createStore(databaseId);
      await store.appendAudit({ actor: 'user:default/a', action: 'create', target: 'backend:local/sw/x', details: { replicas: 1 } });
      await store.appendAudit({ actor: 'user:default/b', action: 'scale', target: 'backend:local/sw/x', details: { replicas: 3 } });
      await store.appendAudit({ actor: 'user:default/b', action: 'create', target: 'backend:local/sw/y', details: {} });
      const entries = await store.listAudit({ target: 'backend:local/sw/x' });
      expect(entries.map(e => e.action)).toEqual(['scale', 'create']);
      expect(entries[0].details).toEqual({ replicas: 3 });
      expect(entries[0].actor).toBe('user:default/b');
    },
  );

  it.each(databases.eachSupportedId())(
    'stores the tracing choice per entity and overwrites it on %p',
    async databaseId => {
      const { store } = await createStore(databaseId);
      const backend = { cluster: 'local', namespace: 'sw', name: 'demo' };
      await store.setTracing({ entityRef: 'component:default/shop', enabled: true, backend, mode: 'webhook', updatedBy: 'user:default/a' });
      await store.setTracing({ entityRef: 'component:default/shop', enabled: false, backend, mode: 'patch', updatedBy: 'user:default/b' });
      const rec = await store.getTracing('component:default/shop');
      expect(rec).toMatchObject({ enabled: false, backend, mode: 'patch', updatedBy: 'user:default/b' });
      expect(await store.getTracing('component:default/none')).toBeUndefined();
      expect(await store.listTracing()).toHaveLength(1);
    },
  );
});
