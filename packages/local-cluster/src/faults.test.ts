import fs from 'node:fs';
import path from 'node:path';
import { LocalCluster, startLocalCluster } from './cluster';
import { loadK8s } from './k8s';
import { eventually } from './testing';

jest.setTimeout(120_000);

// Killing the API server must not disturb the cluster other test files share
// (nor may a run's shared cluster lack the fault stages): this file starts its
// own (one node) and stops it.
let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startLocalCluster({ nodes: 1 });
});

afterAll(async () => {
  await cluster?.stop();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('faults on the local control plane', () => {
  it('brings a SIGKILLed kube-apiserver back on the same address with the data etcd kept, under a new tracked PID', async () => {
    const k8s = await loadK8s();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'kept' }, data: { a: '1' } } });

    const oldPid = cluster.pids['kube-apiserver'];
    await cluster.killComponent('kube-apiserver');
    expect(alive(oldPid)).toBe(false);
    // an exited component is no longer tracked: its PID may be reused
    expect(cluster.pids['kube-apiserver']).toBeUndefined();
    expect(JSON.parse(fs.readFileSync(path.join(cluster.dataDir, 'pids.json'), 'utf8'))['kube-apiserver']).toBeUndefined();
    await expect(core.readNamespacedConfigMap({ name: 'kept', namespace: 'default' })).rejects.toThrow(/ECONNREFUSED/);

    const newPid = await cluster.startComponent('kube-apiserver');
    expect(newPid).not.toBe(oldPid);
    expect(cluster.pids['kube-apiserver']).toBe(newPid);
    expect(JSON.parse(fs.readFileSync(path.join(cluster.dataDir, 'pids.json'), 'utf8'))['kube-apiserver']).toBe(newPid);
    expect((await core.readNamespacedConfigMap({ name: 'kept', namespace: 'default' })).data).toEqual({ a: '1' });
    // the other components reconnect on their own: the node stays Ready and pods are still scheduled and run
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'after-restart' }, spec: { containers: [{ name: 'app', image: 'x' }] } } });
    const pod = await eventually('pod Running after the restart', async () => {
      const p = await core.readNamespacedPod({ name: 'after-restart', namespace: 'default' });
      return p.status?.phase === 'Running' ? p : undefined;
    }, 60_000);
    expect(pod.spec?.nodeName).toBe('kwok-node-0');
  });

  it('fails the readiness of a pod labelled skywalking-backstage.io/fail-readiness=true and restores it when the label goes (KWOK fault stages)', async () => {
    const k8s = await loadK8s();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const ready = async (name: string) => {
      const p = await core.readNamespacedPod({ name, namespace: 'default' });
      return { phase: p.status?.phase, ready: p.status?.conditions?.find(c => c.type === 'Ready')?.status, ip: p.status?.podIP, containerReady: p.status?.containerStatuses?.[0]?.ready };
    };
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'flaky' }, spec: { containers: [{ name: 'app', image: 'x' }] } } });
    await eventually('pod Ready', async () => (await ready('flaky')).ready === 'True');
    const label = (value: string | null) =>
      core.patchNamespacedPod(
        { name: 'flaky', namespace: 'default', body: { metadata: { labels: { 'skywalking-backstage.io/fail-readiness': value } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    await label('true');
    const failed = await eventually('pod not Ready', async () => {
      const s = await ready('flaky');
      return s.ready === 'False' ? s : undefined;
    });
    expect(failed).toMatchObject({ phase: 'Running', containerReady: false, ip: expect.stringMatching(/^10\.244\./) });
    await label(null);
    const recovered = await eventually('pod Ready again', async () => {
      const s = await ready('flaky');
      return s.ready === 'True' ? s : undefined;
    });
    expect(recovered).toMatchObject({ phase: 'Running', containerReady: true, ip: failed.ip });
  });

  it('refuses to start a component that still runs', async () => {
    await expect(cluster.startComponent('kube-scheduler')).rejects.toThrow(/kube-scheduler still runs \(pid \d+\): kill it first/);
  });

  it('stops the restarted processes with the cluster', async () => {
    const pids = { ...cluster.pids };
    expect(Object.keys(pids).sort()).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok']);
    await cluster.stop();
    for (const pid of Object.values(pids)) expect(alive(pid)).toBe(false);
  });
});
