import { createTestNamespace, getSharedTestCluster } from '@internal/local-cluster';
import { K8s, loadK8s } from '../clusters/k8s';
import { Applier } from './apply';
import { NotLeaderError } from './ClusterEngine';
import { LeaderElector } from './LeaderElector';
import { until } from './__testUtils__/leaderSamples';

/*
 * A reconcile that began while this replica led may outlast the lead; its
 * writes go through the engine's gate (Applier's beforeWrite, as
 * ClusterEngine wires it), which asks the elector right before each PATCH.
 */

jest.setTimeout(60_000);

let kc: K8s.KubeConfig;
let k8s: typeof K8s;
let ns: string;

beforeAll(async () => {
  const cluster = await getSharedTestCluster();
  k8s = await loadK8s();
  kc = new k8s.KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  ns = await createTestNamespace('write-gate');
});

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { a: '1' } });
const exists = (name: string) =>
  kc
    .makeApiClient(k8s.CoreV1Api)
    .readNamespacedConfigMap({ namespace: ns, name })
    .then(
      () => true,
      (e: any) => (e?.code === 404 ? false : Promise.reject(e)),
    );

describe('the write gate of a reconcile', () => {
  it('lets writes through while the elector leads and refuses the next write once its renew deadline passed', async () => {
    const elector = new LeaderElector({ kc, namespace: ns, name: 'gate', identity: 'gate-a', leaseDurationSeconds: 3, renewDeadlineMs: 2000, renewIntervalMs: 250 });
    elector.start();
    await until('the elector to lead', () => elector.isLeader());
    const applier = new Applier(
      kc,
      () => {},
      () => {
        if (!elector.isLeader()) throw new NotLeaderError('local', elector.identity);
      },
    );
    expect(await applier.apply(cm('while-leading'), 'read')).toBe(true);
    // renewals stop getting answers (a hung API server for the Lease only)
    (elector as any).tryAcquireOrRenew = () => new Promise(() => {});
    await until('the lead to lapse', () => !elector.isLeader(), 5000);
    await expect(applier.apply(cm('after-the-deadline'), 'read')).rejects.toBeInstanceOf(NotLeaderError);
    expect(await exists('while-leading')).toBe(true);
    expect(await exists('after-the-deadline')).toBe(false);
    (elector as any).running = false;
  });
});
