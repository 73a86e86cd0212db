/*
 * Where the real node cannot start, the cluster starts with KWOK nodes only
 * and says why; SWB_REQUIRE_REAL_NODE=1 (CI) makes that an error. Shown with
 * a binary directory that lacks the node's binaries (kubelet, kube-proxy,
 * CoreDNS): the same preflight that finds a missing capability or cgroup.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBinaries } from './binaries';
import { startLocalCluster } from './cluster';
import { loadK8s } from './k8s';

jest.setTimeout(180_000);

describe('a cluster asked for a real node where none can start', () => {
  const full = ensureBinaries();
  const partial = fs.mkdtempSync(path.join(os.tmpdir(), 'swb-no-node-bin-'));
  const env = { bin: process.env.SWB_K8S_BIN_DIR, require: process.env.SWB_REQUIRE_REAL_NODE };

  beforeAll(() => {
    for (const b of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok']) fs.symlinkSync(path.join(full, b), path.join(partial, b));
    process.env.SWB_K8S_BIN_DIR = partial;
  });
  afterAll(() => {
    process.env.SWB_K8S_BIN_DIR = env.bin;
    process.env.SWB_REQUIRE_REAL_NODE = env.require;
    if (env.bin === undefined) delete process.env.SWB_K8S_BIN_DIR;
    if (env.require === undefined) delete process.env.SWB_REQUIRE_REAL_NODE;
    fs.rmSync(partial, { recursive: true, force: true });
  });

  it('starts with the KWOK nodes only and says once exactly why', async () => {
    delete process.env.SWB_REQUIRE_REAL_NODE;
    const logs: string[] = [];
    const c = await startLocalCluster({ realNode: true, nodes: 1, log: m => logs.push(m) });
    try {
      expect(c.realNode).toBeUndefined();
      expect(c.realNodeUnavailable).toMatch(/needs kubelet, kube-proxy, coredns in .*swb-no-node-bin-/);
      expect(logs.filter(l => l.startsWith('no real node:'))).toEqual([`no real node: ${c.realNodeUnavailable}; starting with KWOK nodes only`]);
      const k8s = await loadK8s();
      const kc = new k8s.KubeConfig();
      kc.loadFromString(c.kubeconfig);
      const nodes = (await kc.makeApiClient(k8s.CoreV1Api).listNode()).items.map(n => n.metadata!.name);
      expect(nodes).toEqual(['kwok-node-0']);
    } finally {
      await c.stop();
    }
  });

  it('refuses to start without the real node when SWB_REQUIRE_REAL_NODE=1 (as under CI)', async () => {
    process.env.SWB_REQUIRE_REAL_NODE = '1';
    await expect(startLocalCluster({ realNode: true, nodes: 1 })).rejects.toThrow(/real node required \(SWB_REQUIRE_REAL_NODE=1\) but unavailable: the real node needs kubelet/);
  });
});
