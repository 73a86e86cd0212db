import http from 'node:http';
import net from 'node:net';
import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { EntityProviderConnection, EntityProviderMutation } from '@backstage/plugin-catalog-node';
import { createTestNamespace, eventually, getSharedTestCluster } from '@internal/local-cluster';
import YAML from 'yaml';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { ensureSwckCrds } from '../clusters/crds';
import { loadK8s } from '../clusters/k8s';
import { BackendService } from '../service/BackendService';
import { MemoryOutbox, quietLogger } from '../service/testOutbox';
import { SkyWalkingBackendEntityProvider } from './SkyWalkingBackendEntityProvider';

/*
 * M11: a cluster that cannot be listed must not lose its entities. Two
 * configured clusters on the shared test control plane, `west` through a TCP
 * relay this test closes (then its API server is unreachable); the provider
 * reads GET /backends as served from a real BackendService.
 */

jest.setTimeout(90_000);

/** The catalog side: applies full and delta mutations as the catalog does, per entity name. */
class CatalogModel implements EntityProviderConnection {
  entities = new Map<string, Entity>();
  async applyMutation(m: EntityProviderMutation) {
    if (m.type === 'full') {
      this.entities = new Map(m.entities.map(e => [e.entity.metadata.name, e.entity]));
      return;
    }
    for (const e of m.removed) if ('entity' in e) this.entities.delete(e.entity.metadata.name);
    for (const e of m.added) this.entities.set(e.entity.metadata.name, e.entity);
  }
  async refresh() {}
  names(ns: string) {
    return [...this.entities.values()].filter(e => e.metadata.annotations?.['backstage.io/kubernetes-namespace'] === ns).map(e => e.metadata.annotations?.['skywalking.apache.org/backend']).sort();
  }
}

let relay: net.Server;
const relaySockets = new Set<net.Socket>();
let api: http.Server;
let base: string;
let ns: string;
let backends: BackendService;

beforeAll(async () => {
  const cluster = await getSharedTestCluster();
  const k8s = await loadK8s();
  const admin = new k8s.KubeConfig();
  admin.loadFromString(cluster.kubeconfig);
  await ensureSwckCrds(admin);
  ns = await createTestNamespace('catalog');
  const target = new URL(cluster.server);
  relay = net.createServer(sock => {
    const up = net.connect(Number(target.port), target.hostname);
    relaySockets.add(sock).add(up);
    sock.pipe(up).pipe(sock);
    const end = () => {
      sock.destroy();
      up.destroy();
    };
    sock.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>(r => relay.listen(0, '127.0.0.1', r));
  const west = YAML.parse(cluster.kubeconfig);
  // the API server's certificate names 127.0.0.1: the relay on another port keeps it valid
  west.clusters[0].cluster.server = `https://127.0.0.1:${(relay.address() as net.AddressInfo).port}`;
  const registry = await ClusterRegistry.fromDefinitions(
    [
      { name: 'east', kubeconfig: cluster.kubeconfig },
      { name: 'west', kubeconfig: YAML.stringify(west) },
    ],
    quietLogger,
  );
  backends = new BackendService({ clusters: registry, outbox: new MemoryOutbox(), logger: quietLogger });
  await backends.create({ cluster: 'east', namespace: ns, name: 'demo', version: '10.2.0', ui: { enabled: false } }, 'user:default/tester');
  api = http.createServer(async (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(await backends.listWithStatus()));
  });
  await new Promise<void>(r => api.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(api.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  api?.close();
  relay?.close();
  for (const s of relaySockets) s.destroy();
});

/** Waits until GET /backends lists (or no longer lists) a backend: a fresh custom resource type's list may lag its first writes. */
const listed = (ref: string, present: boolean) =>
  eventually(`${ref} ${present ? '' : 'not '}listed`, async () => (await backends.listWithStatus()).items.some(b => `${b.cluster}/${b.namespace}/${b.name}` === ref) === present, 30_000);

function provider() {
  return new SkyWalkingBackendEntityProvider({
    discovery: { getBaseUrl: async () => base, getExternalBaseUrl: async () => base },
    auth: mockServices.auth(),
    logger: quietLogger,
    taskRunner: { run: async () => {} },
  });
}

describe('SkyWalkingBackendEntityProvider', () => {
  it('keeps the entities of a cluster that cannot be listed, also across a restart of the provider, and removes what a listed cluster lost', async () => {
    const catalog = new CatalogModel();
    const p = provider();
    await p.connect(catalog);
    await listed(`east/${ns}/demo`, true);
    await listed(`west/${ns}/demo`, true);
    await p.refresh();
    expect(catalog.names(ns)).toEqual([`east/${ns}/demo`, `west/${ns}/demo`]);

    // west's API server becomes unreachable
    await new Promise<void>(r => {
      relay.close(() => r());
      for (const s of relaySockets) s.destroy();
    });
    const status = await backends.listWithStatus();
    expect(status.unavailableClusters.map(u => u.cluster)).toEqual(['west']);
    expect(status.items.some(b => b.cluster === 'west')).toBe(false);
    await p.refresh();
    expect(catalog.names(ns)).toEqual([`east/${ns}/demo`, `west/${ns}/demo`]);

    // a restarted provider has never seen west: it changes only what it listed
    const restarted = provider();
    await restarted.connect(catalog);
    await backends.delete({ cluster: 'east', namespace: ns, name: 'demo' }, 'user:default/tester');
    await listed(`east/${ns}/demo`, false);
    await p.refresh(); // the first provider saw east's demo: it goes
    expect(catalog.names(ns)).toEqual([`west/${ns}/demo`]);
    await backends.create({ cluster: 'east', namespace: ns, name: 'again', version: '10.2.0', ui: { enabled: false } }, 'user:default/tester');
    await listed(`east/${ns}/again`, true);
    await restarted.refresh();
    expect(catalog.names(ns)).toEqual([`east/${ns}/again`, `west/${ns}/demo`]);
  });
});
