import fs from 'node:fs';
import path from 'node:path';

/** Debian programs the real node runs (containerd, runc, CNI plugins, iproute2, util-linux, iptables). */
export const NODE_PROGRAMS = [
  '/usr/bin/containerd',
  '/usr/bin/containerd-shim-runc-v2',
  '/usr/bin/ctr',
  '/usr/sbin/runc',
  '/usr/lib/cni/bridge',
  '/usr/lib/cni/host-local',
  '/usr/lib/cni/loopback',
  '/usr/sbin/ip',
  '/usr/bin/unshare',
  '/usr/bin/nsenter',
  '/usr/sbin/iptables',
];

/** The Debian packages that hold NODE_PROGRAMS (scripts/install.sh installs them). */
export const NODE_PACKAGES = ['containerd', 'runc', 'containernetworking-plugins', 'iproute2', 'util-linux', 'iptables', 'conntrack'];

const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

function hasCap(capEff: bigint, cap: number) {
  return (capEff & (1n << BigInt(cap))) !== 0n;
}

/**
 * Why a real node cannot start on this machine, or undefined when it can:
 * root with CAP_SYS_ADMIN and CAP_NET_ADMIN (namespaces, mounts, veth), the
 * cgroup v1 memory controller (pod memory limits), the Debian programs, and
 * the Go-built kubelet, kube-proxy and CoreDNS.
 */
export function realNodeUnavailableReason(binDir: string, procStatus = '/proc/self/status', cgroupRoot = '/sys/fs/cgroup'): string | undefined {
  if (process.platform !== 'linux') return `the real node needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'the real node needs root (it creates network and mount namespaces and runs containerd)';
  const status = fs.readFileSync(procStatus, 'utf8');
  const m = /^CapEff:\s*([0-9a-f]+)/m.exec(status);
  const capEff = m ? BigInt(`0x${m[1]}`) : 0n;
  const missingCaps = [
    [CAP_SYS_ADMIN, 'CAP_SYS_ADMIN'],
    [CAP_NET_ADMIN, 'CAP_NET_ADMIN'],
  ].filter(([c]) => !hasCap(capEff, c as number)).map(([, n]) => n);
  if (missingCaps.length) return `the real node needs ${missingCaps.join(' and ')} (missing from this process's effective capabilities)`;
  if (!fs.existsSync(path.join(cgroupRoot, 'memory', 'memory.limit_in_bytes'))) {
    return `the real node needs the cgroup v1 memory controller (no ${cgroupRoot}/memory/memory.limit_in_bytes)`;
  }
  const missing = NODE_PROGRAMS.filter(p => !fs.existsSync(p));
  if (missing.length) return `the real node needs ${missing.join(', ')} (Debian packages ${NODE_PACKAGES.join(' ')}; scripts/install.sh --system-packages installs them)`;
  const built = ['kubelet', 'kube-proxy', 'coredns'].filter(b => !fs.existsSync(path.join(binDir, b)));
  if (built.length) return `the real node needs ${built.join(', ')} in ${binDir} (tools/local-cluster/build.sh builds them)`;
  return undefined;
}
