#!/usr/bin/env node
// `npm start`: the demo portal on embedded defaults (SQLite, guest sign-in,
// demo catalog). With no kubeconfig context configured, it starts the local
// control plane (etcd, kube-apiserver, controller-manager, scheduler, KWOK)
// and points the portal at it; otherwise the configured cluster is used.
//   --backend-only   serve the built app from the backend on :7007 (e2e, CI)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bootstrapCluster, hasKubeContext } from './lib/cluster-bootstrap.mjs';
import { localClusterRealNode, startLocalCluster, stopLocalCluster } from './lib/local-cluster.mjs';
import { stopOapDouble } from './lib/oap-double.mjs';
import { REAL_SKYWALKING_IMAGES, SKYWALKING_STORAGE_MANIFEST, provisionDemoBackend, startRoverStandInFor } from './lib/real-skywalking.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const backendOnly = args.includes('--backend-only');
const stateDir = path.resolve(root, process.env.SWB_CLUSTER_STATE_DIR ?? '.local-cluster/demo');
const configs = [path.join(root, 'app-config.yaml')];
for (const extra of ['app-config.local.yaml']) {
  if (fs.existsSync(path.join(root, extra))) configs.push(path.join(root, extra));
}

let startedCluster = false;
const afterPortalStarts = [];
const demoStopHooks = [];
const useLocal = process.env.SWB_LOCAL_CLUSTER === '1' || (process.env.SWB_LOCAL_CLUSTER !== '0' && !hasKubeContext());
if (useLocal) {
  console.log('[start] no kubeconfig context configured: starting the local control plane');
  // the demo shop runs for real on the real node where this machine allows one (SWB_REAL_NODE=0: KWOK only),
  // and then a real OAP on PostgreSQL serves the topology; otherwise the OAP double does
  const kubeconfigPath = startLocalCluster(stateDir, { realNode: process.env.SWB_REAL_NODE !== '0', realNodeImages: REAL_SKYWALKING_IMAGES });
  const { realNode, realNodeUnavailable } = localClusterRealNode(stateDir);
  console.log(realNode
    ? `[start] real node ${realNode.nodeName} (${realNode.nodeIp}): the demo shop runs there for real`
    : `[start] no real node${realNodeUnavailable ? `: ${realNodeUnavailable}` : ''}; the demo shop runs as KWOK fake pods`);
  startedCluster = true;
  const { configPath, server } = await bootstrapCluster({
    kubeconfigPath,
    clusterName: 'local',
    demoManifests: [path.join(root, 'examples/kubernetes/shop.yaml'), ...(realNode ? [SKYWALKING_STORAGE_MANIFEST] : [])],
    oapTraffic: realNode ? undefined : path.join(root, 'examples/kubernetes/shop-traffic.json'),
    outDir: stateDir,
  });
  console.log(`[start] local cluster ${server} (kubeconfig ${kubeconfigPath})`);
  if (realNode) {
    console.log('[start] topology and traces from a REAL OAP: backend local/skywalking/demo (OAP 10.1.0, PostgreSQL postgresql.databases), created once the portal is up');
    afterPortalStarts.push(async () => {
      await provisionDemoBackend('http://localhost:7007', 'local', m => console.log(`[start] ${m}`));
      demoStopHooks.push(await startRoverStandInFor({ kubeconfigPath, cluster: 'local', log: m => console.log(`[start] ${m}`) }));
    });
  } else {
    console.log('[start] topology traffic from the OAP TEST DOUBLE (no real node, so no real OAP can run; see README)');
  }
  configs.push(configPath);
} else {
  console.log('[start] using the configured kubeconfig context / kubernetes config');
}

const configArgs = configs.flatMap(c => ['--config', c]);
// OpenTelemetry with the Prometheus exporter (:9464, SWB_METRICS_PORT; off with
// SWB_METRICS=0), loaded before the backend as Backstage's tutorial does;
// backstage-cli's --require applies to the backend process only (NODE_OPTIONS
// would load it into the CLI and bundler processes too, each taking the port)
const instrumentation = path.join(root, 'packages/backend/src/instrumentation.js');
const requireArgs = process.env.SWB_METRICS === '0' ? [] : ['--require', instrumentation];
const child = backendOnly
  ? spawn('npx', ['backstage-cli', 'package', 'start', ...configArgs, ...requireArgs], {
      cwd: path.join(root, 'packages/backend'),
      stdio: 'inherit',
      detached: true,
      // the backend serves the built app itself
      env: { ...process.env, APP_CONFIG_app_baseUrl: 'http://localhost:7007', APP_CONFIG_backend_cors_origin: 'http://localhost:7007', NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --no-node-snapshot`.trim() },
    })
  : spawn('npx', ['backstage-cli', 'repo', 'start', ...configArgs, ...requireArgs], {
      cwd: root,
      stdio: 'inherit',
      detached: true,
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --no-node-snapshot`.trim() },
    });

let stopping = false;
function shutdown(code) {
  if (stopping) return;
  stopping = true;
  // the portal runs in its own process group (npx, backstage-cli, node): end all of it
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  for (const stop of demoStopHooks) stop();
  if (startedCluster) stopOapDouble(stateDir);
  if (startedCluster && process.env.SWB_KEEP_CLUSTER !== '1') {
    try {
      stopLocalCluster(stateDir);
    } catch (e) {
      console.error(`[start] stopping the local cluster failed: ${e.message}`);
    }
  }
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
child.on('exit', code => shutdown(code ?? 0));

if (afterPortalStarts.length) {
  void (async () => {
    const end = Date.now() + 15 * 60_000;
    while (Date.now() < end && !stopping) {
      try {
        if ((await fetch('http://localhost:7007/.backstage/health/v1/readiness')).ok) break;
      } catch {
        // not up yet
      }
      await new Promise(r => setTimeout(r, 2000));
    }
    for (const step of afterPortalStarts) {
      try {
        await step();
      } catch (e) {
        console.error(`[start] ${e.message}`);
      }
    }
  })();
}
