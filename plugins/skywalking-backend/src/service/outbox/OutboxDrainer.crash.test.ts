import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { TestDatabases } from '@backstage/backend-test-utils';
import { createTestNamespace, getSharedTestCluster } from '@internal/local-cluster';
import { ClusterRegistry } from '../../clusters/ClusterRegistry';
import { ensureSwckCrds } from '../../clusters/crds';
import { K8s, loadK8s } from '../../clusters/k8s';
import { applyDatabaseMigrations } from '../../database/migrations';
import { OutboxStore } from '../../database/OutboxStore';
import { BackendService } from '../BackendService';
import { quietLogger } from '../testOutbox';

/*
 * A portal replica killed (SIGKILL) between applying a queued change and
 * marking it done: a replica started afterwards takes the entry up once the
 * dead one's claim lapses and applies it again. A replay is a server-side
 * apply, so the change is applied once in effect; nothing is lost and the
 * later change of the backend still comes after it. On SQLite (a file both
 * processes open) and on PostgreSQL 15.
 */

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
const CHILD = path.join(__dirname, '__testUtils__', 'drainerChild.ts');
const GROUP = 'operator.skywalking.apache.org';
const CLAIM_LEASE_MS = 3000;

let kubeconfig: string;
let admin: K8s.KubeConfig;
let ns: string;

beforeAll(async () => {
  const cluster = await getSharedTestCluster();
  kubeconfig = cluster.kubeconfig;
  const k8s = await loadK8s();
  admin = new k8s.KubeConfig();
  admin.loadFromString(kubeconfig);
  const crds = await ensureSwckCrds(admin);
  if (crds.failed.length) throw new Error(`SWCK CRDs not installed: ${JSON.stringify(crds.failed)}`);
  ns = await createTestNamespace('outbox-crash');
});

type ChildMessage = { applied?: [{ name: string }, number]; done?: boolean; error?: string };

/** Runs one drainer replica; `onMessage` sees what it reports; resolves with its exit. */
function runReplica(dbConfig: unknown, identity: string, hangAfterApply: number, onMessage: (m: ChildMessage, kill: () => void) => void) {
  const child = fork(CHILD, [], {
    execArgv: ['-r', 'sucrase/register'],
    env: {
      ...process.env,
      SWB_DB_CONFIG: JSON.stringify(dbConfig),
      SWB_KUBECONFIG: kubeconfig,
      SWB_IDENTITY: identity,
      SWB_HANG_AFTER_APPLY: String(hangAfterApply),
      SWB_CLAIM_LEASE_MS: String(CLAIM_LEASE_MS),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve => {
    child.on('message', (m: ChildMessage) => onMessage(m, () => child.kill('SIGKILL')));
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

async function instances(name: string): Promise<number> {
  const k8s = await loadK8s();
  const o: any = await admin.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural: 'oapservers', name });
  return o.spec.instances;
}

async function crashBetweenApplyAndMarkDone(knex: Knex, dbConfig: unknown, name: string) {
  await applyDatabaseMigrations(knex);
  const outbox = new OutboxStore(knex);
  const clusters = await ClusterRegistry.fromDefinitions([{ name: 'local', kubeconfig }], quietLogger);
  const backends = new BackendService({ clusters, outbox, logger: quietLogger });
  const ref = { cluster: 'local', namespace: ns, name };
  await backends.create({ ...ref, version: '10.2.0', oap: { replicas: 1 }, ui: { enabled: false } }, 'user:default/tester');
  const actor = 'user:default/tester';
  const first = await outbox.enqueue('local', { operation: 'scale', payload: { args: [ref, 2], actor } });
  const second = await outbox.enqueue('local', { operation: 'scale', payload: { args: [ref, 3], actor } });

  // replica 1 applies scale 2, reports it and is killed before markDone
  const seen1: number[] = [];
  const exit1 = await runReplica(dbConfig, 'replica-killed', 1, (m, kill) => {
    if (m.error) throw new Error(m.error);
    if (m.applied) {
      seen1.push(m.applied[1]);
      kill();
    }
  });
  expect(exit1.signal).toBe('SIGKILL');
  expect(seen1).toEqual([2]);
  expect(await instances(name)).toBe(2);
  // applied, not marked done: still pending, claimed by the dead replica
  const row = await knex('skywalking_outbox').where({ id: first }).first();
  expect(row).toMatchObject({ state: 'pending', claimed_by: 'replica-killed' });

  // replica 2 waits for the claim to lapse, applies scale 2 again (no effect) and then scale 3
  const seen2: number[] = [];
  const started = Date.now();
  let firstApplyAt = 0;
  const exit2 = await runReplica(dbConfig, 'replica-restarted', 0, m => {
    if (m.error) throw new Error(m.error);
    if (m.applied) {
      if (!firstApplyAt) firstApplyAt = Date.now();
      seen2.push(m.applied[1]);
    }
  });
  expect(exit2.code).toBe(0);
  expect(seen2).toEqual([2, 3]);
  // not before the dead replica's claim lapsed (less the time it took to start)
  expect(firstApplyAt - started).toBeGreaterThan(CLAIM_LEASE_MS / 3);
  expect(await instances(name)).toBe(3);
  const rows = await knex('skywalking_outbox').whereIn('id', [first, second]).orderBy('id');
  expect(rows.map(r => [r.state, Number(r.attempts)])).toEqual([
    ['done', 0],
    ['done', 0],
  ]);
  expect(await outbox.dead()).toEqual([]);
}

describe('OutboxDrainer, a replica killed between apply and markDone', () => {
  it('applies the change once in effect and keeps the order on SQLite (one database file, two processes)', async () => {
    expect.hasAssertions();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swb-outbox-'));
    const dbConfig = { client: 'better-sqlite3', connection: { filename: path.join(dir, 'outbox.sqlite') }, useNullAsDefault: true };
    const knex = knexFactory(dbConfig);
    try {
      await crashBetweenApplyAndMarkDone(knex, dbConfig, 'crash-sqlite');
    } finally {
      await knex.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(databases.eachSupportedId())('applies the change once in effect and keeps the order on %p', async databaseId => {
    expect.hasAssertions();
    const knex = await databases.init(databaseId);
    const dbConfig = { client: knex.client.config.client, connection: knex.client.config.connection };
    await crashBetweenApplyAndMarkDone(knex, dbConfig, 'crash-pg');
  });
});
