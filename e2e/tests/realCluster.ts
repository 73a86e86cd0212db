import https from 'node:https';

/*
 * The e2e's real-node cluster `real` (scripts/test-all.mjs starts it when the
 * real node can start): its kubeconfig, and OAP's GraphQL through the API
 * server's service proxy, as the portal itself reaches OAP.
 */

export const realKubeconfig = process.env.SWB_E2E_REAL_KUBECONFIG;
export const realUnavailable =
  process.env.SWB_E2E_REAL_UNAVAILABLE ??
  (realKubeconfig ? undefined : 'SWB_E2E_REAL_KUBECONFIG is not set: run through `npm test -- e2e`');

export async function realKubeConfig() {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(realKubeconfig!);
  return { k8s, kc };
}

/** One request to the real cluster's API server with the kubeconfig's credentials. */
export async function apiRequest(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  const { kc } = await realKubeConfig();
  const server = kc.getCurrentCluster()!.server;
  const opts: https.RequestOptions = { method, headers: { 'content-type': 'application/json' } };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, server), { ...opts, timeout: 20_000 }, res => {
      let data = '';
      res.on('data', c => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** GraphQL of the backend's real OAP (`<name>-oap:12800` in its namespace). */
export async function oapQuery<T = any>(backend: { namespace: string; name: string }, query: string): Promise<T> {
  const r = await apiRequest('POST', `/api/v1/namespaces/${backend.namespace}/services/${backend.name}-oap:12800/proxy/graphql`, JSON.stringify({ query }));
  if (r.status !== 200) throw new Error(`OAP GraphQL answered ${r.status}: ${r.body.slice(0, 300)}`);
  const j = JSON.parse(r.body);
  if (j.errors?.length) throw new Error(`OAP GraphQL errors: ${JSON.stringify(j.errors).slice(0, 300)}`);
  return j.data;
}

/** OAP's duration for the last `minutes` minutes, in minute steps (OAP's clock: UTC in its image). */
export function lastMinutes(minutes: number): string {
  const fmt = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 16).replace(':', '');
  const end = new Date(Date.now() + 60_000);
  return `{ start: "${fmt(new Date(end.getTime() - minutes * 60_000))}", end: "${fmt(end)}", step: MINUTE }`;
}

/** Polls `probe` until it returns a truthy value; the last error or value goes into the timeout message. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false | null>, timeoutMs: number, everyMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v) return v;
      last = `last answer: ${JSON.stringify(v)}`;
    } catch (e) {
      last = `last error: ${(e as Error).message}`;
    }
    await new Promise(r => setTimeout(r, everyMs));
  }
  throw new Error(`${what} did not happen within ${timeoutMs / 1000}s (${last})`);
}

/** The pods of a workload in the real cluster, with whether each carries the injected agent. */
export async function realPods(namespace: string, labelSelector: string) {
  const { k8s, kc } = await realKubeConfig();
  const pods = (await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace, labelSelector })).items;
  return pods
    .filter(p => !p.metadata?.deletionTimestamp)
    .map(p => ({
      name: p.metadata!.name!,
      node: p.spec!.nodeName,
      ready: !!p.status?.conditions?.find(c => c.type === 'Ready' && c.status === 'True'),
      agent: JSON.stringify(p.spec!.containers.map(c => c.env ?? [])).includes('-javaagent:'),
    }));
}
