import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// This package only runs from the repository (dev and tests), never from a
// production bundle, so the source location is the right anchor.
// eslint-disable-next-line no-restricted-syntax
const buildScript = path.resolve(__dirname, '../../../tools/local-cluster/build.sh');
/** KWOK's default stages (node initialize, heartbeat with lease, pod ready/complete/delete). */
// eslint-disable-next-line no-restricted-syntax
export const kwokStagesFile = path.resolve(__dirname, '../../../tools/local-cluster/kwok-stages.yaml');
/** Our fault-injection stages (a pod labelled skywalking-backstage.io/fail-readiness=true turns not Ready), loaded after the defaults. */
// eslint-disable-next-line no-restricted-syntax
export const kwokFaultStagesFile = path.resolve(__dirname, '../../../tools/local-cluster/kwok-stages-faults.yaml');

/** The CLI (bin/local-cluster.js): the watchdog runs its teardown-real-node command. */
// eslint-disable-next-line no-restricted-syntax
export const localClusterCli = path.resolve(__dirname, '../bin/local-cluster.js');
/** The local image factory (tools/images/build.sh). */
// eslint-disable-next-line no-restricted-syntax
export const imageFactoryScript = path.resolve(__dirname, '../../../tools/images/build.sh');

/**
 * Directory of the Go-built control plane binaries, building them on a cold
 * cache (tools/local-cluster/build.sh; minutes) and returning at once on a warm one.
 */
export function ensureBinaries(log: (m: string) => void = () => {}): string {
  if (process.env.SWB_K8S_BIN_DIR) return process.env.SWB_K8S_BIN_DIR;
  const dir = execFileSync('bash', [buildScript, '--print-dir'], { encoding: 'utf8' }).trim();
  const needed = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'kubelet', 'kube-proxy', 'coredns'];
  if (needed.every(b => fs.existsSync(path.join(dir, b)))) return dir;
  log(`building the local control plane into ${dir}`);
  const out = execFileSync('bash', [buildScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop()!;
}
