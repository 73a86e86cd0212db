import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

const migrationsDir = resolvePackagePath(
  '@skywalking-backstage/plugin-skywalking-backend',
  'migrations',
);

/** Runs the plugin's knex migrations (shipped in the package's migrations/). */
export async function applyDatabaseMigrations(knex: Knex): Promise<void> {
  await knex.migrate.latest({
    directory: migrationsDir,
    tableName: 'skywalking_knex_migrations',
  });
}

/** Gets the plugin's client and migrates it unless migrations are skipped by config. */
export async function getMigratedClient(database: DatabaseService) {
  const client = await database.getClient();
  if (!database.migrations?.skip) {
    await applyDatabaseMigrations(client);
  }
  return client;
}
