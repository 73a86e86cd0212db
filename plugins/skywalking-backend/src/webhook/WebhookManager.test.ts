/*
 * The webhook across replicas and rotations (security review H4), on the
 * real local control plane: the kube-apiserver calls two WebhookManager
 * instances through a TCP load balancer, so every pod creation proves that
 * the registered caBundle trusts the replica that answered it.
 */
import net from 'node:net';
import { ConfigReader } from '@backstage/config';
import { createTestNamespace, eventually, getSharedTestCluster } from '@internal/local-cluster';
import type * as K8s from '@kubernetes/client-node';
import { loadK8s } from '../clusters/k8s';
import { deleteWebhookConfiguration } from '../tracing/admissionMutator';
import { readCa } from './caSecret';
import { certificateInfo, isSignedBy, splitPemBundle } from './certificates';
import { WebhookManager, WebhookManagerDeps } from './WebhookManager';

jest.setTimeout(240_000);

const logger: any = { error() {}, warn() {}, info() {}, debug() {}, child: () => logger };
const DAY = 24 * 3600_000;

let k8s: typeof K8s;
let kc: K8s.KubeConfig;
let core: K8s.CoreV1Api;
let caNs: string;
let podNs: string;
let configurationName: string;

/** Round-robin per connection; cut() closes them all so the API server's next call picks the next replica. */
function loadBalancer(ports: () => number[]) {
  const sockets = new Set<net.Socket>();
  let next = 0;
  const server = net.createServer(client => {
    const targets = ports();
    const upstream = net.connect(targets[next++ % targets.length], '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return {
    listen: () => new Promise<number>(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port))),
    cut: () => sockets.forEach(s => s.destroy()),
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

/** The serial numbers of a PEM bundle's certificates, in order (PEM line endings vary). */
const serials = (bundle: string) => splitPemBundle(bundle).map(p => certificateInfo(p).serial);

const agentInjected = (p: K8s.V1Pod) => Boolean(p.spec?.initContainers?.some(c => c.name === 'inject-skywalking-agent'));

describe('webhook replicas sharing one CA', () => {
  const served = { a: 0, b: 0 };
  const clock = { offsetMs: 0 };
  let lbPort = 0;
  let ports: number[] = [];
  const lb = loadBalancer(() => ports);
  let a: WebhookManager;
  let b: WebhookManager;
  let depsA: WebhookManagerDeps;
  let depsB: WebhookManagerDeps;

  async function createPod(): Promise<K8s.V1Pod> {
    lb.cut();
    return core.createNamespacedPod({
      namespace: podNs,
      body: {
        metadata: { generateName: 'app-', labels: { 'swck-java-agent-injected': 'true' } },
        spec: { containers: [{ name: 'app', image: 'java' }] },
      },
    });
  }

  /** Pods through both replicas, each injected: the bundle trusts both serving certificates. */
  async function expectBothReplicasTrusted(pods = 6) {
    const before = { ...served };
    for (let i = 0; i < pods; i++) {
      const p = await createPod();
      expect(agentInjected(p)).toBe(true);
    }
    expect(served.a - before.a).toBeGreaterThanOrEqual(pods / 2 - 1);
    expect(served.b - before.b).toBeGreaterThanOrEqual(pods / 2 - 1);
  }

  async function registeredBundle(): Promise<string[]> {
    const c = await kc.makeApiClient(k8s.AdmissionregistrationV1Api).readMutatingWebhookConfiguration({ name: configurationName });
    return serials(Buffer.from(c.webhooks![0].clientConfig.caBundle!, 'base64').toString());
  }

  beforeAll(async () => {
    k8s = await loadK8s();
    const cluster = await getSharedTestCluster();
    kc = new k8s.KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    [caNs, podNs] = await Promise.all([createTestNamespace('webhook-ca'), createTestNamespace('webhook-pods')]);
    configurationName = `swb-ha-${podNs}`;
    await core.patchNamespace(
      { name: podNs, body: { metadata: { labels: { 'swck-injection': 'enabled' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    lbPort = await lb.listen();
    const config = new ConfigReader({
      skywalking: { webhook: { port: 0, url: `https://127.0.0.1:${lbPort}`, workers: 1, caSecret: { namespace: caNs, name: 'webhook-ca' } } },
    });
    const clusters = { names: () => ['local'], definition: () => ({ injectionMode: 'webhook' }) as any, kubeConfig: () => kc };
    const base = { config, clusters, logger, configurationName, namespaces: [podNs] };
    depsA = { ...base, observer: { onRequest: () => void served.a++ }, now: () => new Date(Date.now() + clock.offsetMs) };
    depsB = { ...base, observer: { onRequest: () => void served.b++ } };
    a = new WebhookManager(depsA);
    b = new WebhookManager(depsB);
    // both replicas start at once: they race to create the CA Secret
    ports = await Promise.all([a.start(), b.start()]);
  });

  afterAll(async () => {
    await deleteWebhookConfiguration(kc, configurationName).catch(() => undefined);
    await Promise.all([a?.stop(), b?.stop()]);
    await lb.close();
  });

  it('two replicas starting together end up with the one CA stored in the Secret (create-only)', async () => {
    const stored = await readCa(kc, { namespace: caNs, name: 'webhook-ca' });
    expect(stored).toBeDefined();
    expect(serials(a.caBundle()!)).toEqual(serials(stored!.certPem));
    expect(serials(b.caBundle()!)).toEqual(serials(stored!.certPem));
    expect(isSignedBy(a.servingCertificate()!, stored!.certPem)).toBe(true);
    expect(isSignedBy(b.servingCertificate()!, stored!.certPem)).toBe(true);
  });

  it('the API server trusts whichever replica answers', async () => {
    await Promise.all([a.maintain(), b.maintain()]);
    expect(await registeredBundle()).toHaveLength(1);
    // the API server picks a new configuration up within a moment
    await eventually('the webhook registration to take effect', async () => agentInjected(await createPod()), 30_000, 500);
    await expectBothReplicasTrusted();
  });

  it('a CA rotation puts new and old CA in the bundle first, then switches serving certificates, and no pod goes uninjected', async () => {
    const old = await readCa(kc, { namespace: caNs, name: 'webhook-ca' });
    // two thirds of the CA's year have passed for replica a
    clock.offsetMs = 250 * DAY;
    expect(await a.maintain()).toBe(false);
    clock.offsetMs = 0;
    const rotated = await readCa(kc, { namespace: caNs, name: 'webhook-ca' });
    expect(rotated!.certPem).not.toBe(old!.certPem);
    // new CA first, the old one kept
    const both = [...serials(rotated!.certPem), ...serials(old!.certPem)];
    expect(serials(rotated!.bundlePem)).toEqual(both);
    expect(await registeredBundle()).toEqual(both);
    // neither replica has switched yet: the bundle must reach every cluster first
    expect(isSignedBy(a.servingCertificate()!, old!.certPem)).toBe(true);
    await expectBothReplicasTrusted();

    // the switch delay has passed for a; b still serves the old CA's certificate
    depsA.switchAfterMs = 0;
    expect(await a.maintain()).toBe(true);
    expect(isSignedBy(a.servingCertificate()!, rotated!.certPem)).toBe(true);
    expect(isSignedBy(b.servingCertificate()!, old!.certPem)).toBe(true);
    await expectBothReplicasTrusted();

    // b reads the rotated CA from the Secret (it does not make its own) and switches too
    depsB.switchAfterMs = 0;
    expect(await b.maintain()).toBe(true);
    expect(isSignedBy(b.servingCertificate()!, rotated!.certPem)).toBe(true);
    expect(serials(b.caBundle()!)).toEqual(both);
    expect(await registeredBundle()).toEqual(both);
    await expectBothReplicasTrusted();
  });

  it('the next maintenance restores a deleted or altered registration', async () => {
    const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
    await deleteWebhookConfiguration(kc, configurationName);
    await b.maintain();
    const restored = await admission.readMutatingWebhookConfiguration({ name: configurationName });
    expect(restored.webhooks![0].clientConfig.url).toBe(`https://127.0.0.1:${lbPort}/mutate-pods`);

    await admission.patchMutatingWebhookConfiguration(
      { name: configurationName, body: [{ op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value: Buffer.from('garbage').toString('base64') }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    await a.maintain();
    expect(await registeredBundle()).toEqual(serials(a.caBundle()!));
    await eventually('the restored registration to take effect', async () => agentInjected(await createPod()), 30_000, 500);
    await expectBothReplicasTrusted(4);
  });
});

describe('registration into a cluster whose API server is elsewhere', () => {
  it('refuses the default 127.0.0.1 URL with a clear error instead of registering it', async () => {
    k8s = await loadK8s();
    const remote = new k8s.KubeConfig();
    // never contacted: the refusal comes before any request (nothing is started)
    remote.loadFromOptions({
      clusters: [{ name: 'remote', server: 'https://10.255.255.1:6443' }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'remote', cluster: 'remote', user: 'u' }],
      currentContext: 'remote',
    });
    const m = new WebhookManager({
      config: new ConfigReader({ skywalking: { webhook: {} } }),
      clusters: { names: () => ['prod'], definition: () => ({ injectionMode: 'webhook' }) as any, kubeConfig: () => remote },
      logger,
    });
    await expect(m.register('prod')).rejects.toThrow(
      /not registering the admission webhook in cluster prod: its API server \(https:\/\/10\.255\.255\.1:6443\) is not on this machine.*the default webhook URL https:\/\/127\.0\.0\.1:9443/,
    );
    // listening on loopback unless configured
    expect(m.host).toBe('127.0.0.1');
  });
});
