import fs from 'node:fs';
import path from 'node:path';
import { startLocalCluster, stopPids } from './cluster';
import { teardownRealNode } from './realNode/node';

/*
 * local-cluster start                          foreground; Ctrl-C stops it
 * local-cluster start --detach --state-dir D   start, write D/state.json and D/kubeconfig, exit
 * local-cluster stop --state-dir D             stop exactly the PIDs in D/state.json
 *   --real-node                                with start: one real node beside the KWOK nodes
 *   --real-node-images a,b,c                   with --real-node: the tools/images ids to import (default: pause, CoreDNS, the demo shop)
 * local-cluster teardown-real-node FILE        stop a real node from its state file (the watchdog's)
 */
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Stops what a state file records: the real node first, then the control plane, by PID. */
async function stopRecorded(st: { pids: Record<string, number>; realNodeState?: string }, log: (m: string) => void) {
  if (st.realNodeState) await teardownRealNode(st.realNodeState, log);
  await stopPids(st.pids);
}

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function main() {
  const cmd = process.argv[2];
  const stateDir = arg('--state-dir') ? path.resolve(arg('--state-dir')!) : undefined;
  const log = (m: string) => process.stderr.write(`[local-cluster] ${m}\n`);
  if (cmd === 'start') {
    const detach = process.argv.includes('--detach');
    if (detach && !stateDir) throw new Error('--detach needs --state-dir');
    if (stateDir) {
      const statePath = path.join(stateDir, 'state.json');
      if (fs.existsSync(statePath)) {
        const st = JSON.parse(fs.readFileSync(statePath, 'utf8'));
        if (Object.values<number>(st.pids).every(alive)) {
          log(`already running at ${st.server}`);
          return;
        }
        await stopRecorded(st, log);
      }
      fs.rmSync(stateDir, { recursive: true, force: true });
      fs.mkdirSync(stateDir, { recursive: true });
    }
    const t0 = Date.now();
    const realNode = process.argv.includes('--real-node') || process.env.SWB_REAL_NODE === '1';
    const images = arg('--real-node-images');
    const realNodeImages = images ? images.split(',').map(i => i.trim()).filter(Boolean) : undefined;
    const c = await startLocalCluster({ dataDir: stateDir ? path.join(stateDir, 'data') : undefined, log, stopWithProcess: !detach, realNode, realNodeImages });
    log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${c.server}`);
    if (stateDir) {
      fs.copyFileSync(c.kubeconfigPath, path.join(stateDir, 'kubeconfig'));
      fs.writeFileSync(
        path.join(stateDir, 'state.json'),
        JSON.stringify({ server: c.server, pids: c.pids, dataDir: c.dataDir, realNodeState: c.realNode?.stateFile, realNode: c.realNode, realNodeUnavailable: c.realNodeUnavailable }, null, 2),
      );
      process.stdout.write(`${path.join(stateDir, 'kubeconfig')}\n`);
    } else {
      process.stdout.write(`${c.kubeconfigPath}\n`);
    }
    if (detach) {
      // leave the children running; they were spawned attached, so detach our handles
      process.exit(0);
    }
    let stopping = false;
    const shutdown = async () => {
      if (stopping) return;
      stopping = true;
      log('stopping');
      await c.stop();
      process.exit(0);
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
    process.on('SIGHUP', shutdown);
    // `npm run` forwards SIGTERM only to its `sh -c` child: if whoever started
    // us goes away (we get re-parented), stop the cluster rather than leak it
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void shutdown();
    }, 1000);
    await new Promise(() => {});
  } else if (cmd === 'stop') {
    if (!stateDir) throw new Error('stop needs --state-dir');
    const statePath = path.join(stateDir, 'state.json');
    if (!fs.existsSync(statePath)) {
      log('nothing to stop');
      return;
    }
    const st = JSON.parse(fs.readFileSync(statePath, 'utf8'));
    await stopRecorded(st, log);
    fs.rmSync(stateDir, { recursive: true, force: true });
    log('stopped');
  } else if (cmd === 'teardown-real-node') {
    await teardownRealNode(path.resolve(process.argv[3]), log);
  } else {
    process.stderr.write('usage: local-cluster start [--real-node [--real-node-images a,b]] [--detach --state-dir DIR] | stop --state-dir DIR | teardown-real-node FILE\n');
    process.exit(2);
  }
}

main().catch(e => {
  process.stderr.write(`[local-cluster] ${e.message ?? e}\n`);
  process.exit(1);
});
