import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { kubeconfigYaml } from '../kubeconfig';
import type { CertificateAuthority } from '../pki';
import {
  NodePaths,
  REAL_NODE_LABEL,
  REAL_NODE_LABEL_VALUE,
  cniConflist,
  containerdConfig,
  coreDnsManifests,
  kubeProxyConfig,
  kubeletConfig,
  registryHostsToml,
} from './config';
import { NodeNamespace, createNodeNamespace, destroyNodeNamespace, inNode, nsInode, shInNode } from './namespace';

/**
 * One real node beside the KWOK nodes: containerd + runc + CNI from Debian,
 * kubelet and kube-proxy from the same k8s.io/kubernetes build as the
 * control plane, CoreDNS as a real pod. Prepared before kube-apiserver starts
 * (it needs the node's addresses and a kubelet client certificate), started
 * once the control plane answers.
 */

export interface RealNodeState {
  ns: NodeNamespace;
  pids: Record<string, number>;
  dataDir: string;
}

export interface PreparedRealNode {
  ns: NodeNamespace;
  /** extra kube-apiserver flags (advertise address, kubelet client certificate, placement admission) */
  apiserverArgs: string[];
  /** IPs the kube-apiserver serving certificate must name */
  apiserverIps: string[];
  stateFile: string;
  start(opts: StartNodeOptions): Promise<RealNodeState>;
  /**
   * Makes a server on the machine's loopback reachable from the node's pods at
   * the host end of the veth (a relay process, stopped with the node), e.g. the
   * tests' PostgreSQL. Resolves with the address pods connect to.
   */
  exposeHostPort(port: number): Promise<{ host: string; port: number }>;
  stop(): Promise<void>;
}

export interface StartNodeOptions {
  binDir: string;
  /** 127.0.0.1 port of kube-apiserver; the node reaches it on the host end of its veth */
  apiPort: number;
  /** docker-archive tarballs to import into the node's containerd */
  images: string[];
  /** applies manifests with the admin credentials (server-side apply) */
  apply(objects: Record<string, unknown>[]): Promise<void>;
  /** resolves once the node is Ready and the cluster DNS answers readiness */
  waitReady(nodeName: string): Promise<void>;
}

function cacheDir() {
  return process.env.SWB_CACHE ?? path.join(os.homedir(), '.cache', 'skywalking-backstage');
}


// Relays the node's connections to kube-apiserver (host end of the veth) to
// its loopback port, so kube-apiserver itself stays bound to 127.0.0.1.
const RELAY = `
const net = require('net');
const [host, port, target] = process.argv.slice(1);
net.createServer(c => {
  const u = net.connect(+target, '127.0.0.1');
  c.pipe(u); u.pipe(c);
  c.on('error', () => u.destroy()); u.on('error', () => c.destroy());
}).listen(+port, host);
process.on('SIGTERM', () => process.exit(0));
`;

export function writeRealNodeState(file: string, st: RealNodeState) {
  fs.writeFileSync(file, JSON.stringify(st, null, 2));
}

/** Stops a real node from its state file (the CLI's stop and the watchdog use this). */
export async function teardownRealNode(stateFile: string, log: (m: string) => void = () => {}) {
  if (!fs.existsSync(stateFile)) return;
  const st: RealNodeState = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  for (const [name, pid] of Object.entries(st.pids)) {
    if (!name.startsWith('relay')) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('createServer')) process.kill(pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
  // a holder whose mount namespace changed is not ours any more (PID reused): leave it
  if (nsInode(st.ns.holderPid, 'mnt') !== st.ns.mntNs) st.ns.holderPid = -1;
  await destroyNodeNamespace(st.ns, log);
  fs.rmSync(stateFile, { force: true });
}

export async function prepareRealNode(opts: {
  dataDir: string;
  ca: CertificateAuthority;
  serviceCidr: string;
  kwokPodCidr: string;
  log: (m: string) => void;
}): Promise<PreparedRealNode> {
  const { ca, log } = opts;
  const dir = path.join(opts.dataDir, 'real-node');
  fs.mkdirSync(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  const stateFile = f('state.json');
  const ns = await createNodeNamespace(dir, opts.serviceCidr, opts.kwokPodCidr, log);
  const a = ns.addresses;
  const state: RealNodeState = { ns, pids: {}, dataDir: dir };
  writeRealNodeState(stateFile, state);

  const apiClient = ca.issue({ commonName: 'kube-apiserver-kubelet-client', organization: 'system:masters', client: true });
  fs.writeFileSync(f('apiserver-kubelet-client.crt'), apiClient.certPem);
  fs.writeFileSync(f('apiserver-kubelet-client.key'), apiClient.keyPem, { mode: 0o600 });

  const stop = () => teardownRealNode(stateFile, log);

  const exposeHostPort = async (port: number) => {
    const name = `relay-${port}`;
    if (!state.pids[name]) {
      const relay = spawn(process.execPath, ['-e', RELAY, a.hostIp, String(port), String(port)], { detached: true, stdio: 'ignore' });
      relay.unref();
      state.pids[name] = relay.pid!;
      writeRealNodeState(stateFile, state);
      // listening once a connection to it is accepted
      for (let i = 0; i < 100; i++) {
        const ok = await new Promise<boolean>(resolve => {
          const c = net.connect(port, a.hostIp, () => {
            c.destroy();
            resolve(true);
          });
          c.on('error', () => resolve(false));
        });
        if (ok) break;
        await new Promise(r => setTimeout(r, 50));
      }
    }
    return { host: a.hostIp, port };
  };

  const start = async (s: StartNodeOptions): Promise<RealNodeState> => {
    const server = `https://${a.hostIp}:${s.apiPort}`;
    await exposeHostPort(s.apiPort);

    const root = path.join(cacheDir(), 'real-node', `slot-${a.slot}`, 'containerd');
    fs.mkdirSync(root, { recursive: true });
    const paths: NodePaths = {
      containerdSocket: '/run/containerd/containerd.sock',
      containerdConfig: f('containerd.toml'),
      containerdRoot: root,
      cniConfDir: f('cni'),
      kubeletConfig: f('kubelet.yaml'),
      kubeletKubeconfig: f('kubelet.kubeconfig'),
      kubeProxyConfig: f('kube-proxy.yaml'),
      kubeProxyKubeconfig: f('kube-proxy.kubeconfig'),
      caFile: f('ca.crt'),
      kubeletCert: f('kubelet.crt'),
      kubeletKey: f('kubelet.key'),
      registryHostsDir: f('registry-hosts'),
    };
    fs.writeFileSync(paths.caFile, ca.certPem);
    const kubeletClient = ca.issue({ commonName: `system:node:${a.nodeName}`, organization: 'system:nodes', client: true });
    const kubeletServing = ca.issue({ commonName: a.nodeName, dnsNames: [a.nodeName], ips: [a.nodeIp], server: true });
    const proxyClient = ca.issue({ commonName: 'system:kube-proxy', client: true });
    fs.writeFileSync(paths.kubeletCert, kubeletServing.certPem);
    fs.writeFileSync(paths.kubeletKey, kubeletServing.keyPem, { mode: 0o600 });
    fs.writeFileSync(paths.kubeletKubeconfig, kubeconfigYaml(server, ca.certPem, kubeletClient.certPem, kubeletClient.keyPem, a.nodeName), { mode: 0o600 });
    fs.writeFileSync(paths.kubeProxyKubeconfig, kubeconfigYaml(server, ca.certPem, proxyClient.certPem, proxyClient.keyPem, 'kube-proxy'), { mode: 0o600 });
    fs.mkdirSync(paths.cniConfDir, { recursive: true });
    fs.writeFileSync(path.join(paths.cniConfDir, '10-swb.conflist'), cniConflist(a));
    fs.mkdirSync(path.join(paths.registryHostsDir, '_default'), { recursive: true });
    fs.writeFileSync(path.join(paths.registryHostsDir, '_default', 'hosts.toml'), registryHostsToml());
    fs.writeFileSync(paths.containerdConfig, containerdConfig(paths));
    fs.writeFileSync(
      paths.kubeletConfig,
      kubeletConfig({ addresses: a, paths, serviceCidr: opts.serviceCidr, cgroupRoot: ns.cgroupRoot, podLogsDir: '/var/log/pods' }),
    );
    fs.writeFileSync(paths.kubeProxyConfig, kubeProxyConfig(a, paths.kubeProxyKubeconfig));

    const procs: ChildProcess[] = [];
    const run = (name: string, args: string[]) => {
      const out = fs.openSync(f(`${name}.log`), 'a');
      const cmd = inNode(ns.holderPid, args);
      const p = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', out, out], detached: true });
      fs.closeSync(out);
      p.unref();
      procs.push(p);
      state.pids[name] = p.pid!;
      writeRealNodeState(stateFile, state);
      log(`started ${name} on the real node (pid ${p.pid})`);
      return p;
    };
    const ctr = (args: string[], timeoutMs?: number) => shInNode(ns.holderPid, ['/usr/bin/ctr', '--address', paths.containerdSocket, '--namespace', 'k8s.io', ...args], ['m', 'n'], timeoutMs);
    const until = async (what: string, check: () => boolean | Promise<boolean>, ms: number) => {
      const end = Date.now() + ms;
      let last: unknown;
      for (;;) {
        const dead = procs.find(p => p.exitCode !== null);
        if (dead) throw new Error(`${what}: ${path.basename(String(dead.spawnargs[dead.spawnargs.indexOf('--') + 1]))} exited (${dead.exitCode}); see ${dir}`);
        try {
          if (await check()) return;
        } catch (e) {
          last = e;
        }
        if (Date.now() > end) throw new Error(`${what} not ready after ${ms / 1000}s${last ? `: ${(last as Error).message}` : ''}`);
        await new Promise(r => setTimeout(r, 200));
      }
    };

    run('containerd', ['/usr/bin/containerd', '--config', paths.containerdConfig, '--log-level', 'warn']);
    await until('containerd', () => {
      ctr(['version']);
      return true;
    }, 30_000);

    // leftovers of an earlier run in the persistent root: the kubelet starts from a clean runtime
    const stale = ctr(['containers', 'list', '--quiet']).split('\n').filter(Boolean);
    if (stale.length) ctr(['containers', 'delete', ...stale]);

    // images, imported once per content (the import marker names the archive's hash)
    const marker = path.join(root, 'imported.json');
    const imported: Record<string, string> = fs.existsSync(marker) ? JSON.parse(fs.readFileSync(marker, 'utf8')) : {};
    const present = new Set(ctr(['images', 'list', '--quiet']).split('\n').filter(Boolean));
    for (const tar of s.images) {
      const st = fs.statSync(tar);
      const key = `${st.size}-${st.mtimeMs}`;
      const names = imported[tar]?.split(' ').slice(1) ?? [];
      if (imported[tar]?.startsWith(`${key} `) && names.length && names.every(n => present.has(n))) continue;
      const t0 = Date.now();
      // an OAP archive is 400 MB: on a loaded 2-core machine its import takes well over the default 30 s
      const out = ctr(['images', 'import', '--no-unpack=false', tar], 300_000);
      const got = [...out.matchAll(/unpacking (\S+) \(/g)].map(m => m[1]);
      // names not read from ctr's output: none recorded, so the next start imports again
      imported[tar] = [key, ...got].join(' ');
      log(`imported ${path.basename(tar)} (${got.join(', ') || 'no name'}) in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    }
    fs.writeFileSync(marker, JSON.stringify(imported, null, 2));

    run('kubelet', [
      path.join(s.binDir, 'kubelet'),
      `--config=${paths.kubeletConfig}`,
      `--kubeconfig=${paths.kubeletKubeconfig}`,
      `--hostname-override=${a.nodeName}`,
      `--node-ip=${a.nodeIp}`,
      `--node-labels=${REAL_NODE_LABEL}=${REAL_NODE_LABEL_VALUE},type=real`,
      '--root-dir=/var/lib/kubelet',
      `--cert-dir=${f('kubelet-pki')}`,
      '--v=1',
    ]);
    run('kube-proxy', [path.join(s.binDir, 'kube-proxy'), `--config=${paths.kubeProxyConfig}`, '--v=1']);

    await s.apply(coreDnsManifests(opts.serviceCidr));
    await s.waitReady(a.nodeName);
    return state;
  };

  return {
    ns,
    apiserverArgs: [
      `--advertise-address=${a.hostIp}`,
      // the kubelet's name is not in any resolver: never look it up
      '--kubelet-preferred-address-types=InternalIP',
      `--kubelet-client-certificate=${f('apiserver-kubelet-client.crt')}`,
      `--kubelet-client-key=${f('apiserver-kubelet-client.key')}`,
      // namespaces opt into the real node by annotation (realNodeNamespaceAnnotations)
      '--enable-admission-plugins=PodNodeSelector,PodTolerationRestriction',
    ],
    apiserverIps: [a.hostIp],
    stateFile,
    start,
    exposeHostPort,
    stop,
  };
}
