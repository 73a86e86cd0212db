import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadK8s } from './k8s';
import { ensureBinaries, kwokFaultStagesFile, kwokStagesFile, localClusterCli } from './binaries';
import { createCertificateAuthority, rsaKeyPair } from './pki';
import { kubeconfigYaml } from './kubeconfig';
import { prepareRealNode, PreparedRealNode } from './realNode/node';
import { shInNode } from './realNode/namespace';
import { realNodeUnavailableReason } from './realNode/preflight';
import { buildImages, DEFAULT_REAL_NODE_IMAGES } from './realNode/images';
import { serverSideApply, waitForRealNode } from './realNode/ready';
import type { RealNodeAddresses } from './realNode/config';

export interface LocalCluster {
  /** https://127.0.0.1:<port> */
  server: string;
  kubeconfigPath: string;
  kubeconfig: string;
  caPem: string;
  dataDir: string;
  /** PID of each running component; updated when one is started again */
  pids: Record<string, number>;
  /**
   * Signals one component (SIGKILL by default: a crash) and resolves once it
   * has exited. The rest of the control plane keeps running.
   */
  killComponent(name: ComponentName, signal?: NodeJS.Signals): Promise<void>;
  /** Sends a signal to a running component and returns at once (SIGSTOP, then SIGCONT: a hung process). */
  signalComponent(name: ComponentName, signal: NodeJS.Signals): void;
  /**
   * Starts a component that was killed or stopped again, with the arguments,
   * ports and data it first ran with; resolves with its new PID once it is
   * ready (etcd: /health, kube-apiserver: /readyz). stop() and the watchdog
   * cover the new process.
   */
  startComponent(name: ComponentName): Promise<number>;
  stop(): Promise<void>;
  /** the real node, when one was asked for and could start */
  realNode?: RealNodeAddresses & {
    stateFile: string;
    /** a server on this machine's loopback, reachable from the node's pods at the returned address */
    exposeHostPort(port: number): Promise<{ host: string; port: number }>;
    /** runs a command in the node's mount and network namespaces (e.g. its containerd's `ctr`) and returns its output */
    shInNode(args: string[]): string;
  };
  /** why a real node was asked for and could not start (the cluster runs with KWOK nodes only) */
  realNodeUnavailable?: string;
}

export type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

export interface StartOptions {
  /** fake KWOK nodes to create (default 3) */
  nodes?: number;
  /** where to keep etcd data, certificates, logs; a temp dir by default, removed on stop */
  dataDir?: string;
  log?: (message: string) => void;
  /**
   * Stop the cluster when this process dies, however it dies (default true):
   * a small watchdog process polls this process and, once it is gone, stops
   * exactly the started PIDs and removes a temp data dir. The CLI's
   * `start --detach` turns it off.
   */
  stopWithProcess?: boolean;
  /** Service IP range (default SERVICE_CIDR, 254 ClusterIPs; benchmarks with hundreds of backends need more) */
  serviceCidr?: string;
  /**
   * Add one real node (kubelet, containerd, runc, CNI, kube-proxy, CoreDNS)
   * beside the KWOK nodes. Where it cannot start (not root, no
   * CAP_SYS_ADMIN/CAP_NET_ADMIN, no cgroup memory controller, programs
   * missing) the cluster starts with KWOK only and says why once, unless
   * SWB_REQUIRE_REAL_NODE=1, which makes that an error.
   */
  realNode?: boolean;
  /** image ids of tools/images to import into the real node (default: pause, CoreDNS, the demo shop) */
  realNodeImages?: string[];
  /** more kube-apiserver flags, after the cluster's own (e.g. --admission-control-config-file for webhook client certificates) */
  apiServerArgs?: string[];
}

export const SERVICE_CIDR = '10.0.0.0/24';
export const POD_CIDR = '10.244.0.0/16';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function httpsGet(url: string, tls: { ca: string; cert: string; key: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...tls, agent: false, timeout: 3000 }, res => {
      let body = '';
      res.on('data', c => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, procs: ChildProcess[]) {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const dead = procs.find(p => p.exitCode !== null || p.signalCode !== null);
    if (dead) throw new Error(`${what}: ${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode}) before it was ready`);
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what} not ready after ${timeoutMs / 1000}s${last ? `: ${last}` : ''}`);
    await new Promise(r => setTimeout(r, 200));
  }
}

async function killPid(pid: number, timeoutMs = 10_000) {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise(r => setTimeout(r, 100));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone between the check and the kill
  }
}

/**
 * Stops exactly the given processes (never a broad kill): the API server's
 * clients together, then the API server, then etcd.
 */
export async function stopPids(pids: Record<string, number>) {
  const stages = [['kwok', 'kube-scheduler', 'kube-controller-manager'], ['kube-apiserver'], ['etcd']];
  for (const names of stages) {
    await Promise.all(names.filter(n => pids[n]).map(n => killPid(pids[n])));
  }
}

// The watchdog: when the owner process is gone (or a zombie), SIGTERM the PIDs
// listed in pids.json that still run one of our binaries (guards against PID
// reuse), SIGKILL after 10 s, then remove the data dir if the owner made it.
// It exits on its own once pids.json is gone (the cluster was stopped).
const REAPER = `
const fs = require('fs');
const [owner, binDir, pidsFile, dataDir, teardown] = process.argv.slice(1);
const alive = p => { try { process.kill(+p, 0); } catch { return false; }
  try { return fs.readFileSync('/proc/' + p + '/stat', 'utf8').split(') ')[1][0] !== 'Z'; } catch { return false; } };
const ours = p => { try { return fs.readFileSync('/proc/' + p + '/cmdline', 'utf8').startsWith(binDir + '/'); } catch { return false; } };
const t = setInterval(() => {
  if (!fs.existsSync(pidsFile)) process.exit(0);
  if (alive(owner)) return;
  clearInterval(t);
  const pids = Object.values(JSON.parse(fs.readFileSync(pidsFile, 'utf8'))).filter(ours);
  for (const p of pids) { try { process.kill(p, 'SIGTERM'); } catch {} }
  const end = Date.now() + 10000;
  const w = setInterval(() => {
    const left = pids.filter(p => alive(p) && ours(p));
    if (left.length && Date.now() < end) return;
    for (const p of left) { try { process.kill(p, 'SIGKILL'); } catch {} }
    clearInterval(w);
    if (teardown) { try { require('child_process').execFileSync(process.execPath, JSON.parse(teardown), { stdio: 'ignore', timeout: 60000 }); } catch {} }
    setTimeout(() => { if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true }); process.exit(0); }, 500);
  }, 200);
}, 1000);
`;

/**
 * Starts a real control plane on loopback: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler and KWOK with fake nodes, from the
 * Go-built binaries. Resolves when /readyz answers, the nodes are Ready and
 * the default ServiceAccount exists (pods need it).
 */
export async function startLocalCluster(opts: StartOptions = {}): Promise<LocalCluster> {
  const log = opts.log ?? (() => {});
  const bin = ensureBinaries(log);
  const ownsDataDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'swb-k8s-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const f = (name: string) => path.join(dataDir, name);
  const write = (name: string, content: string) => {
    fs.writeFileSync(f(name), content, { mode: 0o600 });
    return f(name);
  };

  // certificates: one CA, apiserver serving cert, admin client cert, SA keys
  const ca = createCertificateAuthority();
  const admin = ca.issue({ commonName: 'admin', organization: 'system:masters', client: true });
  const serviceCidr = opts.serviceCidr ?? SERVICE_CIDR;
  let realNode: PreparedRealNode | undefined;
  let realNodeUnavailable: string | undefined;
  if (opts.realNode) {
    realNodeUnavailable = realNodeUnavailableReason(bin);
    if (realNodeUnavailable) {
      if (process.env.SWB_REQUIRE_REAL_NODE === '1') throw new Error(`real node required (SWB_REQUIRE_REAL_NODE=1) but unavailable: ${realNodeUnavailable}`);
      log(`no real node: ${realNodeUnavailable}; starting with KWOK nodes only`);
    } else {
      realNode = await prepareRealNode({ dataDir, ca, serviceCidr, kwokPodCidr: POD_CIDR, log });
    }
  }
  const servingIps = ['127.0.0.1', '::1', '10.0.0.1'];
  const serving = ca.issue({
    commonName: 'kube-apiserver',
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ips: [...servingIps, ...(realNode?.apiserverIps ?? [])],
    server: true,
  });
  const sa = rsaKeyPair();
  write('ca.crt', ca.certPem);
  write('ca.key', ca.keyPem);
  write('apiserver.crt', serving.certPem);
  write('apiserver.key', serving.keyPem);
  write('sa.key', sa.keyPem);
  write('sa.pub', sa.publicPem);

  const [etcdPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = kubeconfigYaml(server, ca.certPem, admin.certPem, admin.keyPem, 'admin');
  const kubeconfigPath = write('kubeconfig', kubeconfig);

  const procs: ChildProcess[] = [];
  const pids: Record<string, number> = {};
  const children = new Map<string, ChildProcess>();
  const argsOf = new Map<string, string[]>();
  let reaperPid: number | undefined;
  const run = (name: string, args: string[]) => {
    const out = fs.openSync(f(`${name}.log`), 'a');
    const p = spawn(path.join(bin, name), args, { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    procs.push(p);
    children.set(name, p);
    argsOf.set(name, args);
    pids[name] = p.pid!;
    fs.writeFileSync(f('pids.json'), JSON.stringify(pids));
    // a component that exited (killed, crashed) has no PID to signal later: its number may be reused
    p.once('exit', () => {
      if (pids[name] !== p.pid) return;
      delete pids[name];
      if (fs.existsSync(f('pids.json'))) fs.writeFileSync(f('pids.json'), JSON.stringify(pids));
    });
    log(`started ${name} (pid ${p.pid})`);
    if (opts.stopWithProcess !== false && !reaperPid) {
      const teardown = realNode ? JSON.stringify([localClusterCli, 'teardown-real-node', realNode.stateFile]) : '';
      const reaper = spawn(process.execPath, ['-e', REAPER, String(process.pid), bin, f('pids.json'), ownsDataDir ? dataDir : '', teardown], {
        detached: true,
        stdio: 'ignore',
      });
      reaper.unref();
      reaperPid = reaper.pid;
    }
    return p;
  };
  const stop = async () => {
    if (reaperPid) {
      try {
        process.kill(reaperPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // the real node first: its kubelet and pods go while the API server still answers
    if (realNode) await realNode.stop();
    await stopPids(pids);
    fs.rmSync(f('pids.json'), { force: true });
    if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };

  const exited = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;
  const waitExit = (p: ChildProcess, timeoutMs: number) =>
    new Promise<boolean>(resolve => {
      if (exited(p)) {
        resolve(true);
        return;
      }
      const t = setTimeout(() => resolve(exited(p)), timeoutMs);
      p.once('exit', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
  // how each component is known to be up again after a restart
  const readiness: Record<string, () => Promise<boolean>> = {};
  const tls = { ca: ca.certPem, cert: admin.certPem, key: admin.keyPem };
  readiness.etcd = async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok;
  readiness['kube-apiserver'] = async () => (await httpsGet(`${server}/readyz`, tls)).status === 200;

  const killComponent = async (name: ComponentName, signal: NodeJS.Signals = 'SIGKILL') => {
    const p = children.get(name);
    if (!p) throw new Error(`${name} was never started`);
    if (exited(p)) return;
    p.kill(signal);
    if (!(await waitExit(p, 15_000))) throw new Error(`${name} (pid ${p.pid}) did not exit on ${signal}`);
  };
  const signalComponent = (name: ComponentName, signal: NodeJS.Signals) => {
    const p = children.get(name);
    if (!p || exited(p)) throw new Error(`${name} is not running`);
    p.kill(signal);
  };
  const startComponent = async (name: ComponentName) => {
    const old = children.get(name);
    const args = argsOf.get(name);
    if (!old || !args) throw new Error(`${name} was never started`);
    if (!(await waitExit(old, 5_000))) throw new Error(`${name} still runs (pid ${old.pid}): kill it first`);
    const p = run(name, args);
    const check = readiness[name];
    if (check) await waitFor(`${name} after restart`, check, 90_000, [p]);
    return p.pid!;
  };

  try {
    run('etcd', [
      '--name=local', `--data-dir=${f('etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`, `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=local=http://127.0.0.1:${etcdPeerPort}`,
      '--unsafe-no-fsync', '--log-level=warn',
    ]);
    await waitFor('etcd', readiness.etcd, 30_000, procs);

    run('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1', `--secure-port=${apiPort}`,
      // with a real node, the `kubernetes` Service's endpoint is the host end of its veth (relayed to loopback)
      ...(realNode ? realNode.apiserverArgs : ['--advertise-address=127.0.0.1', '--endpoint-reconciler-type=none']),
      '--authorization-mode=Node,RBAC',
      `--client-ca-file=${f('ca.crt')}`,
      `--tls-cert-file=${f('apiserver.crt')}`, `--tls-private-key-file=${f('apiserver.key')}`,
      `--service-account-key-file=${f('sa.pub')}`, `--service-account-signing-key-file=${f('sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-cluster-ip-range=${serviceCidr}`,
      '--allow-privileged=true',
      `--cert-dir=${f('apiserver-certs')}`,
      '--v=1',
      ...(opts.apiServerArgs ?? []),
    ]);
    await waitFor('kube-apiserver /readyz', readiness['kube-apiserver'], 90_000, procs);

    run('kube-controller-manager', [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`, `--authorization-kubeconfig=${kubeconfigPath}`,
      '--secure-port=0', '--leader-elect=false',
      `--service-account-private-key-file=${f('sa.key')}`, `--root-ca-file=${f('ca.crt')}`,
      `--cluster-signing-cert-file=${f('ca.crt')}`, `--cluster-signing-key-file=${f('ca.key')}`,
      '--use-service-account-credentials=false',
      `--service-cluster-ip-range=${opts.serviceCidr ?? SERVICE_CIDR}`,
      '--controllers=*',
      '--v=1',
    ]);
    run('kube-scheduler', [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`, `--authorization-kubeconfig=${kubeconfigPath}`,
      '--secure-port=0', '--leader-elect=false', '--v=1',
    ]);
    run('kwok', [
      `--kubeconfig=${kubeconfigPath}`,
      // only the fake nodes: a real node beside them has its own kubelet
      '--manage-nodes-with-label-selector=type=kwok',
      `--cidr=${POD_CIDR}`,
      '--node-ip=10.240.0.1',
      `--config=${kwokStagesFile}`,
      `--config=${kwokFaultStagesFile}`,
      // nodes heartbeat through Leases, as kubelet does: robust under CPU load
      '--node-lease-duration-seconds=40',
      '--server-address=127.0.0.1:0',
    ]);

    const k8s = await loadK8s();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const nodes = opts.nodes ?? 3;
    for (let i = 0; i < nodes; i++) {
      await core.createNode({
        body: {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: {
            name: `kwok-node-${i}`,
            annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
            labels: {
              'kubernetes.io/hostname': `kwok-node-${i}`,
              'kubernetes.io/os': 'linux',
              'kubernetes.io/arch': 'amd64',
              'topology.kubernetes.io/zone': `zone-${i % 3}`,
              type: 'kwok',
            },
          },
          status: {
            allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
            capacity: { cpu: '32', memory: '256Gi', pods: '110' },
          },
        },
      });
    }
    await waitFor('KWOK nodes Ready', async () => {
      const list = await core.listNode();
      return list.items.length === nodes && list.items.every(n => n.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True'));
    }, 60_000, procs);
    await waitFor('default ServiceAccount', async () => {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return true;
    }, 60_000, procs);
    let realNodeInfo: LocalCluster['realNode'];
    if (realNode) {
      const t0 = Date.now();
      const holderPid = realNode.ns.holderPid;
      const images = buildImages(opts.realNodeImages ?? DEFAULT_REAL_NODE_IMAGES, log);
      await realNode.start({
        binDir: bin,
        apiPort,
        images: images.map(i => i.archive),
        apply: objects => serverSideApply(kc, objects),
        waitReady: nodeName => waitForRealNode(kc, nodeName, () => procs.find(p => p.exitCode !== null || p.signalCode !== null)?.spawnfile),
      });
      realNodeInfo = { ...realNode.ns.addresses, stateFile: realNode.stateFile, exposeHostPort: realNode.exposeHostPort, shInNode: args => shInNode(holderPid, args) };
      log(`real node ${realNode.ns.addresses.nodeName} Ready with cluster DNS in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    }
    log(`local cluster ready at ${server}`);
    return {
      server, kubeconfigPath, kubeconfig, caPem: ca.certPem, dataDir, pids, killComponent, signalComponent, startComponent, stop,
      realNode: realNodeInfo, realNodeUnavailable,
    };
  } catch (e) {
    const logs = [...children.keys()]
      .map(n => `--- ${n}.log (tail)\n${fs.existsSync(f(`${n}.log`)) ? fs.readFileSync(f(`${n}.log`), 'utf8').split('\n').slice(-15).join('\n') : ''}`)
      .join('\n');
    await stop();
    throw new Error(`${(e as Error).message}\n${logs}`);
  }
}
