/*
 * What the tracing toggle may act on (issue 15, finding C1), attacked on the
 * real local control plane: refused requests change nothing in the cluster,
 * an entity without namespace annotation stays inside its owner's mapped
 * namespaces, the backend must be a portal backend the caller may read,
 * team A cannot reach team B's namespace, one entity's off keeps another's
 * on, and the reconcile runs on the leader only and re-checks the rules.
 */
import type { BackstageCredentials, LoggerService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { createTestNamespace, getSharedTestCluster } from '@internal/local-cluster';
import type * as K8s from '@kubernetes/client-node';
import { applyDatabaseMigrations } from '../database/migrations';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { loadK8s } from '../clusters/k8s';
import { TracingService, TracingServiceOptions } from './TracingService';
import { testTracingWorld, userCredentials } from './__testUtils__/tracingWorld';

jest.setTimeout(180_000);

let k8s: typeof K8s;
let kc: K8s.KubeConfig;
let apps: K8s.AppsV1Api;
let core: K8s.CoreV1Api;
let store: SkyWalkingStore;
let closeDb: (() => Promise<void>) | undefined;
let world: Awaited<ReturnType<typeof testTracingWorld>>;
const logger: LoggerService = { error() {}, warn() {}, info() {}, debug() {}, child: () => logger };
const alice = userCredentials('user:default/alice');
const bob = userCredentials('user:default/bob');
const entities = new Map<string, Entity>();
const catalog = { getEntityByRef: async (ref: string) => entities.get(ref) };

function entity(ref: string, annotations: Record<string, string>, owner = 'team-a'): string {
  const [kindNs, name] = ref.split('/');
  const [, namespace] = kindNs.split(':');
  entities.set(ref, {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace, annotations },
    spec: { type: 'service', owner, lifecycle: 'production' },
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

const deployment = (name: string, labels: Record<string, string>): K8s.V1Deployment => ({
  metadata: { name, labels },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: labels.app } },
    template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] } },
  },
});

const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** Pod templates of every Deployment in the namespaces, and the namespaces' labels. */
async function snapshot(namespaces: string[]) {
  const out: Record<string, unknown> = {};
  for (const ns of namespaces) {
    out[`ns/${ns}`] = (await core.readNamespace({ name: ns })).metadata?.labels ?? {};
    for (const d of (await apps.listNamespacedDeployment({ namespace: ns })).items) out[`${ns}/${d.metadata!.name}`] = plain(d.spec!.template);
  }
  return out;
}

const template = async (ns: string, name: string) => (await apps.readNamespacedDeployment({ name, namespace: ns })).spec!.template;

// a label of this run only: the shared control plane keeps earlier runs' namespaces
const RUN = randomBytes(3).toString('hex');
let nsA: string;
let nsB: string;
let guard: string; // a Deployment in kube-system that matches the selectors below

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
  [nsA, nsB] = await Promise.all([createTestNamespace('tracing-authz'), createTestNamespace('teamb-authz')]);
  // the same labels in team A's namespace, team B's namespace and kube-system
  const labels = { app: 'shop', tier: 'web', run: RUN };
  await apps.createNamespacedDeployment({ namespace: nsA, body: deployment('shop', labels) });
  await apps.createNamespacedDeployment({ namespace: nsB, body: deployment('shop', labels) });
  guard = `swb-authz-guard-${nsA.slice(-6)}`;
  await apps.createNamespacedDeployment({ namespace: 'kube-system', body: deployment(guard, labels) });
});

afterAll(async () => {
  await apps.deleteNamespacedDeployment({ name: guard, namespace: 'kube-system' }).catch(() => undefined);
  await closeDb?.();
});

describe('selectors that could select what the entity does not own', () => {
  it.each([
    ['existence-only', 'app', /backstage\.io\/kubernetes-label-selector annotation "app" has the existence-only requirement "app"/],
    ['negation', '!x', /backstage\.io\/kubernetes-label-selector annotation "!x" negates "!x"/],
    ['inequality', 'app!=billing', /negates "app!=billing" \(!=\)/],
    ['notin', 'app notin (billing)', /notin/],
    ['empty', ' ', /backstage\.io\/kubernetes-label-selector annotation " " is empty/],
  ])('refuses the %s selector %j with a 400 naming the annotation, and nothing in the cluster changes', async (_what, selector, message) => {
    const ref = entity(`component:default/sel-${_what}`, { 'backstage.io/kubernetes-label-selector': selector });
    const before = await snapshot([nsA, nsB, 'kube-system']);
    for (const mode of ['webhook', 'patch'] as const) {
      const attempt = service({ injectionMode: () => mode }).setTracing({ entityRef: ref, enabled: true, backend: world.backend }, 'user:default/alice', alice);
      await expect(attempt).rejects.toMatchObject({ name: 'InputError', message: expect.stringMatching(message) });
    }
    expect(await snapshot([nsA, nsB, 'kube-system'])).toEqual(before);
    expect(await store.getTracing(ref)).toBeUndefined();
  });
});

describe('an entity without namespace or cluster annotation', () => {
  it("acts only in the namespaces mapped to its owner: team B's namespace and kube-system stay untouched", async () => {
    const ref = entity('component:default/shop', { 'backstage.io/kubernetes-label-selector': `app=shop,tier=web,run=${RUN}` });
    const before = await snapshot([nsB, 'kube-system']);
    const s = await service({ injectionMode: () => 'patch' }).setTracing({ entityRef: ref, enabled: true, backend: world.backend }, 'user:default/alice', alice);
    expect(s.workloads.map(w => `${w.cluster}/${w.namespace}/${w.name}`)).toEqual([`local/${nsA}/shop`]);
    expect((await template(nsA, 'shop')).spec!.initContainers?.map(c => c.name)).toEqual(['inject-skywalking-agent']);
    expect(await snapshot([nsB, 'kube-system'])).toEqual(before);
    const [audit] = await store.listAudit({ target: `entity:${ref}` });
    expect(audit.details.namespaces).not.toContain(`local/${nsB}`);
    expect(audit.details.namespaces).not.toContain('local/kube-system');
    await service({ injectionMode: () => 'patch' }).setTracing({ entityRef: ref, enabled: false }, 'user:default/alice', alice);
    expect((await template(nsA, 'shop')).spec!.initContainers).toBeUndefined();
  });

  it('is refused when its owner has no mapped namespace at all, instead of acting everywhere', async () => {
    const ref = entity('component:default/orphan', { 'backstage.io/kubernetes-id': 'orphan' }, 'group:default/nobody');
    await expect(service().setTracing({ entityRef: ref, enabled: true, backend: world.backend }, 'user:default/alice', alice)).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(/has no backstage\.io\/kubernetes-namespace annotation and skywalking\.tenancy maps no namespace of cluster local to group:default\/nobody \(owner of component:default\/orphan\)/),
    });
    // where namespace annotations do not count either, not even a cluster is mapped
    await expect(service({ clusters: () => ['other'] }).setTracing({ entityRef: ref, enabled: true, backend: world.backend }, 'user:default/alice', alice)).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(/has no backstage\.io\/kubernetes-cluster annotation and skywalking\.tenancy maps no cluster to group:default\/nobody/),
    });
  });
});

describe('the backend a toggle names', () => {
  const ref = () => entity('component:default/shop-backend', { 'backstage.io/kubernetes-id': 'shop', 'backstage.io/kubernetes-namespace': nsA });
  const toggle = (backend: unknown, who: BackstageCredentials = alice) =>
    service().setTracing({ entityRef: ref(), enabled: true, backend: backend as any }, (who.principal as any).userEntityRef, who);

  it('refuses a namespace that is a host name (evil.example.com) with a 400 naming backend.namespace; the workload is untouched', async () => {
    const before = await snapshot([nsA]);
    await expect(toggle({ cluster: 'local', namespace: 'evil.example.com', name: 'x' })).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(/backend\.namespace "evil\.example\.com" is not a DNS-1123 label/),
    });
    expect(await snapshot([nsA])).toEqual(before);
  });

  it('refuses a backend that does not exist, or that the portal does not manage, with a 404', async () => {
    await expect(toggle({ ...world.backend, name: 'nothing-here' })).rejects.toMatchObject({ name: 'NotFoundError', message: expect.stringMatching(/does not exist/) });
    await expect(toggle(world.unmanagedBackend)).rejects.toMatchObject({ name: 'NotFoundError', message: expect.stringMatching(/not managed by this portal/) });
    await expect(toggle({ cluster: 'elsewhere', namespace: 'sw', name: 'demo' })).rejects.toMatchObject({ name: 'InputError', message: expect.stringMatching(/backend\.cluster elsewhere is not a configured cluster/) });
  });

  it('refuses a backend the caller may not read (skywalking.backend.read on it) with a 403', async () => {
    world.denyRead.add('user:default/alice');
    try {
      await expect(toggle(world.backend)).rejects.toMatchObject({ name: 'NotAllowedError', message: expect.stringMatching(/skywalking\.backend\.read on backend local\//) });
      expect(world.permissionRequests.at(-1)).toMatchObject({ permission: { name: 'skywalking.backend.read' }, resourceRef: `local/${world.backend.namespace}/demo` });
    } finally {
      world.denyRead.delete('user:default/alice');
    }
  });
});

describe("team B's namespace", () => {
  it("is refused to team A's owner with a 403 naming it, and its workload stays as it was", async () => {
    const ref = entity('component:default/reach-b', { 'backstage.io/kubernetes-label-selector': 'app=shop', 'backstage.io/kubernetes-namespace': nsB });
    const before = await snapshot([nsB]);
    await expect(service().setTracing({ entityRef: ref, enabled: true, backend: world.backend }, 'user:default/alice', alice)).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: expect.stringContaining(`may not toggle tracing in namespace ${nsB} of cluster local`),
    });
    expect(await snapshot([nsB])).toEqual(before);
  });

  it("is refused when an entity of team A's caller claims team B as its owner (the caller's own ownership is checked)", async () => {
    const ref = entity('component:default/claims-b', { 'backstage.io/kubernetes-label-selector': 'app=shop', 'backstage.io/kubernetes-namespace': nsB }, 'group:default/team-b');
    await expect(service().setTracing({ entityRef: ref, enabled: true, backend: world.backend }, 'user:default/alice', alice)).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: expect.stringMatching(new RegExp(`^user:default/alice may not toggle tracing in namespace ${nsB}`)),
    });
  });

  it('opens to team A once the live Namespace names team A in its owner annotation', async () => {
    const shared = await createTestNamespace('shared-authz');
    await apps.createNamespacedDeployment({ namespace: shared, body: deployment('shop', { app: 'shop', tier: 'web' }) });
    const ref = entity('component:default/annotated', { 'backstage.io/kubernetes-label-selector': 'app=shop', 'backstage.io/kubernetes-namespace': shared });
    await expect(service().setTracing({ entityRef: ref, enabled: true, backend: world.backend }, 'user:default/alice', alice)).rejects.toMatchObject({ name: 'NotAllowedError' });
    await core.patchNamespace(
      { name: shared, body: { metadata: { annotations: { 'skywalking-backstage.io/owner': 'group:default/team-a' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const s = await service().setTracing({ entityRef: ref, enabled: true, backend: world.backend }, 'user:default/alice', alice);
    expect(s.workloads.map(w => w.namespace)).toEqual([shared]);
    // bob (team B) is not named there
    await expect(service().setTracing({ entityRef: ref, enabled: false }, 'user:default/bob', bob)).rejects.toMatchObject({ name: 'NotAllowedError' });
  });
});

describe('two entities on one Deployment', () => {
  it("turning one entity's tracing off keeps the other's: each applies with its own field manager", async () => {
    const ns = await createTestNamespace('tracing-two');
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('orders', { app: 'orders', 'backstage.io/kubernetes-id': 'orders' }),
    });
    const original = plain(await template(ns, 'orders'));
    // same name (same agent service name), different catalog namespaces and selectors
    const first = entity('component:default/orders', { 'backstage.io/kubernetes-label-selector': 'app=orders', 'backstage.io/kubernetes-namespace': ns });
    const second = entity('component:payments/orders', { 'backstage.io/kubernetes-id': 'orders', 'backstage.io/kubernetes-namespace': ns });
    const svc = service();
    await svc.setTracing({ entityRef: first, enabled: true, backend: world.backend }, 'user:default/alice', alice);
    await svc.setTracing({ entityRef: second, enabled: true, backend: world.backend }, 'user:default/alice', alice);
    const managers = (await apps.readNamespacedDeployment({ name: 'orders', namespace: ns })).metadata!.managedFields!.filter(f => f.operation === 'Apply').map(f => f.manager);
    expect(new Set(managers).size).toBe(2);

    await svc.setTracing({ entityRef: first, enabled: false }, 'user:default/alice', alice);
    const still = await template(ns, 'orders');
    expect(still.metadata?.labels?.['swck-java-agent-injected']).toBe('true');
    expect(still.metadata?.annotations?.['agent.skywalking.apache.org/collector.backend_service']).toBe(`demo-oap.${world.backend.namespace}:11800`);
    expect((await core.readNamespace({ name: ns })).metadata?.labels?.['swck-injection']).toBe('enabled');

    await svc.setTracing({ entityRef: second, enabled: false }, 'user:default/alice', alice);
    expect(plain(await template(ns, 'orders'))).toEqual(original);
    expect((await core.readNamespace({ name: ns })).metadata?.labels?.['swck-injection']).toBeUndefined();
  });

  it("in patch mode reports another entity's injection as a conflict instead of replacing or removing it", async () => {
    const ns = await createTestNamespace('tracing-two-patch');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('cart', { app: 'cart', 'backstage.io/kubernetes-id': 'cart' }) });
    const first = entity('component:default/cart', { 'backstage.io/kubernetes-label-selector': 'app=cart', 'backstage.io/kubernetes-namespace': ns });
    const second = entity('component:default/cart-too', { 'backstage.io/kubernetes-id': 'cart', 'backstage.io/kubernetes-namespace': ns });
    const svc = service({ injectionMode: () => 'patch' });
    await svc.setTracing({ entityRef: first, enabled: true, backend: world.backend }, 'user:default/alice', alice);
    const injected = plain(await template(ns, 'cart'));
    const s = await svc.setTracing({ entityRef: second, enabled: true, backend: world.backend }, 'user:default/alice', alice);
    expect(s.workloads[0].error).toMatch(/HTTP 409: .*injection written by field manager skywalking-backstage-tracing-[0-9a-f]{16}, not by this entity/);
    await svc.setTracing({ entityRef: second, enabled: false }, 'user:default/alice', alice);
    expect(plain(await template(ns, 'cart'))).toEqual(injected);
  });
});

describe('the periodic reconcile', () => {
  it('writes nothing on a replica that does not lead the cluster', async () => {
    const ns = await createTestNamespace('tracing-follower');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('ledger', { app: 'ledger' }) });
    const ref = entity('component:default/ledger', { 'backstage.io/kubernetes-label-selector': 'app=ledger', 'backstage.io/kubernetes-namespace': ns });
    await service({ injectionMode: () => 'patch' }).setTracing({ entityRef: ref, enabled: true, backend: world.backend }, 'user:default/alice', alice);
    await apps.patchNamespacedDeployment(
      { name: 'ledger', namespace: ns, body: [{ op: 'remove', path: '/spec/template/spec/initContainers' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    const follower = await service({ injectionMode: () => 'patch', isLeader: () => false }).reconcileTracing();
    expect(follower).toEqual({ entities: 0, changed: [], errors: [], refused: [] });
    expect((await template(ns, 'ledger')).spec!.initContainers).toBeUndefined();
    const leader = await service({ injectionMode: () => 'patch', isLeader: () => true }).reconcileTracing();
    expect(leader.changed).toContain(`local/${ns}/Deployment/ledger`);
  });

  it('re-checks tenancy: once the mapping no longer allows the namespace it does not re-apply, and records why (once)', async () => {
    const ns = await createTestNamespace('tracing-remap');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('stock', { app: 'stock' }) });
    const ref = entity('component:default/stock', { 'backstage.io/kubernetes-label-selector': 'app=stock', 'backstage.io/kubernetes-namespace': ns });
    const svc = service({ injectionMode: () => 'patch' });
    await svc.setTracing({ entityRef: ref, enabled: true, backend: world.backend }, 'user:default/alice', alice);
    await apps.patchNamespacedDeployment(
      { name: 'stock', namespace: ns, body: [{ op: 'remove', path: '/spec/template/spec/initContainers' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    const mapping = world.tenancyConfig.mappings[0];
    const saved = mapping.namespaces;
    // team A keeps the backend's namespace but loses this one
    mapping.namespaces = [world.backend.namespace, `${ns}-not-this`];
    try {
      const r = await svc.reconcileTracing();
      expect(r.changed).not.toContain(`local/${ns}/Deployment/stock`);
      expect(r.refused).toContainEqual({ entityRef: ref, reason: expect.stringContaining(`may not toggle tracing in namespace ${ns} of cluster local`) });
      expect((await template(ns, 'stock')).spec!.initContainers).toBeUndefined();
      await svc.reconcileTracing();
      const refusals = (await store.listAudit({ target: `entity:${ref}` })).filter(a => a.action === 'tracing.reconcile.refused');
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toMatchObject({ actor: 'skywalking-backstage', details: { reason: expect.stringContaining(ns) } });
    } finally {
      mapping.namespaces = saved;
    }
    // mapped again: the next reconcile repairs the template
    expect((await svc.reconcileTracing()).changed).toContain(`local/${ns}/Deployment/stock`);
    expect((await template(ns, 'stock')).spec!.initContainers?.map(c => c.name)).toEqual(['inject-skywalking-agent']);
  });

  it('re-checks the current catalog entity: a selector edited to an existence-only one is not re-applied', async () => {
    const ns = await createTestNamespace('tracing-edited');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('crm', { app: 'crm' }) });
    const ref = entity('component:default/crm', { 'backstage.io/kubernetes-label-selector': 'app=crm', 'backstage.io/kubernetes-namespace': ns });
    const svc = service({ injectionMode: () => 'patch' });
    await svc.setTracing({ entityRef: ref, enabled: true, backend: world.backend }, 'user:default/alice', alice);
    entities.get(ref)!.metadata.annotations!['backstage.io/kubernetes-label-selector'] = 'app';
    const r = await svc.reconcileTracing();
    expect(r.refused).toContainEqual({ entityRef: ref, reason: expect.stringMatching(/existence-only requirement "app"/) });
  });
});

describe('after an upgrade from the single field manager of earlier releases', () => {
  it('turning tracing off also releases what that manager applied (label, annotations, namespace label)', async () => {
    const ns = await createTestNamespace('tracing-legacy');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('legacy', { app: 'legacy' }) });
    const original = plain(await template(ns, 'legacy'));
    const ssa = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
    // what an earlier release applied, as 'skywalking-backstage-tracing'
    await core.patchNamespace({ name: ns, body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'swck-injection': 'enabled' } } }, fieldManager: 'skywalking-backstage-tracing' }, ssa);
    await apps.patchNamespacedDeployment(
      {
        name: 'legacy',
        namespace: ns,
        fieldManager: 'skywalking-backstage-tracing',
        body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'legacy', namespace: ns }, spec: { template: { metadata: { labels: { 'swck-java-agent-injected': 'true' }, annotations: { 'agent.skywalking.apache.org/agent.service_name': 'legacy' } } } } },
      },
      ssa,
    );
    const ref = entity('component:default/legacy', { 'backstage.io/kubernetes-label-selector': 'app=legacy', 'backstage.io/kubernetes-namespace': ns });
    await service().setTracing({ entityRef: ref, enabled: false }, 'user:default/alice', alice);
    expect(plain(await template(ns, 'legacy'))).toEqual(original);
    expect((await core.readNamespace({ name: ns })).metadata?.labels?.['swck-injection']).toBeUndefined();
  });
});
