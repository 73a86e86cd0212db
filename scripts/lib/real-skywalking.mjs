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
 * streamed to OAP as Rover's access logs) against the demo backend's OAP: it
 * finds a ready OAP pod through the Service's EndpointSlices and follows it
 * (a new OAP pod after a restart or an upgrade gets the stream; the host
 * reaches pod IPs over the real node's veth, Service IPs it does not).
 * A child process, stopped by its PID. Returns stop().
 */
export async function startRoverStandInFor({ kubeconfigPath, cluster, backend = { namespace: 'skywalking', name: 'demo' }, log = () => {} }) {
  const { spawn } = await import('node:child_process');
  const cli = path.join(root, 'packages/rover-stand-in/bin/rover-stand-in.js');
  const oapService = `${backend.namespace}/${backend.name}-oap`;
  log(`Rover stand-in: the shop's calls go to OAP ${oapService} in cluster ${cluster} once it has a ready pod`);
  const child = spawn(process.execPath, [cli, '--kubeconfig', kubeconfigPath, '--oap-service', oapService, '--namespace', 'shop'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
}
