import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { KUBELET_SYSCTLS, MAX_SLOTS, REAL_POD_RANGE, RealNodeAddresses, realNodeAddresses } from './config';

/**
 * The real node's own mount and network namespace, held open by a holder
 * process, joined to the machine by one veth pair. Every process of the node
 * (containerd, kubelet, kube-proxy, pods) runs inside it; the machine gets
 * only the host end of the veth and a few routes, all removed on stop.
 */

export interface NodeNamespace {
  holderPid: number;
  /** inode of the holder's mount namespace: how the node's processes are recognised (PID reuse guard) */
  mntNs: string;
  addresses: RealNodeAddresses;
  /** whether this setup created the host end of the veth (only then is it ours to delete) */
  claimed: boolean;
  /** host routes this setup added (deleted on stop; routes it found already present are left alone) */
  hostRoutes: string[][];
  /** cgroup v1 hierarchies and the cgroup parent created in each */
  cgroupRoot: string;
  cgroupDirs: string[];
}

export function sh(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], input: opts.input, timeout: opts.timeoutMs ?? 30_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(err.stderr || err.message).trim()}`);
  }
}

/** Runs a command inside the node's namespaces (nsenter execs it: the PID is the command's). */
export function inNode(holderPid: number, args: string[], ns: ('m' | 'n')[] = ['m', 'n']): string[] {
  return ['/usr/bin/nsenter', `--target=${holderPid}`, ...ns.map(n => (n === 'm' ? '--mount' : '--net')), '--', ...args];
}

/** Runs a command inside the node's namespaces and returns its output. */
export function shInNode(holderPid: number, args: string[], ns: ('m' | 'n')[] = ['m', 'n'], timeoutMs?: number): string {
  const [cmd, ...rest] = inNode(holderPid, args, ns);
  return sh(cmd, rest, { timeoutMs });
}

export function nsInode(pid: number, kind: 'mnt' | 'net'): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
}

async function sleep(ms: number) {
  await new Promise(r => setTimeout(r, ms));
}

function cgroupHierarchies(): string[] {
  // cgroup v1 controllers mounted on this machine (the unified hierarchy holds no controller here)
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(l => / - cgroup cgroup /.test(l))
    .map(l => l.split(' ')[4]);
}

/**
 * Creates the namespaces, the veth pair in the first free slot, the node's
 * private mounts (tmpfs over the kubelet's and containerd's hard-coded paths,
 * the kernel settings the kubelet writes bound to small files) and its
 * cgroup parent.
 */
export async function createNodeNamespace(dataDir: string, serviceCidr: string, kwokPodCidr: string, log: (m: string) => void): Promise<NodeNamespace> {
  const holder = spawn('/usr/bin/unshare', ['--mount', '--net', '--propagation', 'private', '--', '/bin/sleep', 'infinity'], {
    detached: true,
    stdio: 'ignore',
  });
  holder.unref();
  const holderPid = holder.pid!;
  const ownNet = nsInode(process.pid, 'net');
  for (let i = 0; i < 100 && nsInode(holderPid, 'net') === ownNet; i++) await sleep(20);
  const mntNs = nsInode(holderPid, 'mnt');
  if (!mntNs || nsInode(holderPid, 'net') === ownNet) throw new Error('unshare did not create the node namespaces');

  const ns: NodeNamespace = {
    holderPid,
    mntNs,
    addresses: realNodeAddresses(0),
    claimed: false,
    hostRoutes: [],
    cgroupRoot: '',
    cgroupDirs: [],
  };
  try {
    // the first slot whose host-side veth name is free: `ip link add` is the atomic claim
    for (let slot = 0; slot < MAX_SLOTS && !ns.claimed; slot++) {
      const a = realNodeAddresses(slot);
      try {
        sh('ip', ['link', 'add', a.hostIf, 'type', 'veth', 'peer', 'name', a.nodeIf, 'netns', String(holderPid)]);
        ns.addresses = a;
        ns.claimed = true;
      } catch (e) {
        if (!/exists/i.test((e as Error).message)) throw e;
      }
    }
    if (!ns.claimed) throw new Error(`all ${MAX_SLOTS} real node slots are in use (links swbh0..swbh${MAX_SLOTS - 1} exist)`);
    const a = ns.addresses;
    log(`real node slot ${a.slot}: ${a.hostIf} ${a.hostIp} <-> ${a.nodeIp}, pods ${a.podCidr}`);

    sh('ip', ['addr', 'add', `${a.hostIp}/${a.prefix}`, 'dev', a.hostIf]);
    sh('ip', ['link', 'set', a.hostIf, 'up']);
    // the pod network through the veth; everything else of the cluster's ranges goes nowhere
    const routes = [
      ['route', 'add', a.podCidr, 'via', a.nodeIp, 'dev', a.hostIf],
      ['route', 'add', 'unreachable', REAL_POD_RANGE],
      ['route', 'add', 'unreachable', serviceCidr],
      ['route', 'add', 'unreachable', kwokPodCidr],
    ];
    for (const r of routes) {
      try {
        sh('ip', r);
        ns.hostRoutes.push(['route', 'del', ...r.slice(2)]);
      } catch (e) {
        if (!/exists/i.test((e as Error).message)) throw e;
      }
    }

    const n = (args: string[]) => shInNode(holderPid, args, ['n']);
    n(['ip', 'link', 'set', 'lo', 'up']);
    n(['ip', 'addr', 'add', `${a.nodeIp}/${a.prefix}`, 'dev', a.nodeIf]);
    n(['ip', 'link', 'set', a.nodeIf, 'up']);
    // node-local processes reach ClusterIPs: kube-proxy's OUTPUT rules rewrite them after this route
    n(['ip', 'route', 'add', serviceCidr, 'via', a.hostIp, 'dev', a.nodeIf]);
    // forwarding between the pods' bridge and the veth, in this namespace only
    n(['/bin/sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);

    const sysctlDir = path.join(dataDir, 'sysctl');
    fs.mkdirSync(sysctlDir, { recursive: true });
    const binds = Object.entries(KUBELET_SYSCTLS).map(([key, value]) => {
      const file = path.join(sysctlDir, key.replace(/\//g, '.'));
      fs.writeFileSync(file, `${value}\n`);
      return `mount --bind ${file} /proc/sys/${key}`;
    });
    const script = [
      'set -e',
      // the kubelet's and containerd's hard-coded paths: private, empty, gone with the namespace
      'mount -t tmpfs -o mode=755 swb-run /run',
      'mount -t tmpfs -o mode=755 swb-var-lib /var/lib',
      'mount -t tmpfs -o mode=755 swb-var-log /var/log',
      'mkdir -p /run/containerd /run/netns /var/lib/kubelet /var/lib/cni /var/log/pods /var/log/containers',
      ...binds,
    ].join('\n');
    shInNode(holderPid, ['/bin/sh', '-c', script], ['m']);

    ns.cgroupRoot = `/swb-real-node-${a.slot}`;
    for (const h of cgroupHierarchies()) {
      const dir = path.join(h, ns.cgroupRoot);
      fs.mkdirSync(dir, { recursive: true });
      ns.cgroupDirs.push(dir);
      if (path.basename(h) === 'cpuset' || fs.existsSync(path.join(h, 'cpuset.cpus'))) {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) fs.writeFileSync(path.join(dir, f), fs.readFileSync(path.join(h, f), 'utf8'));
      }
    }
    return ns;
  } catch (e) {
    await destroyNodeNamespace(ns, log);
    throw e;
  }
}

function processesIn(mntNs: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    if (nsInode(Number(d), 'mnt') === mntNs) out.push(Number(d));
  }
  return out;
}

function cgroupProcs(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      out.push(...fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
    } catch {
      // gone meanwhile
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  walk(dir);
  return out;
}

function rmCgroupTree(dir: string) {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) rmCgroupTree(path.join(dir, e.name));
  try {
    fs.rmdirSync(dir);
  } catch {
    // still busy: retried by the caller
  }
}

function kill(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Stops everything of the node by PID: the containers (the processes in the
 * node's cgroups), then every process in the node's mount namespace
 * (containerd, shims, kubelet, kube-proxy, the holder). Then the cgroups,
 * the host routes and the veth go. Safe to call twice.
 */
export async function destroyNodeNamespace(ns: NodeNamespace, log: (m: string) => void = () => {}) {
  const end = Date.now() + 20_000;
  // containers: their processes live in the node's cgroups, in namespaces of their own
  for (;;) {
    const procs = ns.cgroupDirs.flatMap(cgroupProcs);
    if (!procs.length || Date.now() > end) break;
    procs.forEach(p => kill(p, 'SIGKILL'));
    await sleep(100);
  }
  // the node's own processes: TERM first so containerd and the kubelet close cleanly
  if (ns.mntNs) {
    const first = processesIn(ns.mntNs).filter(p => p !== ns.holderPid);
    first.forEach(p => kill(p, 'SIGTERM'));
    for (let i = 0; i < 30 && processesIn(ns.mntNs).some(p => p !== ns.holderPid); i++) await sleep(100);
    for (;;) {
      const left = processesIn(ns.mntNs);
      if (!left.length || Date.now() > end) break;
      left.forEach(p => kill(p, 'SIGKILL'));
      await sleep(100);
    }
  }
  for (let i = 0; i < 20; i++) {
    ns.cgroupDirs.forEach(rmCgroupTree);
    if (ns.cgroupDirs.every(d => !fs.existsSync(d))) break;
    await sleep(100);
  }
  for (const r of ns.hostRoutes) {
    try {
      sh('ip', r);
    } catch {
      // already gone with the link
    }
  }
  ns.hostRoutes = [];
  // the veth goes with the network namespace; wait for the kernel, then make sure
  for (let i = 0; ns.claimed && i < 50; i++) {
    try {
      sh('ip', ['link', 'show', ns.addresses.hostIf]);
    } catch {
      break;
    }
    if (i === 49) {
      try {
        sh('ip', ['link', 'del', ns.addresses.hostIf]);
      } catch {
        // gone meanwhile
      }
    }
    await sleep(100);
  }
  const left = ns.cgroupDirs.filter(d => fs.existsSync(d));
  if (left.length) log(`cgroups still busy after stop: ${left.join(', ')}`);
}
