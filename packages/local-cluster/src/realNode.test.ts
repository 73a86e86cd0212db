/*
 * Self-tests of the real node: real containers (containerd, runc, CNI) under
 * a real kubelet, Services through a real kube-proxy, names through a real
 * CoreDNS, the API from pods with their own token, and a machine that is the
 * same after stop as before. One cluster for the file; the last test stops it.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import YAML from 'yaml';
import type { KubeConfig } from '@kubernetes/client-node';
import { LocalCluster, startLocalCluster } from './cluster';
import { loadK8s } from './k8s';
import { REAL_NODE_LABEL, realNodeNamespaceAnnotations } from './realNode/config';
import { diffHostState, hostState, HostState } from './realNode/hostState';
import { nsInode } from './realNode/namespace';
import { apiServerRequest, describeOnRealNode, eventually } from './testing';


jest.setTimeout(300_000);

// eslint-disable-next-line no-restricted-syntax
const shopManifest = path.resolve(__dirname, '../../../examples/kubernetes/shop.yaml');
const TOOLBOX = 'skywalking-backstage/toolbox:0.1.0';

describeOnRealNode('the real node', () => {
  let cluster: LocalCluster;
  let before: HostState;
  let kc: KubeConfig;
  let k8s: Awaited<ReturnType<typeof loadK8s>>;
  const ns = `real-${Date.now().toString(36)}`;
  const kwokNs = `${ns}-kwok`;
  const core = () => kc.makeApiClient(k8s.CoreV1Api);
  const apps = () => kc.makeApiClient(k8s.AppsV1Api);

  beforeAll(async () => {
    before = hostState();
    cluster = await startLocalCluster({
      realNode: true,
      nodes: 2,
      realNodeImages: ['pause', 'coredns', 'demo-shop', 'toolbox'],
      log: m => process.stderr.write(`[real-node test] ${m}\n`),
    });
    if (!cluster.realNode) throw new Error(`the real node did not start: ${cluster.realNodeUnavailable}`);
    k8s = await loadK8s();
    kc = new k8s.KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    await core().createNamespace({ body: { metadata: { name: ns, annotations: realNodeNamespaceAnnotations } } });
    await core().createNamespace({ body: { metadata: { name: kwokNs } } });
    // the demo shop exactly as shipped, in this test's namespace
    const docs = YAML.parseAllDocuments(fs.readFileSync(shopManifest, 'utf8')).map(d => d.toJSON()).filter(d => d && d.kind !== 'Namespace');
    const api = k8s.KubernetesObjectApi.makeApiClient(kc);
    for (const d of docs) await api.create({ ...d, metadata: { ...d.metadata, namespace: ns } });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const shopPods = async () => (await core().listNamespacedPod({ namespace: ns })).items.filter(p => !p.metadata?.deletionTimestamp && p.metadata?.labels?.app);
  const isReady = (p: any) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');

  /** Runs the toolbox in a pod on the real node; resolves with its RESULT lines once it has finished. */
  async function toolbox(name: string, steps: string[], serviceAccountName?: string) {
    await core().createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName,
          containers: [{ name: 'toolbox', image: TOOLBOX, imagePullPolicy: 'Never', args: steps, resources: { limits: { memory: '192Mi' } } }],
        },
      },
    });
    await eventually(`toolbox pod ${name} finished`, async () => {
      const p = await core().readNamespacedPod({ name, namespace: ns });
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
    }, 90_000, 500);
    // logs through the API: kube-apiserver -> the kubelet on the node's address
    const log = await core().readNamespacedPodLog({ name, namespace: ns });
    return String(log)
      .split('\n')
      .filter(l => l.startsWith('RESULT '))
      .map(l => JSON.parse(l.slice('RESULT '.length)) as { step: string; arg: string; ok: boolean; status: number; detail: string });
  }

  it('joins the cluster as a real node next to the KWOK nodes, which KWOK leaves alone', async () => {
    const nodes = (await core().listNode()).items;
    const real = nodes.find(n => n.metadata!.name === cluster.realNode!.nodeName)!;
    expect(real).toBeDefined();
    expect(real.metadata!.labels![REAL_NODE_LABEL]).toBe('real');
    expect(real.status!.nodeInfo!.containerRuntimeVersion).toMatch(/^containerd:\/\/1\./);
    expect(real.status!.nodeInfo!.kubeletVersion).toBe('v1.36.3');
    expect(real.status!.addresses).toEqual(expect.arrayContaining([{ type: 'InternalIP', address: cluster.realNode!.nodeIp }]));
    expect(real.spec!.taints).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'skywalking-backstage.io/real-node', effect: 'NoSchedule' })]));
    expect(nodes.filter(n => n.metadata!.labels!.type === 'kwok').map(n => n.metadata!.name).sort()).toEqual(['kwok-node-0', 'kwok-node-1']);
  });

  it('runs the demo shop for real: every pod Running and Ready by its own probes, on the real node', async () => {
    const pods = await eventually('shop pods Ready', async () => {
      const list = await shopPods();
      return list.length === 5 && list.every(isReady) && list;
    }, 180_000, 1000);
    for (const p of pods) {
      expect(p.spec!.nodeName).toBe(cluster.realNode!.nodeName);
      expect(p.status!.podIP).toMatch(/^10\.251\./);
      expect(p.status!.containerStatuses![0].containerID).toMatch(/^containerd:\/\//);
    }
  });

  it('places a namespace without the annotation on the KWOK nodes (the scale tests keep landing there)', async () => {
    await apps().createNamespacedDeployment({
      namespace: kwokNs,
      body: {
        metadata: { name: 'fake' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'fake' } },
          template: { metadata: { labels: { app: 'fake' } }, spec: { containers: [{ name: 'c', image: 'not-built-anywhere:1' }] } },
        },
      },
    });
    const pods = await eventually('fake pods Ready', async () => {
      const list = (await core().listNamespacedPod({ namespace: kwokNs })).items;
      return list.length === 3 && list.every(isReady) && list;
    }, 60_000);
    for (const p of pods) expect(p.spec!.nodeName).toMatch(/^kwok-node-/);
  });

  it('reaches pods by IP and Services by ClusterIP and by DNS name, and resolves nothing outside the cluster', async () => {
    const orders = (await shopPods()).find(p => p.metadata!.labels!.app === 'orders')!;
    const svc = await core().readNamespacedService({ name: 'shop-payments', namespace: ns });
    const results = await toolbox('net', [
      'get', `http://${orders.status!.podIP}:8080/healthz`,
      'get', `http://${svc.spec!.clusterIP}/healthz`,
      'get', 'http://shop-frontend/checkout',
      'get', `http://shop-orders.${ns}/healthz`,
      'get', `http://shop-payments.${ns}.svc.cluster.local/healthz`,
      'resolve', 'kubernetes.default',
      'resolve', 'example.com',
    ]);
    expect(results.map(r => [r.arg, r.ok])).toEqual([
      [`http://${orders.status!.podIP}:8080/healthz`, true],
      [`http://${svc.spec!.clusterIP}/healthz`, true],
      ['http://shop-frontend/checkout', true],
      [`http://shop-orders.${ns}/healthz`, true],
      [`http://shop-payments.${ns}.svc.cluster.local/healthz`, true],
      ['kubernetes.default', true],
      ['example.com', false],
    ]);
    // the checkout went frontend -> orders -> payments
    expect(results[2].detail).toMatch(/payment/i);
    expect(results[5].detail).toBe('10.0.0.1');
  });

  it('reaches a server on the machine\'s loopback that the setup exposes to the node, and no other', async () => {
    const srv = http.createServer((_req, res) => res.end('from the host'));
    await new Promise<void>(r => srv.listen(0, '127.0.0.1', () => r()));
    const hidden = http.createServer((_req, res) => res.end('never'));
    await new Promise<void>(r => hidden.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (srv.address() as AddressInfo).port;
      const exposed = await cluster.realNode!.exposeHostPort(port);
      expect(exposed).toEqual({ host: cluster.realNode!.hostIp, port });
      const results = await toolbox('host', [
        'get', `http://${exposed.host}:${port}/`,
        'get', `http://${exposed.host}:${(hidden.address() as AddressInfo).port}/`,
      ]);
      expect(results.map(r => [r.ok, r.detail.slice(0, 13)])).toEqual([[true, 'from the host'], [false, expect.any(String)]]);
    } finally {
      srv.close();
      hidden.close();
    }
  });

  it('lets a pod call the API with its service-account token, RBAC enforced', async () => {
    await core().createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'lister' } } });
    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'lister-reads-pods' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'lister', namespace: ns }],
      },
    });
    const results = await toolbox('api', [
      'k8s-get', `/api/v1/namespaces/${ns}/pods`,
      'k8s-get-by-name', `/api/v1/namespaces/${ns}/pods`,
      'k8s-get', '/api/v1/namespaces/kube-system/secrets',
    ], 'lister');
    expect(results.map(r => r.status)).toEqual([200, 200, 403]);
    // the toolbox prints a list as its kind and item names
    expect(results[0].detail).toMatch(/^PodList .*shop-frontend-/);
    expect(results[1].detail).toMatch(/^PodList .*shop-payments-0/);
  });

  it('reads container logs through the API', async () => {
    const frontend = (await shopPods()).find(p => p.metadata!.labels!.app === 'frontend')!;
    const log = await eventually('a request in the log', async () => {
      const l = String(await core().readNamespacedPodLog({ name: frontend.metadata!.name!, namespace: ns, container: 'web' }));
      return /path=\/(healthz|ready|checkout)/.test(l) && l;
    }, 30_000);
    expect(log).toMatch(/event=request/);
  });

  it('turns a pod NotReady with an Unhealthy Event when its readiness breaks, and Ready again when fixed', async () => {
    const pod = (await shopPods()).find(p => p.metadata!.labels!.app === 'payments')!;
    const name = pod.metadata!.name!;
    const admin = async (state: string) => {
      const r = await apiServerRequest(kc, 'POST', `/api/v1/namespaces/${ns}/pods/${name}:8080/proxy/admin/ready?state=${state}`);
      expect(r.status).toBe(200);
    };
    await admin('fail');
    await eventually('payments NotReady', async () => !isReady(await core().readNamespacedPod({ name, namespace: ns })), 30_000);
    const events = await eventually('an Unhealthy event', async () => {
      const list = (await core().listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` })).items;
      return list.find(e => e.reason === 'Unhealthy' && /Readiness probe failed/.test(e.message ?? '')) && list;
    }, 30_000);
    expect(events.length).toBeGreaterThan(0);
    await admin('ok');
    await eventually('payments Ready again', async () => isReady(await core().readNamespacedPod({ name, namespace: ns })), 30_000);
  });

  it('restarts a container whose process is killed', async () => {
    const pod = (await shopPods()).find(p => p.metadata!.labels!.app === 'orders')!;
    const name = pod.metadata!.name!;
    const restarts = pod.status!.containerStatuses![0].restartCount;
    const id = pod.status!.containerStatuses![0].containerID!.replace('containerd://', '');
    // the container's processes, found by its cgroup under the node's cgroup parent
    const root = `/sys/fs/cgroup/pids/swb-real-node-${cluster.realNode!.slot}`;
    const find = (dir: string): string | undefined => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        const p = path.join(dir, e.name);
        if (e.name.includes(id)) return p;
        const r = find(p);
        if (r) return r;
      }
      return undefined;
    };
    const cg = find(root);
    expect(cg).toBeDefined();
    const pids = fs.readFileSync(path.join(cg!, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    expect(pids.length).toBeGreaterThan(0);
    for (const p of pids) process.kill(p, 'SIGKILL');
    await eventually('orders restarted and Ready', async () => {
      const p = await core().readNamespacedPod({ name, namespace: ns });
      return p.status!.containerStatuses![0].restartCount > restarts && isReady(p);
    }, 90_000, 500);
  });

  it('stops everything it started, by PID, and leaves the machine as it was', async () => {
    const state = JSON.parse(fs.readFileSync(cluster.realNode!.stateFile, 'utf8'));
    const mntNs: string = state.ns.mntNs;
    const started = [...Object.values<number>(cluster.pids), ...Object.values<number>(state.pids), state.ns.holderPid];
    await cluster.stop();
    const alive = started.filter(p => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
    const inNs = fs.readdirSync('/proc').filter(d => /^\d+$/.test(d) && nsInode(Number(d), 'mnt') === mntNs);
    expect(inNs).toEqual([]);
    expect(fs.existsSync(`/sys/fs/cgroup/memory/swb-real-node-${cluster.realNode!.slot}`)).toBe(false);
    expect(diffHostState(before, hostState(), { ownSlot: cluster.realNode!.slot })).toEqual([]);
  });
});
