/*
 * The tracing toggle against the real local control plane
 * (@internal/local-cluster): kube-apiserver, controllers, scheduler and KWOK
 * nodes, so Deployments roll out, pods get created through admission and
 * become Running. The tenancy model is the real TenancyService; the catalog,
 * Backstage's user info and the permission decision are hand-written
 * stand-ins. What the toggle may act on (issue 15) is in authorise.test.ts.
 */
import type { BackstageCredentials, LoggerService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import knexFactory from 'knex';
import { createTestNamespace, eventually, getSharedTestCluster } from '@internal/local-cluster';
import type * as K8s from '@kubernetes/client-node';
import { applyDatabaseMigrations } from '../database/migrations';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { generateServingCertificate } from '../webhook/certificates';
import { WebhookServer } from '../webhook/server';
import { deleteWebhookConfiguration, ensureWebhookConfiguration } from './admissionMutator';
import { loadK8s } from '../clusters/k8s';
import { TracingNotAppliedError, TracingService, TracingServiceOptions } from './TracingService';
import { testTracingWorld } from './__testUtils__/tracingWorld';

jest.setTimeout(180_000);

let k8s: typeof K8s;
let kc: K8s.KubeConfig;
let apps: K8s.AppsV1Api;
let core: K8s.CoreV1Api;
let store: SkyWalkingStore;
let closeDb: (() => Promise<void>) | undefined;
// @backstage/backend-test-utils cannot load under --experimental-vm-modules
// (which the ESM Kubernetes client needs): a silent logger and plain credentials
const logger: LoggerService = { error() {}, warn() {}, info() {}, debug() {}, child: () => logger };
const credentials: BackstageCredentials = {
  $$type: '@backstage/BackstageCredentials',
  principal: { type: 'user', userEntityRef: 'user:default/alice' },
};
const actor = 'user:default/alice';
let backend: { cluster: string; namespace: string; name: string };
let COLLECTOR: string;
const AGENT_JAR = '-javaagent:/sky/agent/skywalking-agent.jar';

const entities = new Map<string, Entity>();
const catalog = { getEntityByRef: async (ref: string) => entities.get(ref) };
let world: Awaited<ReturnType<typeof testTracingWorld>>;

function component(name: string, annotations: Record<string, string>): string {
  const ref = `component:default/${name}`;
  entities.set(ref, {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations: { 'backstage.io/kubernetes-id': name, ...annotations } },
    spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
  });
  return ref;
}

function service(over: Partial<TracingServiceOptions> = {}) {
  return new TracingService({
    store,
    catalog,
    tenancy: world.tenancy,
    permissions: world.permissions,
    getKubeConfig: async () => kc,
    clusters: () => ['local'],
    injectionMode: () => 'webhook',
    backendCollector: b => `${b.name}-oap.${b.namespace}:11800`,
    logger,
    ...over,
  });
}

const deployment = (name: string, replicas: number, containers: K8s.V1Container[] = [{ name: 'app', image: 'registry.invalid/app:1' }]): K8s.V1Deployment => ({
  metadata: { name, labels: { app: name, 'backstage.io/kubernetes-id': name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name, 'backstage.io/kubernetes-id': name }, annotations: { 'team.example.com/owner': 'a' } },
      spec: { containers },
    },
  },
});

const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** The live pods of a deployment's current template (Running, not terminating). */
async function runningPods(namespace: string, app: string) {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  return pods.items.filter(p => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running');
}

async function rolledOut(namespace: string, name: string) {
  const d = await apps.readNamespacedDeployment({ name, namespace });
  const want = d.spec?.replicas ?? 1;
  const s = d.status;
  return (
    s?.observedGeneration === d.metadata?.generation &&
    s?.updatedReplicas === want &&
    s?.replicas === want &&
    s?.availableReplicas === want
  );
}

const agentInit = (p: K8s.V1Pod) => p.spec?.initContainers?.find(c => c.name === 'inject-skywalking-agent');
const env = (c: K8s.V1Container | undefined, name: string) => c?.env?.find(e => e.name === name)?.value;

beforeAll(async () => {
  const cluster = await getSharedTestCluster();
  k8s = await loadK8s();
  kc = new k8s.KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  core = kc.makeApiClient(k8s.CoreV1Api);
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
  await applyDatabaseMigrations(knex);
  store = new SkyWalkingStore(knex);
  closeDb = () => knex.destroy();
  world = await testTracingWorld(kc, entities);
  backend = world.backend;
  COLLECTOR = `demo-oap.${backend.namespace}:11800`;
});

afterAll(() => closeDb?.());

describe('webhook mode', () => {
  let server: WebhookServer;
  let webhookName: string;
  let ns: string;
  let istioNs: string;
  let probeNs: string;

  beforeAll(async () => {
    [ns, istioNs, probeNs] = await Promise.all([
      createTestNamespace('tracing-webhook'),
      createTestNamespace('tracing-istio'),
      createTestNamespace('tracing-probe'),
    ]);
    const cert = generateServingCertificate({
      commonName: 'skywalking-webhook',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      validityMs: 3600_000,
    });
    server = new WebhookServer({
      host: '127.0.0.1',
      port: 0,
      certPem: cert.certPem,
      keyPem: cert.keyPem,
      logger,
    });
    const port = await server.start();
    // a name and namespaces of our own: the cluster is shared with other test files
    webhookName = `swb-tracing-${ns}`;
    const applied = await ensureWebhookConfiguration(kc, {
      url: `https://127.0.0.1:${port}`,
      caPem: cert.caPem,
      name: webhookName,
      namespaces: [ns, istioNs, probeNs],
    });
    if (applied.webhooks?.[0].failurePolicy !== 'Ignore') throw new Error('the webhook must be registered with failurePolicy Ignore');
    // the API server picks the configuration up within a moment: wait until a probe pod is injected
    await core.patchNamespace(
      { name: probeNs, body: { metadata: { labels: { 'swck-injection': 'enabled' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually(
      'the webhook to inject a probe pod',
      async () => {
        const p = await core.createNamespacedPod({
          namespace: probeNs,
          body: {
            metadata: { generateName: 'probe-', labels: { 'swck-java-agent-injected': 'true' } },
            spec: { containers: [{ name: 'app', image: 'x' }] },
          },
        });
        return agentInit(p);
      },
      30_000,
      500,
    );
  });

  afterAll(async () => {
    await deleteWebhookConfiguration(kc, webhookName);
    await server.stop();
  });

  it('registers the webhook by server-side apply: failurePolicy Ignore, opt-in selectors, our field manager', async () => {
    const c = await kc.makeApiClient(k8s.AdmissionregistrationV1Api).readMutatingWebhookConfiguration({ name: webhookName });
    const [w] = c.webhooks!;
    expect(w.failurePolicy).toBe('Ignore');
    expect(w.objectSelector).toEqual({ matchLabels: { 'swck-java-agent-injected': 'true' } });
    expect(w.namespaceSelector?.matchLabels).toEqual({ 'swck-injection': 'enabled' });
    expect(c.metadata?.managedFields?.map(f => [f.manager, f.operation])).toEqual([['skywalking-backstage-tracing', 'Apply']]);
  });

  it('injects the agent into the application container only, never into istio-proxy', async () => {
    await apps.createNamespacedDeployment({
      namespace: istioNs,
      body: deployment('mesh', 1, [
        { name: 'app', image: 'registry.invalid/app:1' },
        { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.0', args: ['proxy', 'sidecar'] },
      ]),
    });
    const ref = component('mesh', { 'backstage.io/kubernetes-namespace': istioNs });
    await service().setTracing({ entityRef: ref, enabled: true, backend }, actor, credentials);

    const pods = await eventually('injected mesh pods', async () => {
      const p = await runningPods(istioNs, 'mesh');
      return (await rolledOut(istioNs, 'mesh')) && p.length === 1 && p.every(agentInit) ? p : undefined;
    }, 60_000, 500);
    const [app, proxy] = ['app', 'istio-proxy'].map(n => pods[0].spec!.containers.find(c => c.name === n)!);
    expect(env(app, 'JAVA_TOOL_OPTIONS')).toContain(AGENT_JAR);
    expect(app.volumeMounts).toContainEqual(expect.objectContaining({ name: 'sky-agent', mountPath: '/sky/agent' }));
    expect(proxy.env ?? []).toEqual([]);
    expect(proxy.volumeMounts?.some(m => m.name === 'sky-agent')).toBeFalsy();
  });

  it('enables tracing: new pods carry the agent, status counts them, and pods are still created (uninjected) when the webhook is down', async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('orders', 2) });
    await eventually('orders rolled out', () => rolledOut(ns, 'orders'), 60_000, 500);
    const original = plain((await apps.readNamespacedDeployment({ name: 'orders', namespace: ns })).spec!.template);
    const ref = component('orders', { 'backstage.io/kubernetes-namespace': ns });
    const svc = service();

    const before = await svc.getStatus(ref, credentials);
    expect(before).toMatchObject({ enabled: false, clusters: [{ name: 'local', reachable: true }] });
    expect(before.workloads).toEqual([
      { cluster: 'local', namespace: ns, kind: 'Deployment', name: 'orders', injectedPods: 0, totalPods: 2, mode: 'webhook' },
    ]);

    await svc.setTracing({ entityRef: ref, enabled: true, backend }, actor, credentials);

    const nsObj = await core.readNamespace({ name: ns });
    expect(nsObj.metadata?.labels?.['swck-injection']).toBe('enabled');
    const template = (await apps.readNamespacedDeployment({ name: 'orders', namespace: ns })).spec!.template;
    expect(template.metadata?.labels?.['swck-java-agent-injected']).toBe('true');
    expect(template.metadata?.annotations).toMatchObject({
      'agent.skywalking.apache.org/agent.service_name': 'orders',
      'agent.skywalking.apache.org/collector.backend_service': COLLECTOR,
    });

    const pods = await eventually('orders pods injected by the webhook', async () => {
      const p = await runningPods(ns, 'orders');
      return (await rolledOut(ns, 'orders')) && p.length === 2 && p.every(agentInit) ? p : undefined;
    }, 90_000, 500);
    for (const p of pods) {
      expect(agentInit(p)!.image).toBe('apache/skywalking-java-agent:9.3.0-java17');
      const app = p.spec!.containers[0];
      expect(env(app, 'JAVA_TOOL_OPTIONS')).toContain(AGENT_JAR);
      expect(env(app, 'SW_AGENT_COLLECTOR_BACKEND_SERVICES')).toBe(COLLECTOR);
      expect(env(app, 'SW_AGENT_NAME')).toBe('orders');
    }

    const status = await eventually('status counting the injected pods', async () => {
      const s = await svc.getStatus(ref, credentials);
      return s.workloads[0]?.totalPods === 2 && s.workloads[0].injectedPods === 2 ? s : undefined;
    });
    expect(status).toMatchObject({
      entityRef: ref,
      enabled: true,
      backend,
      updatedBy: actor,
      clusters: [{ name: 'local', reachable: true }],
      workloads: [{ cluster: 'local', namespace: ns, kind: 'Deployment', name: 'orders', agentVersion: '9.3.0-java17', mode: 'webhook' }],
    });
    expect(status.history[0]).toMatchObject({ actor, action: 'tracing.enable', target: `entity:${ref}`, details: { backend, collector: COLLECTOR } });

    // the portal (and its webhook) goes down: failurePolicy Ignore lets pods through, uninjected
    await server.stop();
    await core.deleteNamespacedPod({ name: pods[0].metadata!.name!, namespace: ns });
    const replacement = await eventually('a replacement pod without the webhook', async () => {
      const p = await runningPods(ns, 'orders');
      return p.find(x => x.metadata!.name !== pods[0].metadata!.name && x.metadata!.name !== pods[1].metadata!.name);
    }, 60_000, 500);
    expect(agentInit(replacement)).toBeUndefined();
    expect(env(replacement.spec!.containers[0], 'JAVA_TOOL_OPTIONS')).toBeUndefined();
    const degraded = await eventually('status with one uninjected pod', async () => {
      const s = await svc.getStatus(ref, credentials);
      return s.workloads[0]?.totalPods === 2 && s.workloads[0].injectedPods === 1 ? s : undefined;
    });
    expect(degraded.workloads[0].injectedPods).toBe(1);

    // turning it off takes exactly our label, annotations and namespace label away again
    await svc.setTracing({ entityRef: ref, enabled: false }, actor, credentials);
    const after = plain((await apps.readNamespacedDeployment({ name: 'orders', namespace: ns })).spec!.template);
    expect(after).toEqual(original);
    expect((await core.readNamespace({ name: ns })).metadata?.labels?.['swck-injection']).toBeUndefined();
    const off = await svc.getStatus(ref, credentials);
    expect(off.enabled).toBe(false);
    expect(off.history.map(h => h.action).slice(0, 2)).toEqual(['tracing.disable', 'tracing.enable']);
  });

  it('keeps a namespace label and template fields someone else had set when tracing is turned off', async () => {
    const shared = await createTestNamespace('tracing-shared');
    await core.patchNamespace(
      { name: shared, body: { metadata: { labels: { 'swck-injection': 'enabled' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const d = deployment('cart', 1);
    d.spec!.template.metadata!.labels!['swck-java-agent-injected'] = 'true';
    await apps.createNamespacedDeployment({ namespace: shared, body: d });
    const original = plain((await apps.readNamespacedDeployment({ name: 'cart', namespace: shared })).spec!.template);
    const ref = component('cart', { 'backstage.io/kubernetes-namespace': shared });
    const svc = service();
    await svc.setTracing({ entityRef: ref, enabled: true, backend }, actor, credentials);
    await svc.setTracing({ entityRef: ref, enabled: false }, actor, credentials);
    expect(plain((await apps.readNamespacedDeployment({ name: 'cart', namespace: shared })).spec!.template)).toEqual(original);
    expect((await core.readNamespace({ name: shared })).metadata?.labels?.['swck-injection']).toBe('enabled');
  });
});

describe('patch mode', () => {
  it('injects the pod template, restores it after another writer removed the init container, and restores the original on disable', async () => {
    const ns = await createTestNamespace('tracing-patch');
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('billing', 1, [
        { name: 'app', image: 'registry.invalid/billing:1', env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-Xmx256m' }] },
      ]),
    });
    await eventually('billing rolled out', () => rolledOut(ns, 'billing'), 60_000, 500);
    const original = plain((await apps.readNamespacedDeployment({ name: 'billing', namespace: ns })).spec!.template);
    const ref = component('billing', { 'backstage.io/kubernetes-namespace': ns });
    const svc = service({ injectionMode: () => 'patch' });

    await svc.setTracing({ entityRef: ref, enabled: true, backend }, actor, credentials);
    const template = (await apps.readNamespacedDeployment({ name: 'billing', namespace: ns })).spec!.template;
    expect(agentInit(template as K8s.V1Pod)).toBeDefined();
    expect(env(template.spec!.containers[0], 'JAVA_TOOL_OPTIONS')).toBe(`-Xmx256m ${AGENT_JAR}`);
    expect(env(template.spec!.containers[0], 'SW_AGENT_COLLECTOR_BACKEND_SERVICES')).toBe(COLLECTOR);
    // patch mode needs no namespace label and no webhook
    expect((await core.readNamespace({ name: ns })).metadata?.labels?.['swck-injection']).toBeUndefined();

    await eventually('billing pods injected from the template', async () => {
      const s = await svc.getStatus(ref, credentials);
      const w = s.workloads[0];
      return (await rolledOut(ns, 'billing')) && w?.totalPods === 1 && w.injectedPods === 1 ? s : undefined;
    }, 60_000, 500);
    const status = await svc.getStatus(ref, credentials);
    expect(status.workloads[0]).toMatchObject({ mode: 'patch', agentVersion: '9.3.0-java17' });

    // another writer (a CI pipeline re-applying its manifest) drops the init container
    await apps.patchNamespacedDeployment(
      { name: 'billing', namespace: ns, body: [{ op: 'remove', path: '/spec/template/spec/initContainers' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    const broken = (await apps.readNamespacedDeployment({ name: 'billing', namespace: ns })).spec!.template;
    expect(broken.spec!.initContainers).toBeUndefined();

    const first = await svc.reconcileTracing();
    // a failed re-apply is reported, not thrown: say which one it was
    expect(first.errors.filter(e => e.includes('billing'))).toEqual([]);
    expect(first.changed).toContain(`local/${ns}/Deployment/billing`);
    const repaired = plain((await apps.readNamespacedDeployment({ name: 'billing', namespace: ns })).spec!.template);
    expect(repaired).toEqual(plain(template));
    // nothing to do the second time
    const second = await svc.reconcileTracing();
    expect(second.changed).not.toContain(`local/${ns}/Deployment/billing`);
    expect((await store.listAudit({ target: `entity:${ref}` }))[0]).toMatchObject({ action: 'tracing.reconcile', actor: 'skywalking-backstage' });

    await svc.setTracing({ entityRef: ref, enabled: false }, actor, credentials);
    expect(plain((await apps.readNamespacedDeployment({ name: 'billing', namespace: ns })).spec!.template)).toEqual(original);
    await eventually('billing pods without the agent', async () => {
      const s = await svc.getStatus(ref, credentials);
      const w = s.workloads[0];
      return (await rolledOut(ns, 'billing')) && w?.totalPods === 1 && w.injectedPods === 0 ? s : undefined;
    }, 60_000, 500);
  });
});

describe('workload selection', () => {
  it('finds Deployments, StatefulSets and DaemonSets by the label-selector annotation in every namespace mapped to the owner, and nowhere else', async () => {
    const [a, b] = await Promise.all([createTestNamespace('tracing-sel-a'), createTestNamespace('tracing-sel-b')]);
    const group = `grp-${a.slice(-6)}`;
    const labels = { app: 'inv', 'example.com/group': group };
    const template = { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'inv:1' }] } };
    await apps.createNamespacedDeployment({ namespace: a, body: { metadata: { name: 'inv-api', labels }, spec: { replicas: 1, selector: { matchLabels: labels }, template } } });
    await apps.createNamespacedStatefulSet({ namespace: b, body: { metadata: { name: 'inv-db', labels }, spec: { replicas: 1, serviceName: 'inv-db', selector: { matchLabels: labels }, template } } });
    await apps.createNamespacedDaemonSet({ namespace: b, body: { metadata: { name: 'inv-agent', labels }, spec: { selector: { matchLabels: labels }, template } } });
    // same labels but outside the selector: must not be touched
    await apps.createNamespacedDeployment({ namespace: a, body: deployment('other', 1) });
    // the selector's labels in a namespace of team B: not the owner's, never touched
    const foreign = await createTestNamespace('teamb-sel');
    await apps.createNamespacedDeployment({ namespace: foreign, body: { metadata: { name: 'inv-api', labels }, spec: { replicas: 1, selector: { matchLabels: labels }, template } } });
    const ref = component('inventory', { 'backstage.io/kubernetes-label-selector': `example.com/group=${group}` });
    entities.get(ref)!.metadata.annotations!['backstage.io/kubernetes-id'] = 'ignored-when-a-selector-is-given';
    const svc = service({ injectionMode: () => 'patch' });

    const s = await svc.setTracing({ entityRef: ref, enabled: true, backend }, actor, credentials);
    expect(s.workloads.map(w => `${w.namespace}/${w.kind}/${w.name}`)).toEqual([`${a}/Deployment/inv-api`, `${b}/DaemonSet/inv-agent`, `${b}/StatefulSet/inv-db`]);
    for (const w of [
      await apps.readNamespacedDeployment({ name: 'inv-api', namespace: a }),
      await apps.readNamespacedStatefulSet({ name: 'inv-db', namespace: b }),
      await apps.readNamespacedDaemonSet({ name: 'inv-agent', namespace: b }),
    ]) {
      expect(w.spec!.template.spec!.initContainers?.map(c => c.name)).toEqual(['inject-skywalking-agent']);
    }
    expect((await apps.readNamespacedDeployment({ name: 'other', namespace: a })).spec!.template.spec!.initContainers).toBeUndefined();
    expect((await apps.readNamespacedDeployment({ name: 'inv-api', namespace: foreign })).spec!.template.spec!.initContainers).toBeUndefined();
    const status = await eventually('pods of all three kinds injected', async () => {
      const st = await svc.getStatus(ref, credentials);
      return st.workloads.every(w => w.totalPods > 0 && w.injectedPods === w.totalPods) ? st : undefined;
    }, 60_000, 500);
    expect(status.workloads.find(w => w.kind === 'DaemonSet')!.totalPods).toBeGreaterThanOrEqual(1);
  });
});

describe('an unreachable cluster', () => {
  it('fails with an error naming the cluster and the cause, keeps the desired state, and reconcile applies it once the cluster answers', async () => {
    const ns = await createTestNamespace('tracing-away');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('ledger', 1) });
    const ref = component('ledger', { 'backstage.io/kubernetes-namespace': ns, 'backstage.io/kubernetes-cluster': 'remote' });

    // a port nobody listens on
    const down = new k8s.KubeConfig();
    down.loadFromOptions({
      clusters: [{ name: 'remote', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'remote', cluster: 'remote', user: 'u' }],
      currentContext: 'remote',
    });
    let remote = down;
    const svc = service({ clusters: () => ['local', 'remote'], getKubeConfig: async c => (c === 'remote' ? remote : kc) });

    const attempt = svc.setTracing({ entityRef: ref, enabled: true, backend }, actor, credentials);
    await expect(attempt).rejects.toThrow(TracingNotAppliedError);
    await expect(attempt).rejects.toThrow(/cluster remote \(https:\/\/127\.0\.0\.1:1\) is unreachable: .*ECONNREFUSED/);
    // Backstage's error handler answers ServiceUnavailableError with 503
    await expect(attempt).rejects.toMatchObject({ name: 'ServiceUnavailableError', clusters: [{ name: 'remote', error: expect.stringMatching(/ECONNREFUSED/) }] });

    expect(await store.getTracing(ref)).toMatchObject({ enabled: true, backend, updatedBy: actor });
    const [audit] = await store.listAudit({ target: `entity:${ref}` });
    expect(audit).toMatchObject({ action: 'tracing.enable', details: { pending: [{ cluster: 'remote', error: expect.stringMatching(/unreachable/) }] } });
    const status = await svc.getStatus(ref, credentials);
    expect(status).toMatchObject({ enabled: true, workloads: [] });
    expect(status.clusters).toEqual([{ name: 'remote', reachable: false, error: expect.stringMatching(/cluster remote .* is unreachable/) }]);
    const untouched = (await apps.readNamespacedDeployment({ name: 'ledger', namespace: ns })).spec!.template;
    expect(untouched.metadata?.labels?.['swck-java-agent-injected']).toBeUndefined();

    // the cluster is back (here: the same control plane under the name "remote")
    remote = kc;
    const r = await svc.reconcileTracing();
    expect(r.changed).toContain(`remote/${ns}/Deployment/ledger`);
    const applied = (await apps.readNamespacedDeployment({ name: 'ledger', namespace: ns })).spec!.template;
    expect(applied.metadata?.labels?.['swck-java-agent-injected']).toBe('true');
    expect(applied.metadata?.annotations?.['agent.skywalking.apache.org/collector.backend_service']).toBe(COLLECTOR);
    expect((await svc.getStatus(ref, credentials)).clusters).toEqual([{ name: 'remote', reachable: true }]);
  });
});
