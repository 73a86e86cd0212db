import { createTestNamespace, getSharedTestCluster } from '@internal/local-cluster';
import { K8s, loadK8s } from '../clusters/k8s';
import { ElectorClock, LeaderElector, systemClock } from './LeaderElector';
import { sampleLeaders, until } from './__testUtils__/leaderSamples';

/*
 * Leader election with client-go's guarantees on the real API server; two
 * candidates in one process, so "who thinks it leads" is sampled at the same
 * instant for both. (A hung API server: hungApiServer.test.ts.)
 */

jest.setTimeout(90_000);

const LEASE_SECONDS = 3;
const RENEW_DEADLINE_MS = 2000;
const RETRY_MS = 250;

let kc: K8s.KubeConfig;
let ns: string;

beforeAll(async () => {
  const cluster = await getSharedTestCluster();
  const k8s = await loadK8s();
  kc = new k8s.KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  ns = await createTestNamespace('elector');
});

/** Lease request errors, shown when a test fails */
const errors: string[] = [];

function elector(identity: string, name: string, clock: ElectorClock = systemClock) {
  return new LeaderElector({
    kc,
    namespace: ns,
    name,
    identity,
    leaseDurationSeconds: LEASE_SECONDS,
    renewDeadlineMs: RENEW_DEADLINE_MS,
    renewIntervalMs: RETRY_MS,
    clock,
    onError: e => errors.push(`${identity}: ${(e as Error)?.message ?? e}`),
  });
}

afterEach(() => {
  if (errors.length) console.warn(`Lease errors:\n${[...new Set(errors)].slice(0, 10).join('\n')}`);
  errors.length = 0;
});

describe('LeaderElector', () => {
  it('refuses a renew deadline not shorter than the lease duration, and a request timeout not shorter than the deadline', () => {
    expect(() => new LeaderElector({ kc, namespace: 'x', name: 'y', leaseDurationSeconds: 3, renewDeadlineMs: 3000 })).toThrow(/renew deadline 3000 ms must be shorter/);
    expect(() => new LeaderElector({ kc, namespace: 'x', name: 'y', leaseDurationSeconds: 3, renewDeadlineMs: 2000, requestTimeoutMs: 2000 })).toThrow(/request timeout 2000 ms must be shorter/);
  });

  it.each([
    ['an hour ahead', 3600_000],
    ['an hour behind', -3600_000],
  ])('never lets two candidates lead when one wall clock is %s, and takes over only after a lease duration of no renewals', async (_what, skewMs) => {
    const name = `skew-${skewMs > 0 ? 'ahead' : 'behind'}`;
    const a = elector('a-true-clock', name);
    a.start();
    await until('a to lead', () => a.isLeader());
    const skewed: ElectorClock = { wall: () => Date.now() + skewMs, monotonic: systemClock.monotonic };
    const b = elector('b-skewed-clock', name, skewed);
    const watch = sampleLeaders([a, b]);
    b.start();
    // several lease durations: judged by renewTime against its own clock, b would take the Lease at once (ahead) or never (behind)
    await new Promise(r => setTimeout(r, LEASE_SECONDS * 1000 * 2.5));
    expect(watch.leadersBetween(0, Date.now())).toEqual(new Set(['a-true-clock']));
    // a crashes (keeps the Lease): b takes over once it has seen no renewal for a lease duration, not before
    const crashedAt = Date.now();
    await a.stop(false);
    await until('b to lead', () => b.isLeader(), 20_000);
    const tookOverAfter = Date.now() - crashedAt;
    watch.stop();
    await b.stop();
    expect(watch.overlaps()).toEqual([]);
    expect(tookOverAfter).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000 - RETRY_MS);
    expect(tookOverAfter).toBeLessThan(LEASE_SECONDS * 1000 + 4000);
  });

  it('stops leading at the renew deadline when renewals stop succeeding, without waiting for a failed attempt', async () => {
    const a = elector('a-frozen', 'frozen');
    a.start();
    await until('a to lead', () => a.isLeader());
    // renewals that never return: what a hung API server does to a request with no timeout
    (a as any).tryAcquireOrRenew = () => new Promise(() => {});
    const frozenAt = Date.now();
    await until('a to step down', () => !a.isLeader(), RENEW_DEADLINE_MS + 2000);
    expect(Date.now() - frozenAt).toBeLessThanOrEqual(RENEW_DEADLINE_MS + 100);
    (a as any).running = false;
  });
});
