import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * What the real node must never change on the machine: its mounts, links,
 * routes, kernel settings and firewall rules, as seen from the machine's own
 * namespaces. Snapshots taken before start and after stop must be equal.
 */
export interface HostState {
  mounts: string[];
  links: string[];
  routes: string[];
  sysctls: Record<string, string>;
  firewall: string[];
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return `(${cmd} ${args.join(' ')} unavailable)`;
  }
}

function mounts(): string[] {
  // mount point, filesystem type, source and options; mount IDs are left out
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(line => {
      const [pre, post] = line.split(' - ');
      const f = pre.split(' ');
      return `${f[4]} ${post}`;
    })
    .sort();
}

function links(): string[] {
  // names and flags; counters and the qdisc queue are left out
  return run('ip', ['-o', 'link', 'show'])
    .split('\n')
    .filter(Boolean)
    .map(l => l.replace(/^\d+:\s*/, '').replace(/\s+link\/\S+.*$/, ''))
    .sort();
}

function routes(): string[] {
  return [
    ...run('ip', ['-4', 'route', 'show', 'table', 'all']).split('\n'),
    ...run('ip', ['-6', 'route', 'show', 'table', 'all']).split('\n'),
    ...run('ip', ['-4', 'rule', 'show']).split('\n'),
  ]
    .filter(Boolean)
    .sort();
}

function firewall(): string[] {
  const strip = (s: string) =>
    s
      .split('\n')
      .filter(l => l && !l.startsWith('#'))
      .map(l => l.replace(/\[\d+:\d+\]/g, '[]'));
  return [
    ...strip(run('iptables-save', [])),
    ...strip(run('ip6tables-save', [])),
    ...strip(run('nft', ['list', 'ruleset'])),
  ];
}

function readSysctls(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        try {
          out[p.slice('/proc/sys/'.length)] = fs.readFileSync(p, 'utf8').trim();
        } catch {
          // write-only or not readable here
        }
      }
    }
  };
  walk('/proc/sys');
  return out;
}

/** Counters and random values that change on their own: never compared. */
const VOLATILE = /^(kernel\/random\/|fs\/(dentry-state|inode-nr|inode-state|file-nr|aio-nr|dquot-nr|quota\/)|kernel\/(ns_last_pid|pty\/nr|tainted)|net\/netfilter\/nf_conntrack_count|vm\/stat|fs\/binfmt_misc)/;

export function hostState(): HostState {
  // read the kernel settings twice: anything that moved between the reads is a counter
  const a = readSysctls();
  const b = readSysctls();
  const sysctls: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) if (b[k] === v && !VOLATILE.test(k)) sysctls[k] = v;
  return { mounts: mounts(), links: links(), routes: routes(), sysctls, firewall: firewall() };
}

/** Host interface of a real node slot, as named in link and route lines. */
const SLOT_LINK = /\bswbh(\d+)\b/;

/**
 * Differences between two snapshots, one line each; empty when equal.
 * With `ownSlot`, lines about another real node slot's link are left out:
 * another real node (a concurrent test's) may start or stop between the two
 * snapshots, and its own stop is checked by its own test.
 */
export function diffHostState(before: HostState, after: HostState, opts: { ownSlot?: number } = {}): string[] {
  const others = (x: string) => {
    const m = opts.ownSlot === undefined ? null : SLOT_LINK.exec(x);
    return m !== null && Number(m[1]) !== opts.ownSlot;
  };
  const diffs: string[] = [];
  const lists: (keyof Omit<HostState, 'sysctls'>)[] = ['mounts', 'links', 'routes', 'firewall'];
  for (const key of lists) {
    const b = new Set(before[key]);
    const a = new Set(after[key]);
    for (const x of a) if (!b.has(x) && !others(x)) diffs.push(`${key}: added ${x}`);
    for (const x of b) if (!a.has(x) && !others(x)) diffs.push(`${key}: removed ${x}`);
  }
  for (const [k, v] of Object.entries(before.sysctls)) {
    if (k in after.sysctls && after.sysctls[k] !== v) diffs.push(`sysctl ${k}: ${v} -> ${after.sysctls[k]}`);
  }
  return diffs;
}
