// Real SkyWalking for `./dev start` and the e2e, on a local cluster whose real
// node starts: the images the node imports, the demo storage (PostgreSQL from
// the image factory, examples/kubernetes/skywalking-storage.yaml), the demo
// backend's spec, and provisioning it through the portal's own REST API.
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** tools/images ids a real node needs for real OAP, real agents and real PostgreSQL */
export const REAL_SKYWALKING_IMAGES = ['pause', 'coredns', 'demo-shop', 'oap-10.1.0', 'java-agent', 'postgresql'];

/** Applied with the demo shop: PostgreSQL in `databases` and the credentials Secret in `skywalking`. */
export const SKYWALKING_STORAGE_MANIFEST = path.join(root, 'examples/kubernetes/skywalking-storage.yaml');

/**
 * The demo backend the catalog's shop components name
 * (skywalking.apache.org/backend: <cluster>/skywalking/demo): real OAP
 * 10.1.0 on PostgreSQL, no UI (the SkyWalking UI image is not buildable here).
 */
export function demoBackendSpec(cluster, { replicas = 1 } = {}) {
  return {
    name: 'demo',
    cluster,
    namespace: 'skywalking',
    version: '10.1.0',
    ui: { enabled: false },
    oap: { replicas },
    storage: { type: 'postgresql', external: { address: 'postgresql.databases:5432', database: 'skywalking', secretName: 'skywalking-storage' } },
  };
}

async function guestToken(baseUrl) {
  const res = await fetch(`${baseUrl}/api/auth/guest/refresh`);
  if (!res.ok) throw new Error(`guest sign-in at ${baseUrl} answered ${res.status}`);
  return (await res.json()).backstageIdentity.token;
}

/**
 * Creates the demo backend through the portal (as the guest, owner
 * group:default/guests) unless it exists; resolves once the request is
 * accepted, the operator takes it from there.
 */
export async function provisionDemoBackend(baseUrl, cluster, log = () => {}) {
  const token = await guestToken(baseUrl);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const spec = demoBackendSpec(cluster);
  const existing = await fetch(`${baseUrl}/api/skywalking/backends/${cluster}/${spec.namespace}/${spec.name}`, { headers });
  if (existing.ok) {
    log(`backend ${cluster}/${spec.namespace}/${spec.name} exists`);
    return;
  }
  const res = await fetch(`${baseUrl}/api/skywalking/backends`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ spec, owner: 'group:default/guests' }),
  });
  if (!res.ok) throw new Error(`creating the demo backend answered ${res.status}: ${await res.text()}`);
  log(`backend ${cluster}/${spec.namespace}/${spec.name} requested: real OAP ${spec.version} on PostgreSQL (postgresql.databases)`);
}

/** The app-config fragment that maps the guests to extra clusters and adds catalog files (arrays are replaced, so the base ones are repeated). */
export function extraClustersConfig(baseConfig, { guestClusters, catalogFiles = [] }) {
  const tenancy = structuredClone(baseConfig.skywalking?.tenancy ?? {});
  for (const m of tenancy.mappings ?? []) {
    if ((m.owners ?? []).includes('group:default/guests')) m.clusters = [...new Set([...(m.clusters ?? []), ...guestClusters])];
  }
  const locations = [...(baseConfig.catalog?.locations ?? []), ...catalogFiles.map(f => ({ type: 'file', target: path.relative(path.join(root, 'packages/backend'), f) }))];
  return { skywalking: { tenancy }, catalog: { locations } };
}

/**
 * Runs the Rover stand-in (packages/rover-stand-in: the shop's request logs
 * streamed to OAP as Rover's access logs) against the demo backend's OAP:
 * waits for a ready OAP pod in the Service's EndpointSlices and follows it
 * (a new OAP pod after a restart or an upgrade gets the stream). The host
 * reaches pod IPs over the real node's veth; Service IPs it does not.
 * Returns stop().
 */
export async function startRoverStandInFor({ kubeconfigPath, cluster, backend = { namespace: 'skywalking', name: 'demo' }, log = () => {} }) {
  const { spawn } = await import('node:child_process');
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
  const cli = path.join(root, 'packages/rover-stand-in/bin/rover-stand-in.js');
  let child;
  let current;
  let stopped = false;
  const run = address => {
    child?.kill('SIGTERM');
    current = address;
    log(`Rover stand-in: streaming the shop's calls to OAP ${address} (cluster ${cluster})`);
    child = spawn(process.execPath, [cli, '--kubeconfig', kubeconfigPath, '--oap', address, '--namespace', 'shop', '--selector', 'app', '--cluster', cluster], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  };
  const poll = async () => {
    try {
      const slices = await discovery.listNamespacedEndpointSlice({
        namespace: backend.namespace,
        labelSelector: `kubernetes.io/service-name=${backend.name}-oap`,
      });
      const ips = slices.items.flatMap(s => (s.endpoints ?? []).filter(e => e.conditions?.ready).flatMap(e => e.addresses));
      const address = ips.length ? `${ips.sort()[0]}:11800` : undefined;
      if (address && address !== current) run(address);
    } catch (e) {
      log(`Rover stand-in: cannot read the OAP endpoints yet: ${e.message}`);
    }
  };
  await poll();
  const timer = setInterval(() => void poll(), 5000);
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    child?.kill('SIGTERM');
  };
}
