import { eventually, LocalCluster, startLocalCluster } from '@internal/local-cluster';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { ensureSwckCrds } from '../clusters/crds';
import { K8s, loadK8s } from '../clusters/k8s';
import { BackendService } from '../service/BackendService';
import { MemoryOutbox, quietLogger } from '../service/testOutbox';
import { LeaderElector } from './LeaderElector';
import { OperatorEngine } from './OperatorEngine';
import { sampleLeaders, until } from './__testUtils__/leaderSamples';

/*
 * A hung API server: kube-apiserver stopped (SIGSTOP) - connections open,
 * no answers - then continued (SIGCONT). Its own control plane (never the
 * run's shared one): freezing it would stall every other test.
 */

jest.setTimeout(240_000);

const LEASE_SECONDS = 3;
const RENEW_DEADLINE_MS = 2000;
const RETRY_MS = 250;
const GROUP = 'operator.skywalking.apache.org';

let cluster: LocalCluster;
let admin: K8s.KubeConfig;
let ns: string;
let frozen = false;

const freeze = () => {
  frozen = true;
  cluster.signalComponent('kube-apiserver', 'SIGSTOP');
};
const thaw = () => {
  if (frozen) cluster.signalComponent('kube-apiserver', 'SIGCONT');
  frozen = false;
};

beforeAll(async () => {
  cluster = await startLocalCluster({ nodes: 1 });
  const k8s = await loadK8s();
  admin = new k8s.KubeConfig();
  admin.loadFromString(cluster.kubeconfig);
  const crds = await ensureSwckCrds(admin);
  if (crds.failed.length) throw new Error(`SWCK CRDs not installed: ${JSON.stringify(crds.failed)}`);
  ns = 'hung';
  await admin.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
});

afterEach(() => thaw());

afterAll(async () => {
  thaw();
  await cluster?.stop();
});

describe('a hung API server', () => {
  it('never has two leaders: the leader steps down at its renew deadline while the API server hangs, one leads again after it continues', async () => {
    const electors = ['a', 'b'].map(
      identity => new LeaderElector({ kc: admin, namespace: ns, name: 'hung-election', identity, leaseDurationSeconds: LEASE_SECONDS, renewDeadlineMs: RENEW_DEADLINE_MS, renewIntervalMs: RETRY_MS }),
    );
    for (const e of electors) e.start();
    await until('a leader', () => electors.some(e => e.isLeader()));
    const watch = sampleLeaders(electors);
    await new Promise(r => setTimeout(r, 1000));
    const frozenAt = Date.now();
    freeze();
    await until('the leader to step down', () => !electors.some(e => e.isLeader()), RENEW_DEADLINE_MS + 2000);
    const steppedDownAfter = Date.now() - frozenAt;
    // frozen for twice the lease duration: long enough for a wrong candidate to think the Lease expired
    await new Promise(r => setTimeout(r, LEASE_SECONDS * 2000));
    const thawedAt = Date.now();
    thaw();
    await until('a leader again', () => electors.some(e => e.isLeader()), 30_000);
    await new Promise(r => setTimeout(r, 1000));
    watch.stop();
    await Promise.all(electors.map(e => e.stop()));
    expect(watch.overlaps()).toEqual([]);
    // bounded by the last renewal (at most one retry period before the freeze) plus the renew deadline
    expect(steppedDownAfter).toBeLessThanOrEqual(RENEW_DEADLINE_MS + 100);
    expect(watch.leadersBetween(frozenAt + RENEW_DEADLINE_MS + 100, thawedAt)).toEqual(new Set());
  });

  it('cannot stop a cluster\'s health checks: detecting SWCK and draining the outbox give up at their deadline, and all completes once it answers', async () => {
    const registry = await ClusterRegistry.fromDefinitions([{ name: 'local', kubeconfig: cluster.kubeconfig }], quietLogger);
    const outbox = new MemoryOutbox();
    const backends = new BackendService({ clusters: registry, outbox, logger: quietLogger });
    const engine = new OperatorEngine({
      clusters: registry,
      logger: quietLogger,
      namespace: ns,
      leaseNamespace: ns,
      leaseDurationSeconds: LEASE_SECONDS,
      renewIntervalMs: RETRY_MS,
      healthIntervalMs: 300,
      healthMinBackoffMs: 200,
      healthMaxBackoffMs: 500,
      stepTimeoutMs: 2000,
      drainOutbox: c => backends.drainOutbox(c),
    });
    // the API server hangs right after the first health check answered: engine start (SWCK detection) hangs with it
    let armed = true;
    registry.onHealthChange(h => {
      if (h.reachable && armed) {
        armed = false;
        freeze();
      }
    });
    const checks = new Set<number>();
    const record = setInterval(() => checks.add(registry.health('local').checkedAt ?? 0), 50);
    try {
      await engine.start(); // returns: the hung detection gave up at its deadline
      expect(frozen).toBe(true);
      expect(engine.state('local').reconciling).toBe(false);
      const before = checks.size;
      await new Promise(r => setTimeout(r, 12_000));
      // health checks went on while the API server hung (each waits out its own 5 s timeout)
      expect(checks.size - before).toBeGreaterThanOrEqual(2);
      expect(registry.health('local').reachable).toBe(false);
      thaw();
      await eventually('the engine to lead once the API server answers', async () => engine.isLeader('local'), 30_000);

      // a queued creation whose drain hangs with the API server
      const spec = { cluster: 'local', namespace: ns, name: 'queued', version: '10.2.0', ui: { enabled: false } };
      await outbox.enqueue('local', { operation: 'create', payload: { args: [spec], actor: 'user:default/tester' } });
      let drainArmed = true;
      engine.setOutboxDrainer(async c => {
        if (drainArmed) {
          drainArmed = false;
          freeze();
        }
        return backends.drainOutbox(c);
      });
      await eventually('the drain to freeze the API server', async () => frozen, 10_000);
      const during = checks.size;
      // the drain gives up at 2 s; each health check then waits out its own 5 s timeout
      await new Promise(r => setTimeout(r, 16_000));
      expect(checks.size - during).toBeGreaterThanOrEqual(2);
      thaw();
      const k8s = await loadK8s();
      const custom = admin.makeApiClient(k8s.CustomObjectsApi);
      await eventually(
        'the queued creation applied, once',
        async () => outbox.entries.every(e => e.state === 'done') && (await custom.getNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural: 'oapservers', name: 'queued' })),
        60_000,
      );
      expect(outbox.entries.map(e => [e.state, e.attempts])).toEqual([['done', 0]]);
      // the freeze outlasted the renew deadline: the engine stepped down and takes the Lease again once it has expired
      expect(await eventually('the engine to lead again', async () => engine.isLeader('local'), 30_000)).toBe(true);
    } finally {
      clearInterval(record);
      thaw();
      await engine.stop();
    }
  });
});
