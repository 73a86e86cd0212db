import { createTestNamespace, eventually, getSharedTestCluster } from '@internal/local-cluster';
import { injectWorkload } from '@skywalking-backstage/plugin-skywalking-common';
import { ensureSwckCrds } from '../clusters/crds';
import { K8s, loadK8s } from '../clusters/k8s';
import { JavaAgentController } from './JavaAgentController';

jest.setTimeout(120_000);

const logger: any = { info: () => {}, warn: () => {}, debug: () => {}, error: () => {}, child: () => logger };

describe('JavaAgentController on the local control plane', () => {
  let k8s: typeof K8s;
  let kc: K8s.KubeConfig;
  let ns: string;
  let ctl: JavaAgentController;

  beforeAll(async () => {
    const cluster = await getSharedTestCluster();
    k8s = await loadK8s();
    kc = new k8s.KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    await ensureSwckCrds(kc);
    ns = await createTestNamespace('javaagent');
    ctl = new JavaAgentController({ cluster: 'local', kc, logger, isLeader: () => true, namespace: ns });
    await ctl.start();
  });
  afterAll(() => ctl?.stop());

  it('records injected pods in a SWCK JavaAgent per pod selector with expected and injected counts', async () => {
    const base = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'orders', namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'orders' } },
        template: {
          metadata: {
            labels: { app: 'orders', 'swck-java-agent-injected': 'true' },
            annotations: { 'agent.skywalking.apache.org/agent.service_name': 'orders', 'agent.skywalking.apache.org/collector.backend_service': 'demo-oap.sw:11800' },
          },
          spec: { containers: [{ name: 'app', image: 'eclipse-temurin:21-jre' }] },
        },
      },
    };
    const { object } = injectWorkload(base, { force: true });
    await kc.makeApiClient(k8s.AppsV1Api).createNamespacedDeployment({ namespace: ns, body: object as any });
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const agent: any = await eventually('JavaAgent with 2/2 injected', async () => {
      const a: any = await custom.getNamespacedCustomObject({ group: 'operator.skywalking.apache.org', version: 'v1alpha1', namespace: ns, plural: 'javaagents', name: 'app-orders-javaagent' });
      return a.status?.realInjectedNum === 2 ? a : undefined;
    }, 60_000);
    expect(agent.spec).toMatchObject({ podSelector: 'app=orders', serviceName: 'orders', backendService: 'demo-oap.sw:11800' });
    expect(agent.status.expectedInjectiedNum).toBe(2);
    expect(agent.metadata.ownerReferences[0].kind).toBe('ReplicaSet');
    // steady state: nothing more to write
    await ctl.idle();
    const before = ctl.writes;
    await new Promise(r => setTimeout(r, 1000));
    expect(ctl.writes).toBe(before);
  });

  it('keeps the watched pods without managedFields (the API server sends them; nothing here reads them)', async () => {
    const live = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: ns, labelSelector: 'app=orders' });
    expect(live.items.length).toBe(2);
    expect(live.items.every(p => (p.metadata?.managedFields ?? []).length > 0)).toBe(true);
    const cached = ctl.cachedPods(ns);
    expect(cached.map(p => p.metadata.name).sort()).toEqual(live.items.map(p => p.metadata!.name).sort());
    expect(cached.filter(p => p.metadata.managedFields !== undefined)).toEqual([]);
  });

  it('counts only the pods of its own selector when the label key holds a "/" (app.kubernetes.io/name, M12)', async () => {
    const appsApi = kc.makeApiClient(k8s.AppsV1Api);
    for (const app of ['cart', 'billing']) {
      const { object } = injectWorkload(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: `k8s-${app}`, namespace: ns },
          spec: {
            replicas: app === 'cart' ? 1 : 3,
            selector: { matchLabels: { 'app.kubernetes.io/name': app } },
            template: {
              metadata: { labels: { 'app.kubernetes.io/name': app, 'swck-java-agent-injected': 'true' }, annotations: { 'agent.skywalking.apache.org/agent.service_name': app } },
              spec: { containers: [{ name: 'app', image: 'eclipse-temurin:21-jre' }] },
            },
          },
        },
        { force: true },
      );
      await appsApi.createNamespacedDeployment({ namespace: ns, body: object as any });
    }
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const read = (name: string) =>
      custom.getNamespacedCustomObject({ group: 'operator.skywalking.apache.org', version: 'v1alpha1', namespace: ns, plural: 'javaagents', name }) as Promise<any>;
    const billing = await eventually('billing JavaAgent with 3/3 injected', async () => {
      const a = await read('app-kubernetes-io-name-billing-javaagent');
      return a.status?.realInjectedNum === 3 ? a : undefined;
    }, 60_000);
    const cart = await eventually('cart JavaAgent with 1/1 injected', async () => {
      const a = await read('app-kubernetes-io-name-cart-javaagent');
      return a.status?.realInjectedNum === 1 ? a : undefined;
    }, 60_000);
    await ctl.idle();
    // split on "/", the key read back as "app.kubernetes.io" with no value and matched all 6 injected pods here
    expect([billing.spec.podSelector, billing.status.expectedInjectiedNum]).toEqual(['app.kubernetes.io/name=billing', 3]);
    expect([cart.spec.podSelector, cart.status.expectedInjectiedNum]).toEqual(['app.kubernetes.io/name=cart', 1]);
    expect((await read('app-kubernetes-io-name-cart-javaagent')).status.realInjectedNum).toBe(1);
  });
});
