/*
 * The topology endpoint's service against the real local control plane
 * (kube-apiserver, controllers, scheduler, KWOK nodes: pods get IPs and
 * EndpointSlices are written by the real controller) and the OAP TEST DOUBLE
 * (@internal/oap-double, OAP's GraphQL schema subset) fed with traffic for
 * the pods that exist in the cluster. Only the catalog is a stand-in.
 */
import type { BackstageCredentials, LoggerService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { createTestNamespace, eventually, getSharedTestCluster } from '@internal/local-cluster';
import { createTrafficSource, RunningOapDouble, startOapDouble } from '@internal/oap-double';
import { metricsByLayer } from '@skywalking-backstage/plugin-skywalking-common';
import type * as K8s from '@kubernetes/client-node';
import http from 'node:http';
import net from 'node:net';
import { loadK8s } from '../clusters/k8s';
import { TopologyService, TopologyServiceOptions } from './TopologyService';

jest.setTimeout(180_000);

const logger: LoggerService = { error() {}, warn() {}, info() {}, debug() {}, child: () => logger };
const credentials: BackstageCredentials = {
  $$type: '@backstage/BackstageCredentials',
  principal: { type: 'user', userEntityRef: 'user:default/alice' },
};

let k8s: typeof K8s;
let kc: K8s.KubeConfig;
let ns: string;
let oap: RunningOapDouble;
const pods = new Map<string, { name: string; ip: string }[]>();
const entities = new Map<string, Entity>();
const catalog = { getEntityByRef: async (ref: string) => entities.get(ref) };

function component(name: string, annotations: Record<string, string>): string {
  const ref = `component:default/${name}`;
  entities.set(ref, {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
  });
  return ref;
}

// web's pods report as the agent service topo-web-agent (the env the injector sets)
const AGENT_ENV: Record<string, Array<{ name: string; value: string }>> = { web: [{ name: 'SW_AGENT_NAME', value: 'topo-web-agent' }] };

const deployment = (name: string, replicas: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns, labels: { 'backstage.io/kubernetes-id': `topo-${name}` } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name, 'backstage.io/kubernetes-id': `topo-${name}` } },
      spec: { containers: [{ name, image: `example/${name}:1`, ...(AGENT_ENV[name] ? { env: AGENT_ENV[name] } : {}) }] },
    },
  },
});

const service = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { selector: { app: name }, ports: [{ port: 8080 }] },
});

function topologyService(over: Partial<TopologyServiceOptions> = {}) {
  return new TopologyService({
    catalog,
    tracingBackend: async () => undefined,
    clusters: () => ['local'],
    kubeConfig: () => kc,
    oapUrl: () => oap.url,
    logger,
    ...over,
  });
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>(r => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise(r => srv.close(r));
  return port;
}

const window = () => {
  const to = new Date();
  return { from: new Date(to.getTime() - 15 * 60_000), to };
};

beforeAll(async () => {
  const cluster = await getSharedTestCluster();
  k8s = await loadK8s();
  kc = new k8s.KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  ns = await createTestNamespace('topology');
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  for (const [name, replicas] of [['web', 2], ['cart', 1], ['idle', 1]] as const) {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment(name, replicas) as any });
    await core.createNamespacedService({ namespace: ns, body: service(name) as any });
  }
  // KWOK gives pods IPs; the real EndpointSlice controller then fills the slices
  const namespace = ns;
  for (const [name, replicas] of [['web', 2], ['cart', 1], ['idle', 1]] as const) {
    const ready = await eventually(`${replicas} running pods of ${name} with IPs`, async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: `app=${name}` });
      const running = list.items.filter(p => p.status?.phase === 'Running' && p.status.podIP);
      return running.length === replicas && running.map(p => ({ name: p.metadata!.name!, ip: p.status!.podIP! }));
    }, 90_000);
    pods.set(name, ready);
  }
  await eventually('EndpointSlices of web and cart', async () => {
    const slices = await kc.makeApiClient(k8s.DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: ns });
    const ready = (svc: string) =>
      slices.items.some(s => s.metadata?.labels?.['kubernetes.io/service-name'] === svc && (s.endpoints ?? []).length > 0);
    return ready('web') && ready('cart');
  }, 60_000);
  // the double serves traffic for exactly these pods: web calls cart, in the
  // Kubernetes layer and in the agents' layer (cart's agent is named as its Service)
  oap = await startOapDouble({ logger: { info() {}, warn() {} }, trafficSource: createTrafficSource(scenario(true)) });
});

function scenario(agents: boolean) {
  return {
    services: [
      { name: 'web', namespace: ns, pods: pods.get('web')! },
      { name: 'cart', namespace: ns, pods: pods.get('cart')! },
    ],
    calls: [{ from: `web.${ns}`, to: `cart.${ns}` }],
    ...(agents
      ? {
          general: {
            services: ['topo-web-agent', 'cart'],
            calls: [
              { from: 'User', to: 'topo-web-agent' },
              { from: 'topo-web-agent', to: 'cart' },
            ],
          },
        }
      : {}),
  };
}

/** Forwards to the double, but answers HTTP 500 to every GENERAL-layer request. */
async function generalFailingProxy(target: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (/"GENERAL"/.test(body)) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('storage is down');
      return;
    }
    const answer = await fetch(`${target}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise(r => server.close(() => r())) };
}

afterAll(async () => {
  await oap?.stop();
  await kc?.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: ns }).catch(() => undefined);
});

describe('TopologyService on the local cluster with the OAP double', () => {
  it('merges the structure of the entity with OAP traffic: workloads, pods, services and calls with metrics', async () => {
    const ref = component('topo-web', { 'backstage.io/kubernetes-id': 'topo-web', 'skywalking.apache.org/backend': `local/${ns}/demo` });
    const t = await topologyService().getTopology({ entityRef: ref, ...window() }, credentials);

    const ids = t.nodes.map(n => n.id);
    expect(ids).toContain(`workload:${ns}/Deployment/web`);
    for (const p of pods.get('web')!) expect(ids).toContain(`pod:${ns}/${p.name}`);
    expect(ids).toContain(`service:${ns}/web`);
    // cart is a called peer; idle has nothing to do with web and is left out
    expect(ids).toContain(`service:${ns}/cart`);
    expect(ids).not.toContain(`service:${ns}/idle`);
    expect(ids).not.toContain(`workload:${ns}/Deployment/idle`);

    const call = t.edges.find(e => e.kind === 'call' && e.source === `service:${ns}/web` && e.target === `service:${ns}/cart`);
    expect(call?.metrics.cpm).toBeGreaterThan(0);
    expect(call?.metrics.successRate).toBeGreaterThan(0);
    // pod-level calls from web's pods to cart's pod, and web's own metrics
    const cartPod = `pod:${ns}/${pods.get('cart')![0].name}`;
    expect(t.edges.filter(e => e.kind === 'call' && e.target === cartPod).length).toBeGreaterThan(0);
    expect(t.nodes.find(n => n.id === `service:${ns}/web`)?.metrics.cpm).toBeGreaterThan(0);
    // structure from the real EndpointSlices
    expect(t.edges.filter(e => e.kind === 'selects' && e.source === `service:${ns}/web`)).toHaveLength(2);
    expect(t.backend).toEqual({ cluster: 'local', namespace: ns, name: 'demo' });
    expect(t.oap).toEqual({ url: oap.url, via: 'url' });
    expect(t.unresolved.count).toBe(0);
  });

  it('draws the agents\' GENERAL-layer calls over the same structure: a call both layers saw is one edge with the metrics of each', async () => {
    const ref = component('topo-layers', { 'backstage.io/kubernetes-id': 'topo-web', 'skywalking.apache.org/backend': `local/${ns}/demo` });
    const t = await topologyService().getTopology({ entityRef: ref, ...window() }, credentials);
    const call = t.edges.find(e => e.kind === 'call' && e.source === `service:${ns}/web` && e.target === `service:${ns}/cart`)!;
    // web by its pods' SW_AGENT_NAME, cart by OAP's hierarchy (agent cart over cart.<ns>)
    expect(call.seenBy).toEqual(['K8S_SERVICE', 'GENERAL']);
    expect(call.metrics.cpm).toBeGreaterThan(0); // K8S_SERVICE's
    expect(metricsByLayer(call).GENERAL.cpm).toBeGreaterThan(0);
    // calls from outside the agents (OAP's User) come from the GENERAL layer alone
    const fromUser = t.edges.find(e => e.kind === 'call' && e.source === 'external:User')!;
    expect(fromUser.target).toBe(`service:${ns}/web`);
    expect(fromUser.seenBy).toEqual(['GENERAL']);
    expect(metricsByLayer(t.nodes.find(n => n.id === `service:${ns}/web`)!).GENERAL.cpm).toBeGreaterThan(0);
    expect(t.warnings).toEqual([]);
    expect(t.unresolved.count).toBe(0);
  });

  it('names the agents OAP has not seen in a warning and still draws the Kubernetes layer', async () => {
    const noAgents = await startOapDouble({ logger: { info() {}, warn() {} }, trafficSource: createTrafficSource(scenario(false)) });
    try {
      const ref = component('topo-noagents', { 'backstage.io/kubernetes-id': 'topo-web', 'skywalking.apache.org/backend': `local/${ns}/demo` });
      const t = await topologyService({ oapUrl: () => noAgents.url }).getTopology({ entityRef: ref, ...window() }, credentials);
      expect(t.warnings).toEqual([
        `GENERAL layer (agents): OAP lists no service topo-web-agent that the pods of ${ref} report as; their agents have not reported yet`,
      ]);
      const call = t.edges.find(e => e.kind === 'call' && e.source === `service:${ns}/web` && e.target === `service:${ns}/cart`)!;
      expect(call.seenBy).toEqual(['K8S_SERVICE']);
    } finally {
      await noAgents.stop();
    }
  });

  it('keeps the Kubernetes layer when OAP fails the GENERAL-layer requests, with a warning saying so', async () => {
    const proxy = await generalFailingProxy(oap.url);
    try {
      const ref = component('topo-generaldown', { 'backstage.io/kubernetes-id': 'topo-web', 'skywalking.apache.org/backend': `local/${ns}/demo` });
      const t = await topologyService({ oapUrl: () => proxy.url }).getTopology({ entityRef: ref, ...window() }, credentials);
      expect(t.warnings).toEqual([
        expect.stringMatching(new RegExp(`^GENERAL layer \\(agents\\) not shown: OAP of backend local/${ns}/demo at ${proxy.url} \\(url\\) did not answer: .*HTTP 500.*storage is down`)),
      ]);
      expect(t.edges.some(e => e.kind === 'call' && e.seenBy?.includes('K8S_SERVICE'))).toBe(true);
      expect(t.edges.some(e => e.seenBy?.includes('GENERAL'))).toBe(false);
    } finally {
      await proxy.close();
    }
  });

  it('answers the same window from its cache and asks OAP again for a new window', async () => {
    const ref = component('topo-cache', { 'backstage.io/kubernetes-id': 'topo-web', 'skywalking.apache.org/backend': `local/${ns}/demo` });
    const svc = topologyService();
    const w = window();
    await svc.getTopology({ entityRef: ref, ...w }, credentials);
    const before = oap.requestCount();
    await svc.getTopology({ entityRef: ref, ...w }, credentials);
    expect(oap.requestCount()).toBe(before);
    await svc.getTopology({ entityRef: ref, from: new Date(w.from.getTime() - 3_600_000), to: w.to }, credentials);
    expect(oap.requestCount()).toBeGreaterThan(before);
  });

  it('prefers the backend chosen in the tracing card over the annotation', async () => {
    const ref = component('topo-chosen', { 'backstage.io/kubernetes-id': 'topo-web' });
    const t = await topologyService({ tracingBackend: async () => ({ cluster: 'local', namespace: ns, name: 'chosen' }) }).getTopology(
      { entityRef: ref, ...window() },
      credentials,
    );
    expect(t.backend.name).toBe('chosen');
  });

  it('names the missing Kubernetes annotations', async () => {
    const ref = component('topo-plain', {});
    await expect(topologyService().getTopology({ entityRef: ref, ...window() }, credentials)).rejects.toThrow(
      /has no Kubernetes annotations: add backstage.io\/kubernetes-id/,
    );
  });

  it('names the missing backend binding', async () => {
    const ref = component('topo-unbound', { 'backstage.io/kubernetes-id': 'topo-web' });
    await expect(topologyService().getTopology({ entityRef: ref, ...window() }, credentials)).rejects.toMatchObject({
      name: 'NotFoundError',
      message: expect.stringContaining('no SkyWalking backend is bound to component:default/topo-unbound'),
    });
  });

  it('says when no workload matches the selector', async () => {
    const ref = component('topo-none', { 'backstage.io/kubernetes-id': 'nothing-here', 'skywalking.apache.org/backend': `local/${ns}/demo` });
    await expect(topologyService().getTopology({ entityRef: ref, ...window() }, credentials)).rejects.toThrow(
      /no Deployment, StatefulSet or DaemonSet matches backstage.io\/kubernetes-id=nothing-here/,
    );
  });

  it('reports an unreachable OAP with its URL', async () => {
    const ref = component('topo-oapdown', { 'backstage.io/kubernetes-id': 'topo-web', 'skywalking.apache.org/backend': `local/${ns}/demo` });
    const url = `http://127.0.0.1:${await closedPort()}`;
    await expect(
      topologyService({ oapUrl: () => url }).getTopology({ entityRef: ref, ...window() }, credentials),
    ).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: expect.stringMatching(new RegExp(`OAP of backend local/${ns}/demo at ${url}.* \\(url\\) did not answer`)),
    });
  });

  it('reaches OAP through the API server service proxy when no URL is configured, and reports what the proxy said', async () => {
    // the OAP Service exists but has no ready endpoint (no OAP runs under KWOK): the real proxy answers 503
    await kc.makeApiClient(k8s.CoreV1Api).createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'proxied-oap' }, spec: { selector: { app: 'no-such-oap' }, ports: [{ port: 12800 }] } },
    });
    const ref = component('topo-proxy', { 'backstage.io/kubernetes-id': 'topo-web', 'skywalking.apache.org/backend': `local/${ns}/proxied` });
    const err = await topologyService({ oapUrl: () => undefined })
      .getTopology({ entityRef: ref, ...window() }, credentials)
      .catch(e => e);
    expect(err.name).toBe('ServiceUnavailableError');
    expect(err.message).toContain(`/api/v1/namespaces/${ns}/services/proxied-oap:12800/proxy (service-proxy) did not answer`);
    expect(err.message).toMatch(/503|no endpoints available/i);
  });

  it('reports an unreachable cluster with its address', async () => {
    const ref = component('topo-clusterdown', { 'backstage.io/kubernetes-id': 'topo-web', 'skywalking.apache.org/backend': `local/${ns}/demo` });
    const down = new k8s.KubeConfig();
    const server = `https://127.0.0.1:${await closedPort()}`;
    down.loadFromOptions({
      clusters: [{ name: 'down', server, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'c', cluster: 'down', user: 'u' }],
      currentContext: 'c',
    });
    await expect(
      topologyService({ kubeConfig: () => down }).getTopology({ entityRef: ref, ...window() }, credentials),
    ).rejects.toThrow(`cluster local (${server}) is unreachable`);
  });

  it('rejects an unparsable entity ref and an entity that is not in the catalog', async () => {
    await expect(topologyService().getTopology({ entityRef: 'component:', ...window() }, credentials)).rejects.toThrow(/invalid entity ref/);
    await expect(topologyService().getTopology({ entityRef: 'component:default/ghost', ...window() }, credentials)).rejects.toThrow(
      'no catalog entity component:default/ghost',
    );
  });
});
