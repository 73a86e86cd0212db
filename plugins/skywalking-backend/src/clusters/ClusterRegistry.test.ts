import net from 'node:net';
import { ConfigReader } from '@backstage/config';
import { ClusterRegistry, readClusterDefinitions } from './ClusterRegistry';

const logger: any = { info: () => {}, warn: () => {}, debug: () => {}, error: () => {}, child: () => logger };

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>(r => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise(r => s.close(r));
  return port;
}

describe('readClusterDefinitions', () => {
  it('reads clusters as Backstage kubernetes config does, with skywalking.clusters options', () => {
    const config = new ConfigReader({
      kubernetes: {
        clusterLocatorMethods: [
          {
            type: 'config',
            clusters: [
              { name: 'prod', url: 'https://prod.example:6443', authProvider: 'serviceAccount', serviceAccountToken: 'tok', caData: 'Q0E=', skipTLSVerify: false },
              { name: 'dev', kubeconfigPath: '/home/me/.kube/config', context: 'dev-ctx' },
            ],
          },
          { type: 'localKubectlProxy' },
          { type: 'catalog' },
        ],
      },
      skywalking: { clusters: { prod: { injectionMode: 'patch', reconcile: false }, local: { reconcile: true } } },
    });
    const defs = readClusterDefinitions(config);
    expect(defs).toEqual([
      expect.objectContaining({ name: 'prod', url: 'https://prod.example:6443', authProvider: 'serviceAccount', serviceAccountToken: 'tok', caData: 'Q0E=', injectionMode: 'patch', reconcile: false }),
      expect.objectContaining({ name: 'dev', authProvider: 'kubeconfig', kubeconfigPath: '/home/me/.kube/config', context: 'dev-ctx', injectionMode: 'webhook', reconcile: true }),
      expect.objectContaining({ name: 'local', url: 'http://127.0.0.1:8001', authProvider: 'localKubectlProxy', reconcile: true }),
    ]);
  });

  it('refuses auth providers it cannot use and duplicate names, naming the cluster', () => {
    const oidc = new ConfigReader({ kubernetes: { clusterLocatorMethods: [{ type: 'config', clusters: [{ name: 'eks', url: 'https://x', authProvider: 'aws' }] }] } });
    expect(() => readClusterDefinitions(oidc)).toThrow('cluster eks: authProvider aws is not supported');
    const dup = new ConfigReader({ kubernetes: { clusterLocatorMethods: [{ type: 'config', clusters: [{ name: 'a', url: 'https://x' }, { name: 'a', url: 'https://y' }] }] } });
    expect(() => readClusterDefinitions(dup)).toThrow('cluster name a is configured twice');
  });
});

describe('ClusterRegistry', () => {
  it('builds a token KubeConfig per configured cluster and typed clients', async () => {
    const registry = await ClusterRegistry.create({
      config: new ConfigReader({ kubernetes: { clusterLocatorMethods: [{ type: 'config', clusters: [{ name: 'prod', url: 'https://prod.example:6443', serviceAccountToken: 'tok', skipTLSVerify: true }] }] } }),
      logger,
    });
    expect(registry.names()).toEqual(['prod']);
    expect(registry.url('prod')).toBe('https://prod.example:6443');
    expect(registry.kubeConfig('prod').getCurrentUser()?.token).toBe('tok');
    const c = registry.clients('prod');
    expect(c).toBe(registry.clients('prod'));
    expect(typeof c.core.listNamespace).toBe('function');
    expect(typeof c.objects.patch).toBe('function');
    expect(() => registry.clients('nope')).toThrow('unknown cluster "nope"; configured: prod');
  });

  it('reports an unreachable cluster with its name, URL and the cause, and notifies health listeners', async () => {
    const port = await closedPort();
    const registry = await ClusterRegistry.fromDefinitions([{ name: 'gone', url: `https://127.0.0.1:${port}`, skipTLSVerify: true }], logger);
    const changes: boolean[] = [];
    registry.onHealthChange(h => changes.push(h.reachable));
    const summary = await registry.check('gone');
    expect(summary.reachable).toBe(false);
    expect(summary.error).toMatch(new RegExp(`^cluster gone \\(https://127\\.0\\.0\\.1:${port}\\) is unreachable: .*ECONNREFUSED`));
    expect(registry.health('gone')).toMatchObject({ name: 'gone', reachable: false, url: `https://127.0.0.1:${port}` });
    expect(registry.health('gone').checkedAt).toBeGreaterThan(0);
    expect(changes).toEqual([false]);
  });
});
