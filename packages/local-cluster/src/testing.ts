import fs from 'node:fs';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import YAML from 'yaml';
import { loadK8s } from './k8s';
import { startLocalCluster } from './cluster';
import { ensureBinaries } from './binaries';
import { realNodeUnavailableReason } from './realNode/preflight';

export interface TestCluster {
  kubeconfigPath: string;
  kubeconfig: string;
  server: string;
  /** a no-op for a cluster shared by the test run */
  stop(): Promise<void>;
}

let shared: Promise<TestCluster> | undefined;

/**
 * The cluster tests run against: the one the test orchestrator started for
 * the whole run (SWB_TEST_KUBECONFIG), or, when a test file runs alone, one
 * started for this process and stopped when it exits. Tests isolate
 * themselves by namespace (createTestNamespace).
 */
export function getSharedTestCluster(): Promise<TestCluster> {
  if (!shared) {
    shared = (async () => {
      const path = process.env.SWB_TEST_KUBECONFIG;
      if (path) {
        const kubeconfig = fs.readFileSync(path, 'utf8');
        const server = YAML.parse(kubeconfig).clusters[0].cluster.server as string;
        return { kubeconfigPath: path, kubeconfig, server, stop: async () => {} };
      }
      const c = await startLocalCluster({});
      // a Jest worker ends without 'beforeExit': stop by PID synchronously on
      // 'exit' (npm test shares one cluster and never gets here)
      process.once('exit', () => {
        for (const pid of Object.values(c.pids)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        fs.rmSync(c.dataDir, { recursive: true, force: true });
      });
      return { ...c, stop: () => c.stop() };
    })();
  }
  return shared;
}

/** Creates a uniquely named namespace for one test (file) and returns its name. */
export async function createTestNamespace(prefix: string): Promise<string> {
  const c = await getSharedTestCluster();
  const k8s = await loadK8s();
  const kc = new k8s.KubeConfig();
  kc.loadFromString(c.kubeconfig);
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)}-${randomBytes(3).toString('hex')}`;
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

/** Polls until `check` returns a truthy value or the deadline passes. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false | null>, timeoutMs = 30_000, intervalMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${(last as Error).message ?? last}` : ''}`);
    await new Promise(r => setTimeout(r, intervalMs));
  }
}

/**
 * `describe` for tests that need the real node. Where it cannot start (not
 * root, capabilities, cgroups, programs) the suite is skipped by name and
 * says why, except under CI (`.ci/run`), where it runs and fails with the
 * reason: the real node must never be skipped silently there.
 */
export function describeOnRealNode(name: string, fn: () => void) {
  const reason = realNodeUnavailableReason(ensureBinaries());
  if (reason && !process.env.CI && process.env.SWB_REQUIRE_REAL_NODE !== '1') {
    // a wrapper of describe: its title and callback are the caller's
    // eslint-disable-next-line jest/no-disabled-tests, jest/valid-title, jest/valid-describe-callback
    describe.skip(`${name} (skipped: ${reason})`, fn);
    return;
  }
  // eslint-disable-next-line jest/valid-title, jest/valid-describe-callback
  describe(name, fn);
}

/**
 * A request through the API server (e.g. its service or pod proxy) with the
 * kubeconfig's credentials; resolves with the status and body whatever the status.
 */
export async function apiServerRequest(kc: KubeConfig, method: string, apiPath: string, body?: string): Promise<{ status: number; body: string }> {
  const opts: https.RequestOptions = { method };
  await kc.applyToHTTPSOptions(opts);
  const url = new URL(apiPath, kc.getCurrentCluster()!.server);
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ...opts, method, headers: body ? { 'content-type': 'application/json' } : {}, timeout: 15_000 }, res => {
      let b = '';
      res.on('data', c => (b += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${apiPath}: timeout`)));
    req.on('error', reject);
    req.end(body);
  });
}
