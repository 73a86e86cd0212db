// Starts and stops the project's local control plane (packages/local-cluster)
// through its CLI, detached, with its state (PIDs, kubeconfig) in a directory.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const cli = path.join(root, 'packages/local-cluster/bin/local-cluster.js');

export function localClusterKubeconfig(stateDir) {
  return path.join(stateDir, 'kubeconfig');
}

/**
 * Starts the local cluster unless one from this state dir is still running.
 * `realNode`: one real node beside the KWOK nodes (where it can start), with
 * `realNodeImages` (tools/images ids) imported into it.
 */
export function startLocalCluster(stateDir, { realNode = false, realNodeImages } = {}) {
  const nodeArgs = realNode ? ['--real-node', ...(realNodeImages ? ['--real-node-images', realNodeImages.join(',')] : [])] : [];
  execFileSync(process.execPath, [cli, 'start', '--detach', '--state-dir', stateDir, ...nodeArgs], {
    stdio: 'inherit',
    cwd: root,
  });
  const kubeconfig = localClusterKubeconfig(stateDir);
  if (!fs.existsSync(kubeconfig)) throw new Error(`local cluster wrote no kubeconfig at ${kubeconfig}`);
  return kubeconfig;
}

export function stopLocalCluster(stateDir) {
  execFileSync(process.execPath, [cli, 'stop', '--state-dir', stateDir], { stdio: 'inherit', cwd: root });
}

/** What the running cluster of this state dir says about its real node: { realNode } or { realNodeUnavailable }. */
export function localClusterRealNode(stateDir) {
  try {
    const st = JSON.parse(fs.readFileSync(path.join(stateDir, 'state.json'), 'utf8'));
    return { realNode: st.realNode, realNodeUnavailable: st.realNodeUnavailable };
  } catch {
    return {};
  }
}
