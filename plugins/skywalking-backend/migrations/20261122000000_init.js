/*
 * Portal-side state of the SkyWalking plugin. Kubernetes holds the desired and
 * observed state of every backend; this database holds what Kubernetes cannot:
 * who owns a backend in the catalog, who changed what (audit), tracing choices
 * per catalog entity, and writes waiting for an unreachable cluster (outbox).
 */

// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('skywalking_backends', table => {
    table.comment('Catalog ownership of SkyWalking backends');
    table.string('cluster', 255).notNullable();
    table.string('namespace', 63).notNullable();
    table.string('name', 63).notNullable();
    table.string('owner_ref', 255).nullable().comment('group/user entity ref');
    table.string('entity_ref', 255).nullable().comment('Resource entity ref');
    table.string('created_by', 255).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['cluster', 'namespace', 'name']);
  });

  await knex.schema.createTable('skywalking_audit', table => {
    table.comment('Every change requested through the portal, with its actor');
    table.bigIncrements('id').primary();
    table.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.string('actor', 255).notNullable();
    table.string('action', 64).notNullable();
    table.string('target', 512).notNullable();
    table.text('details').notNullable();
    table.index(['target'], 'skywalking_audit_target_idx');
  });

  await knex.schema.createTable('skywalking_outbox', table => {
    table.comment('Writes kept while their cluster is unreachable');
    table.bigIncrements('id').primary();
    table.string('cluster', 255).notNullable();
    table.string('operation', 64).notNullable();
    table.text('payload').notNullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('done_at', { useTz: true }).nullable();
    table.index(['cluster', 'done_at'], 'skywalking_outbox_pending_idx');
  });

  await knex.schema.createTable('skywalking_tracing', table => {
    table.comment('Tracing (agent injection) choice per catalog entity');
    table.string('entity_ref', 255).primary();
    table.boolean('enabled').notNullable();
    table.string('backend_cluster', 255).nullable();
    table.string('backend_namespace', 63).nullable();
    table.string('backend_name', 63).nullable();
    table.string('mode', 16).notNullable().defaultTo('webhook');
    table.string('updated_by', 255).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('skywalking_tracing');
  await knex.schema.dropTable('skywalking_outbox');
  await knex.schema.dropTable('skywalking_audit');
  await knex.schema.dropTable('skywalking_backends');
};
