// Starts the OAP TEST DOUBLE (packages/oap-double) for the demo portal and the
// e2e tests, fed with traffic for the pods that really exist in the cluster:
// every Service of the given namespaces with the Running pods it selects,
// and the calls listed in a traffic file. The double is not OAP; point
// `skywalking.clusters.<name>.oapUrl` at a real OAP to see real traffic.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const cli = path.join(root, 'packages/oap-double/bin/oap-double.js');
const pidFile = outDir => path.join(outDir, 'oap-double.pid');

const sleep = ms => new Promise(r => setTimeout(r, ms));

async function freePort() {
  const srv = net.createServer();
  await new Promise(r => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise(r => srv.close(r));
  return port;
}

const matches = (selector, labels) =>
  selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/**
 * Services of the namespaces with their Running pods. Waits (up to 90 s)
 * until every Deployment and StatefulSet there has all its replicas ready:
 * right after the manifests are applied no pod exists yet.
 */
async function scenarioFromCluster(kc, k8s, namespaces, calls) {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const services = [];
    let waiting = 0;
    for (const namespace of namespaces) {
      const [deps, sets] = await Promise.all([apps.listNamespacedDeployment({ namespace }), apps.listNamespacedStatefulSet({ namespace })]);
      for (const w of [...deps.items, ...sets.items]) {
        if ((w.status?.readyReplicas ?? 0) < (w.spec?.replicas ?? 1)) waiting++;
      }
    }
    for (const namespace of namespaces) {
      const [svcs, pods] = await Promise.all([core.listNamespacedService({ namespace }), core.listNamespacedPod({ namespace })]);
      for (const s of svcs.items) {
        const selected = pods.items.filter(p => matches(s.spec?.selector, p.metadata?.labels) && !p.metadata?.deletionTimestamp);
        const running = selected.filter(p => p.status?.phase === 'Running' && p.status?.podIP);
        waiting += selected.length - running.length;
        services.push({ name: s.metadata.name, namespace, pods: running.map(p => ({ name: p.metadata.name, ip: p.status.podIP })) });
      }
    }
    if (waiting === 0 || Date.now() > deadline) return { services, calls };
    await sleep(1000);
  }
}

/**
 * Starts the double detached (stopped by PID with stopOapDouble) and returns
 * its URL. `trafficFile`: JSON `{ namespaces: [...], calls: [{from, to}], general?: {services, calls} }`.
 */
export async function startOapDouble({ kubeconfigPath, trafficFile, outDir }) {
  stopOapDouble(outDir);
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const traffic = JSON.parse(fs.readFileSync(trafficFile, 'utf8'));
  const scenario = await scenarioFromCluster(kc, k8s, traffic.namespaces, traffic.calls);
  // the agents' GENERAL layer, as listed in the file (no pods to read for it)
  if (traffic.general) scenario.general = traffic.general;
  fs.mkdirSync(outDir, { recursive: true });
  const scenarioPath = path.join(outDir, 'oap-double-scenario.json');
  fs.writeFileSync(scenarioPath, JSON.stringify(scenario, null, 2));
  const port = await freePort();
  const log = fs.openSync(path.join(outDir, 'oap-double.log'), 'a');
  const child = spawn(process.execPath, [cli, '--port', String(port), '--scenario', scenarioPath], {
    cwd: root,
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  fs.writeFileSync(pidFile(outDir), String(child.pid));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ listLayers }' }),
      });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the OAP test double did not answer at ${url} (log: ${path.join(outDir, 'oap-double.log')})`);
    await sleep(250);
  }
  return { url, pid: child.pid, scenarioPath };
}

/** Stops the double this state dir started, by its PID. */
export function stopOapDouble(outDir) {
  let pid;
  try {
    pid = Number(fs.readFileSync(pidFile(outDir), 'utf8'));
  } catch {
    return;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
  fs.rmSync(pidFile(outDir), { force: true });
}
