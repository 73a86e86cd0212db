/*
 * The outbox keeps every entry until it is applied or dead-lettered: `state`
 * (pending, done, dead) replaces "skipped after five attempts", and a drainer
 * claims an entry (claimed_by, claim_expires_at in epoch milliseconds of the
 * database clock) before it applies it, so two portal replicas never replay
 * the same entry at once, and a crashed drainer's claim lapses.
 */

// @ts-check

/** attempts after which the old code skipped an entry for good */
const OLD_MAX_ATTEMPTS = 5;

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('skywalking_outbox', table => {
    table.string('state', 16).notNullable().defaultTo('pending').comment('pending, done or dead');
    table.timestamp('dead_at', { useTz: true }).nullable();
    table.string('claimed_by', 255).nullable().comment('the drainer applying the entry');
    table.bigInteger('claim_expires_at').nullable().comment('epoch ms (database clock) when the claim lapses');
  });
  await knex('skywalking_outbox').whereNotNull('done_at').update({ state: 'done' });
  // entries the old drain skipped forever: shown as dead letters now, not lost silently
  await knex('skywalking_outbox')
    .whereNull('done_at')
    .where('attempts', '>=', OLD_MAX_ATTEMPTS)
    .update({ state: 'dead', dead_at: knex.fn.now() });
  await knex.schema.alterTable('skywalking_outbox', table => {
    table.index(['cluster', 'state', 'id'], 'skywalking_outbox_state_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('skywalking_outbox', table => {
    table.dropIndex(['cluster', 'state', 'id'], 'skywalking_outbox_state_idx');
  });
  await knex.schema.alterTable('skywalking_outbox', table => {
    table.dropColumn('claim_expires_at');
    table.dropColumn('claimed_by');
    table.dropColumn('dead_at');
    table.dropColumn('state');
  });
};
