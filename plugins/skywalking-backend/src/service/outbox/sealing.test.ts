import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { createTestNamespace, getSharedTestCluster } from '@internal/local-cluster';
import { ClusterRegistry } from '../../clusters/ClusterRegistry';
import { ensureSwckCrds } from '../../clusters/crds';
import { loadK8s } from '../../clusters/k8s';
import { applyDatabaseMigrations } from '../../database/migrations';
import { OutboxStore } from '../../database/OutboxStore';
import { BackendService } from '../BackendService';
import { quietLogger } from '../testOutbox';
import { KubernetesOutboxKey } from './outboxKey';
import { OutboxSealer } from './sealing';
import { OutboxOp } from './types';

/*
 * Secret literals of a queued change never sit in the outbox table in clear
 * (review M3): on SQLite and PostgreSQL 15, the raw row holds no literal of a
 * name outside the safe list, the key lives in a real Secret of the local
 * control plane, and the replay applies the values as they were asked.
 */

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const SECRET = 'hunter2-Sup3r/Secret=value';
const ACTOR = 'user:default/tester';

async function setup(databaseId: TestDatabaseId, prefix: string) {
  const cluster = await getSharedTestCluster();
  const k8s = await loadK8s();
  const admin = new k8s.KubeConfig();
  admin.loadFromString(cluster.kubeconfig);
  await ensureSwckCrds(admin);
  const ns = await createTestNamespace(prefix);
  const knex = await databases.init(databaseId);
  await applyDatabaseMigrations(knex);
  const outbox = new OutboxStore(knex);
  const clusters = await ClusterRegistry.fromDefinitions([{ name: 'local', kubeconfig: cluster.kubeconfig }], quietLogger);
  // the key Secret in this test's own namespace of the real API server
  const keySecret = { cluster: 'local', namespace: ns, name: 'outbox-key' };
  const keys = () => new KubernetesOutboxKey(keySecret, c => clusters.kubeConfig(c));
  const backends = new BackendService({ clusters, outbox, logger: quietLogger, sealer: new OutboxSealer({ keys: keys() }) });
  const oapConfig = async (name: string) =>
    ((await admin.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({ group: 'operator.skywalking.apache.org', version: 'v1alpha1', namespace: ns, plural: 'oapservers', name })) as any).spec.config as { name: string; value?: string }[];
  const rawRows = async () => (await knex('skywalking_outbox').select('payload')).map(r => String(r.payload));
  return { admin, k8s, ns, knex, outbox, clusters, keys, keySecret, backends, oapConfig, rawRows };
}

describe('secret literals in the outbox', () => {
  it.each(databases.eachSupportedId())('stores a queued update with no secret literal in the raw row and replays it with the value as asked on %p', async databaseId => {
    const t = await setup(databaseId, 'outbox-sealed');
    const ref = { cluster: 'local', namespace: t.ns, name: 'demo' };
    await t.backends.create({ ...ref, version: '10.2.0', ui: { enabled: false } }, ACTOR);
    // an earlier change of the backend still waits: the update is queued behind it
    await t.outbox.enqueue('local', { operation: 'scale', payload: { args: [ref, 2], actor: ACTOR } });
    const config = [
      { name: 'SW_AUTHENTICATION', value: SECRET },
      { name: 'SW_CORE_RECORD_DATA_TTL', value: '7' },
    ];
    const result = await t.backends.update(ref, { ...ref, version: '10.2.0', ui: { enabled: false }, oap: { config } }, ACTOR);
    expect(result).toMatchObject({ queued: true });

    const rows = await t.rawRows();
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).not.toContain('hunter2');
    const stored = JSON.parse(rows[1]).args[1].oap.config;
    expect(stored[0]).toEqual({ name: 'SW_AUTHENTICATION', sealedValue: expect.stringMatching(/^v1\./) });
    // a name on the safe list stays readable
    expect(stored[1]).toEqual({ name: 'SW_CORE_RECORD_DATA_TTL', value: '7' });

    // the key is in a Secret of the cluster, not in the database
    const secret = await t.admin.makeApiClient(t.k8s.CoreV1Api).readNamespacedSecret({ namespace: t.ns, name: 'outbox-key' });
    const key = secret.data!.key;
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    for (const row of rows) expect(row).not.toContain(key);

    expect(await t.backends.drainOutbox('local')).toBe(2);
    expect(await t.oapConfig('demo')).toEqual(expect.arrayContaining([{ name: 'SW_AUTHENTICATION', value: SECRET }, { name: 'SW_CORE_RECORD_DATA_TTL', value: '7' }]));
  });

  it.each(databases.eachSupportedId())('refuses to queue a secret literal when no key is configured or the key cannot be read, and queues nothing on %p', async databaseId => {
    const t = await setup(databaseId, 'outbox-nokey');
    const ref = { cluster: 'local', namespace: t.ns, name: 'demo' };
    const unkeyed = new BackendService({ clusters: t.clusters, outbox: t.outbox, logger: quietLogger });
    await unkeyed.create({ ...ref, version: '10.2.0', ui: { enabled: false } }, ACTOR);
    await t.outbox.enqueue('local', { operation: 'scale', payload: { args: [ref, 2], actor: ACTOR } });
    const spec = { ...ref, version: '10.2.0', ui: { enabled: false }, oap: { config: [{ name: 'SW_AUTHENTICATION', value: SECRET }] } };
    await expect(unkeyed.update(ref, spec, ACTOR)).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: expect.stringMatching(/literal oap\.config values \(SW_AUTHENTICATION\).*no outbox key is configured.*secretKeyRef/),
    });
    // a key that cannot be read now (its cluster does not answer): refused the same way, naming where the key is
    const denied = new OutboxSealer({ keys: { describe: () => 'Secret x/y in cluster gone', key: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')) } });
    const op: OutboxOp = { operation: 'update', payload: { args: [ref, spec], actor: ACTOR } };
    await expect(denied.seal(op)).rejects.toMatchObject({ name: 'ServiceUnavailableError', message: expect.stringContaining('Secret x/y in cluster gone') });
    // the refusal queued nothing: only the earlier scale is there
    expect(await t.rawRows()).toHaveLength(1);
    // a change without secret literals still queues (valueFrom and safe names are not secrets in the row)
    const safe = { ...spec, oap: { config: [{ name: 'SW_CORE_RECORD_DATA_TTL', value: '3' }, { name: 'SW_X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] } };
    expect(await unkeyed.update(ref, safe, ACTOR)).toMatchObject({ queued: true });
    expect(await t.rawRows()).toHaveLength(2);
  });

  it.each(databases.eachSupportedId())('shares one key between replicas through the Secret and opens nothing moved to another entry or name on %p', async databaseId => {
    const t = await setup(databaseId, 'outbox-replicas');
    // two replicas racing at first start end up with the one key stored
    const [k1, k2] = await Promise.all([t.keys().key(), t.keys().key()]);
    expect(k1.id).toBe(k2.id);
    const sealerA = new OutboxSealer({ keys: t.keys() });
    const sealerB = new OutboxSealer({ keys: t.keys() });
    const ref = { cluster: 'local', namespace: t.ns, name: 'demo' };
    const spec = { ...ref, version: '10.2.0', oap: { config: [{ name: 'SW_AUTHENTICATION', value: SECRET }, { name: 'SW_OTHER', value: 'x' }] } };
    const op: OutboxOp = { operation: 'update', payload: { args: [ref, spec], actor: ACTOR } };
    const id = await t.outbox.enqueue('local', await sealerA.seal(op));
    const [entry] = await t.outbox.pending('local');
    expect(entry.id).toBe(id);
    expect(JSON.stringify(entry.op)).not.toContain('hunter2');
    expect(await sealerB.open(entry.op)).toEqual(op);

    // a sealed value moved to another env name, or to another backend's entry, does not open
    const sealed = (entry.op.payload.args[1] as any).oap.config;
    const swapped = { ...entry.op, payload: { ...entry.op.payload, args: [ref, { ...spec, oap: { config: [{ ...sealed[0], name: 'SW_OTHER' }] } }] } };
    await expect(sealerB.open(swapped)).rejects.toThrow(/SW_OTHER .* does not open/);
    const other = { ...ref, name: 'other' };
    const moved = { ...entry.op, payload: { ...entry.op.payload, args: [other, { ...spec, ...other, oap: { config: sealed } }] } };
    await expect(sealerB.open(moved)).rejects.toThrow(/does not open/);
    // a value sealed under another key names both keys
    const foreign = new OutboxSealer({ keys: { describe: () => 'a test key', key: async () => ({ id: 'feedfacefeedface', key: Buffer.alloc(32, 1) }) } });
    await expect(foreign.open(entry.op)).rejects.toThrow(new RegExp(`sealed with outbox key ${k1.id}; a test key holds key feedfacefeedface`));
  });
});
