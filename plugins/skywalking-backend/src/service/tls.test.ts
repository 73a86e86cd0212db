/*
 * TLS of a backend on the real local control plane (@internal/local-cluster:
 * kube-apiserver, controllers with the garbage collector, KWOK nodes):
 * certificates issued into Secrets owned by the custom objects, rendered
 * into the OAP and BanyanDB pods by the reconcile engine, the CA handed to
 * the agents of a traced workload, rotation rolling the pods, cert-manager
 * Certificates (their CRD installed here; no cert-manager runs, so nothing
 * issues them), and garbage collection on delete.
 */
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { createTestNamespace, eventually } from '@internal/local-cluster';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { AGENT_CA_CONFIGMAP_ANNOTATION, readTenancyConfig, TLS_CHECKSUM_ANNOTATION } from '@skywalking-backstage/plugin-skywalking-common';
import knexFactory from 'knex';
import forge from 'node-forge';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { K8s } from '../clusters/k8s';
import { applyDatabaseMigrations } from '../database/migrations';
import { SkyWalkingStore } from '../database/SkyWalkingStore';
import { OperatorEngine } from '../engine/OperatorEngine';
import { TracingService } from '../tracing/TracingService';
import { TenancyService } from '../tenancy/TenancyService';
import { liveNamespaceReader } from '../tenancy/liveNamespace';
import { certificateInfo, issueCertificate, splitPemBundle } from '../webhook/certificates';
import { BackendService } from './BackendService';
import { BackendTls } from './BackendTls';
import { quietLogger as logger } from './testOutbox';
import { startTestOperator } from '../__testUtils__/testOperator';

jest.setTimeout(240_000);

const CLUSTER = 'local';
const YEAR = 365 * 24 * 3600_000;

let k8s: typeof K8s;
let admin: K8s.KubeConfig;
let registry: ClusterRegistry;
let ns: string;
let backends: BackendService;
let engine: OperatorEngine;
let store: SkyWalkingStore;
let closeDb: (() => Promise<void>) | undefined;

const ref = { cluster: CLUSTER, namespace: '', name: 'demo' };
const core = () => admin.makeApiClient(k8s.CoreV1Api);
const apps = () => admin.makeApiClient(k8s.AppsV1Api);
const custom = () => admin.makeApiClient(k8s.CustomObjectsApi);
const secretData = async (name: string) => {
  const s = await core().readNamespacedSecret({ name, namespace: ns });
  return { secret: s, data: Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])) };
};
const readCR = (plural: string, name = 'demo'): Promise<any> =>
  custom().getNamespacedCustomObject({ group: 'operator.skywalking.apache.org', version: 'v1alpha1', namespace: ns, plural, name });
const gone = (read: () => Promise<unknown>) => async () =>
  read().then(
    () => false,
    (e: any) => e?.code === 404,
  );

/** forge's chain check against a CA bundle, at a given time */
function verifies(certPem: string, caBundle: string, at = new Date()): boolean {
  const store2 = forge.pki.createCaStore(splitPemBundle(caBundle));
  try {
    return forge.pki.verifyCertificateChain(store2, [forge.pki.certificateFromPem(certPem)], { validityCheckDate: at });
  } catch {
    return false;
  }
}

/** A minimal copy of cert-manager's Certificate CRD (cert-manager itself is not installed). */
const CERTIFICATE_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'certificates.cert-manager.io' },
  spec: {
    group: 'cert-manager.io',
    names: { kind: 'Certificate', listKind: 'CertificateList', plural: 'certificates', singular: 'certificate', shortNames: ['cert', 'certs'] },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            required: ['spec'],
            properties: {
              spec: {
                type: 'object',
                required: ['issuerRef', 'secretName'],
                properties: {
                  secretName: { type: 'string' },
                  secretTemplate: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  issuerRef: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, kind: { type: 'string' }, group: { type: 'string' } } },
                  commonName: { type: 'string' },
                  dnsNames: { type: 'array', items: { type: 'string' } },
                  duration: { type: 'string' },
                  renewBefore: { type: 'string' },
                  privateKey: {
                    type: 'object',
                    properties: {
                      algorithm: { type: 'string', enum: ['RSA', 'ECDSA', 'Ed25519'] },
                      size: { type: 'integer' },
                      encoding: { type: 'string', enum: ['PKCS1', 'PKCS8'] },
                      rotationPolicy: { type: 'string', enum: ['Never', 'Always'] },
                    },
                  },
                  usages: { type: 'array', items: { type: 'string' } },
                },
              },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      },
    ],
  },
};

beforeAll(async () => {
  ({ k8s, admin, ns, backends, engine, registry } = await startTestOperator('tls'));
  ref.namespace = ns;
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
  await applyDatabaseMigrations(knex);
  store = new SkyWalkingStore(knex);
  closeDb = () => knex.destroy();
});

afterAll(async () => {
  await engine?.stop();
  await closeDb?.();
  await admin
    ?.makeApiClient(k8s.ApiextensionsV1Api)
    .deleteCustomResourceDefinition({ name: CERTIFICATE_CRD.metadata.name })
    .catch(() => undefined);
});

describe('TLS of a backend on the local control plane', () => {
  it('issues a CA and serving certificates into Secrets owned by the custom objects; OAP and BanyanDB serve TLS with them', async () => {
    await eventually(
      'backend created',
      async () =>
        (await backends.create({ name: 'demo', namespace: ns, cluster: CLUSTER, version: '10.2.0', ui: { enabled: false }, tls: { enabled: true } }, 'user:default/tester'))
          .applied,
    );
    const [oapCR, dbCR] = await Promise.all([readCR('oapservers'), readCR('banyandbs')]);

    const ca = await secretData('demo-ca');
    expect(Object.keys(ca.data).sort()).toEqual(['ca.crt', 'ca.key']);
    const caInfo = certificateInfo(ca.data['ca.crt']);
    expect(caInfo.isCA).toBe(true);
    expect(caInfo.notAfter.getTime() - Date.now()).toBeGreaterThan(9.9 * YEAR);
    expect(ca.secret.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'OAPServer', name: 'demo', uid: oapCR.metadata.uid })]);

    const oap = await secretData('demo-oap-tls');
    expect(oap.secret.type).toBe('kubernetes.io/tls');
    expect(Object.keys(oap.data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    // OAP reads a PKCS#8 key
    expect(oap.data['tls.key']).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(oap.data['ca.crt']).toBe(ca.data['ca.crt']);
    expect(verifies(oap.data['tls.crt'], ca.data['ca.crt'])).toBe(true);
    const oapInfo = certificateInfo(oap.data['tls.crt']);
    expect(oapInfo.dnsNames).toEqual(['demo-oap', `demo-oap.${ns}`, `demo-oap.${ns}.svc`, `demo-oap.${ns}.svc.cluster.local`]);
    expect(oapInfo.isCA).toBe(false);
    // the key belongs to the certificate
    const key = forge.pki.privateKeyFromPem(oap.data['tls.key']) as forge.pki.rsa.PrivateKey;
    expect((forge.pki.certificateFromPem(oap.data['tls.crt']).publicKey as forge.pki.rsa.PublicKey).n.equals(key.n)).toBe(true);
    expect(oap.secret.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'OAPServer', uid: oapCR.metadata.uid })]);

    const db = await secretData('demo-banyandb-tls');
    expect(db.secret.type).toBe('kubernetes.io/tls');
    expect(verifies(db.data['tls.crt'], ca.data['ca.crt'])).toBe(true);
    expect(certificateInfo(db.data['tls.crt']).dnsNames).toContain(`demo-banyandb-grpc.${ns}.svc`);
    expect(db.secret.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'BanyanDB', uid: dbCR.metadata.uid })]);

    // recorded and read back
    expect((await backends.get(ref)).spec.tls).toEqual({ enabled: true });
    const sum = oapCR.metadata.annotations[TLS_CHECKSUM_ANNOTATION];
    expect(sum).toMatch(/^[0-9a-f]{16}$/);

    // the engine renders them: OAP gets the gRPC SSL env and the mount, BanyanDB serves TLS
    const deployment = await eventually(
      'OAP Deployment with TLS',
      async () => {
        const d = await apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns });
        return d.spec?.template.metadata?.annotations?.[TLS_CHECKSUM_ANNOTATION] === sum ? d : undefined;
      },
      60_000,
    );
    const pod = deployment.spec!.template.spec!;
    expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'skywalking-tls', secret: expect.objectContaining({ secretName: 'demo-oap-tls' }) }));
    expect(pod.containers[0].volumeMounts).toContainEqual(expect.objectContaining({ name: 'skywalking-tls', mountPath: '/skywalking/tls', readOnly: true }));
    const env = Object.fromEntries((pod.containers[0].env ?? []).map(e => [e.name, e.value]));
    expect(env).toMatchObject({
      SW_CORE_GRPC_SSL_ENABLED: 'true',
      SW_CORE_GRPC_SSL_KEY_PATH: '/skywalking/tls/tls.key',
      SW_CORE_GRPC_SSL_CERT_CHAIN_PATH: '/skywalking/tls/tls.crt',
      SW_CORE_GRPC_SSL_TRUSTED_CA_PATH: '/skywalking/tls/ca.crt',
      SW_STORAGE_BANYANDB_SSL_TRUST_CA_PATH: '/skywalking/tls/ca.crt',
    });
    const sts = await eventually('BanyanDB StatefulSet with TLS', async () => {
      const s = await apps().readNamespacedStatefulSet({ name: 'demo-banyandb', namespace: ns });
      return s.spec?.template.spec?.containers[0].args?.includes('--tls=true') ? s : undefined;
    }, 60_000);
    expect(sts.spec!.template.spec!.containers[0].args).toEqual(expect.arrayContaining(['--cert-file=/skywalking/tls/tls.crt', '--key-file=/skywalking/tls/tls.key']));
    expect(sts.spec!.template.spec!.volumes).toContainEqual(expect.objectContaining({ secret: expect.objectContaining({ secretName: 'demo-banyandb-tls' }) }));
    // the OAP pods (KWOK) come up with the checksum of their certificate
    await eventually('OAP pod with the certificate checksum', async () => {
      const pods = await core().listNamespacedPod({ namespace: ns, labelSelector: 'app=oap' });
      return pods.items.some(p => p.metadata?.annotations?.[TLS_CHECKSUM_ANNOTATION] === sum && p.status?.phase === 'Running');
    }, 90_000);
  });

  it('gives the agents of a traced workload the CA: a ConfigMap (ca.crt only) in the workload namespace, mounted in the agent ca/ directory', async () => {
    const wns = await createTestNamespace('tls-workload');
    const labels = { app: 'shop', 'backstage.io/kubernetes-id': 'shop' };
    await apps().createNamespacedDeployment({
      namespace: wns,
      body: { metadata: { name: 'shop', labels }, spec: { replicas: 1, selector: { matchLabels: { app: 'shop' } }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'registry.invalid/shop:1' }] } } } },
    });
    await apps().createNamespacedDeployment({
      namespace: wns,
      body: { metadata: { name: 'cart', labels: { app: 'cart', 'backstage.io/kubernetes-id': 'cart' } }, spec: { replicas: 1, selector: { matchLabels: { app: 'cart' } }, template: { metadata: { labels: { app: 'cart', 'backstage.io/kubernetes-id': 'cart' } }, spec: { containers: [{ name: 'app', image: 'registry.invalid/cart:1' }] } } } },
    });
    const entities = new Map<string, Entity>();
    const component = (name: string) => {
      const r = `component:default/${name}`;
      entities.set(r, {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name, namespace: 'default', annotations: { 'backstage.io/kubernetes-id': name, 'backstage.io/kubernetes-namespace': wns } },
        spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
      });
      return r;
    };
    const credentials: BackstageCredentials = { $$type: '@backstage/BackstageCredentials', principal: { type: 'user', userEntityRef: 'user:default/alice' } };
    // team A (alice) holds the backend's and the workload's namespaces
    const tenancy = new TenancyService({
      config: readTenancyConfig({ mappings: [{ owners: ['group:default/team-a'], clusters: [CLUSTER], namespaces: [ns, wns] }] }).config,
      userInfo: { getUserInfo: async () => ({ userEntityRef: 'user:default/alice', ownershipEntityRefs: ['user:default/alice', 'group:default/team-a'] }) },
      catalog: { getEntityByRef: async (r: string) => entities.get(r) },
      auth: { getOwnServiceCredentials: async () => credentials },
      readNamespace: liveNamespaceReader(() => admin),
    });
    const tracing = (mode: 'patch' | 'webhook') =>
      new TracingService({
        store,
        catalog: { getEntityByRef: async (r: string) => entities.get(r) },
        tenancy,
        permissions: { authorize: async (requests: unknown[]) => requests.map(() => ({ result: AuthorizeResult.ALLOW })) } as any,
        getKubeConfig: async () => admin,
        clusters: () => [CLUSTER],
        injectionMode: () => mode,
        backendCollector: b => `${b.name}-oap.${b.namespace}:11800`,
        backendCa: b => backends.tls.agentCa(b),
        logger,
      });

    // patch mode: the pod template itself mounts the CA
    await tracing('patch').setTracing({ entityRef: component('shop'), enabled: true, backend: ref }, 'user:default/alice', credentials);
    const cm = await core().readNamespacedConfigMap({ name: `skywalking-ca-${ns}-demo`, namespace: wns });
    const ca = (await secretData('demo-oap-tls')).data['ca.crt'];
    expect(cm.data).toEqual({ 'ca.crt': ca });
    expect(cm.binaryData).toBeUndefined();
    // one manager for the CA ConfigMaps of all entities (a rotated CA is no conflict between them)
    expect(cm.metadata!.managedFields!.some(f => f.manager === 'skywalking-backstage-tracing-ca' && f.operation === 'Apply')).toBe(true);
    const pods = await eventually('shop pods with the agent and the CA', async () => {
      const list = await core().listNamespacedPod({ namespace: wns, labelSelector: 'app=shop' });
      const ready = list.items.filter(p => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running' && p.spec?.initContainers?.length);
      return ready.length ? ready : undefined;
    }, 90_000);
    const p = pods[0].spec!;
    expect(p.volumes).toContainEqual(expect.objectContaining({ name: 'sky-agent-ca', configMap: expect.objectContaining({ name: `skywalking-ca-${ns}-demo`, items: [{ key: 'ca.crt', path: 'ca.crt' }] }) }));
    expect(p.containers[0].volumeMounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'sky-agent', mountPath: '/sky/agent' }),
        expect.objectContaining({ name: 'sky-agent-ca', mountPath: '/sky/agent/ca', readOnly: true }),
      ]),
    );

    // webhook mode (SWCK annotations): the pod template names the CA ConfigMap for the admission webhook
    await tracing('webhook').setTracing({ entityRef: component('cart'), enabled: true, backend: ref }, 'user:default/alice', credentials);
    const cart = await apps().readNamespacedDeployment({ name: 'cart', namespace: wns });
    expect(cart.spec!.template.metadata!.annotations).toMatchObject({
      [AGENT_CA_CONFIGMAP_ANNOTATION]: `skywalking-ca-${ns}-demo`,
      'agent.skywalking.apache.org/collector.backend_service': `demo-oap.${ns}:11800`,
    });
    expect(cart.spec!.template.metadata!.labels).toMatchObject({ 'swck-java-agent-injected': 'true' });

    // tracing off: the CA ConfigMap stays while a workload of the namespace still names it, and goes with the last
    const cmExists = () =>
      core()
        .readNamespacedConfigMap({ name: `skywalking-ca-${ns}-demo`, namespace: wns })
        .then(() => true)
        .catch((e: any) => (e?.code === 404 ? false : Promise.reject(e)));
    await tracing('patch').setTracing({ entityRef: `component:default/shop`, enabled: false }, 'user:default/alice', credentials);
    expect(await cmExists()).toBe(true);
    const off = await tracing('webhook').setTracing({ entityRef: `component:default/cart`, enabled: false }, 'user:default/alice', credentials);
    expect(await cmExists()).toBe(false);
    expect(JSON.stringify(off)).toContain(`ConfigMap/skywalking-ca-${ns}-demo`);
  });

  it('rotation replaces a short-lived certificate, and the pods roll by the changed checksum', async () => {
    const ca = (await secretData('demo-ca')).data;
    // a certificate that expires in a day, as if a year had passed
    const short = issueCertificate({ ca: { certPem: splitPemBundle(ca['ca.crt'])[0], keyPem: ca['ca.key'] }, commonName: 'demo-oap', dnsNames: ['demo-oap'], validityMs: 24 * 3600_000 });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await core().patchNamespacedSecret(
      { name: 'demo-oap-tls', namespace: ns, body: { data: { 'tls.crt': b64(short.certPem), 'tls.key': b64(short.keyPem) } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const before = (await readCR('oapservers')).metadata.annotations[TLS_CHECKSUM_ANNOTATION];

    const result = await backends.tls.rotateAll();
    expect(result.errors).toEqual([]);
    expect(result.changed.some(c => c.includes('Secret demo-oap-tls (renewed'))).toBe(true);
    // the BanyanDB certificate was not due
    expect(result.changed.some(c => c.includes('demo-banyandb-tls'))).toBe(false);
    const renewed = (await secretData('demo-oap-tls')).data;
    const info = certificateInfo(renewed['tls.crt']);
    expect(info.serial).not.toBe(certificateInfo(short.certPem).serial);
    expect(info.notAfter.getTime() - Date.now()).toBeGreaterThan(YEAR - 3600_000);
    expect(info.dnsNames).toContain(`demo-oap.${ns}.svc`);
    expect(verifies(renewed['tls.crt'], renewed['ca.crt'])).toBe(true);
    const after = (await readCR('oapservers')).metadata.annotations[TLS_CHECKSUM_ANNOTATION];
    expect(after).not.toBe(before);
    await eventually('OAP pods rolled with the new checksum', async () => {
      const d = await apps().readNamespacedDeployment({ name: 'demo-oap', namespace: ns });
      if (d.spec?.template.metadata?.annotations?.[TLS_CHECKSUM_ANNOTATION] !== after) return false;
      const pods = await core().listNamespacedPod({ namespace: ns, labelSelector: 'app=oap' });
      const live = pods.items.filter(p => !p.metadata?.deletionTimestamp);
      return live.length > 0 && live.every(p => p.metadata?.annotations?.[TLS_CHECKSUM_ANNOTATION] === after && p.status?.phase === 'Running');
    }, 120_000);
    // nothing due the second time
    expect((await backends.tls.rotateAll()).changed.filter(c => c.includes(`/${ns}/demo:`))).toEqual([]);
  });

  it('renews the CA within a year of its expiry, keeping both CAs in ca.crt; certificates follow at their own renewal', async () => {
    const oldCa = splitPemBundle((await secretData('demo-ca')).data['ca.crt'])[0];
    // 9.5 years on: the CA is due, and so are the (one-year) serving certificates
    const later = new Date(Date.now() + 9.5 * YEAR);
    const changed = await new BackendTls({ clusters: registry, logger, now: () => later }).reconcile(ref);
    expect(changed.some(c => c.includes('CA renewed'))).toBe(true);
    const bundle = (await secretData('demo-ca')).data['ca.crt'];
    const cas = splitPemBundle(bundle);
    expect(cas).toHaveLength(2);
    expect(cas[1]).toBe(oldCa);
    expect(certificateInfo(cas[0]).notAfter.getTime()).toBeGreaterThan(later.getTime() + 9.9 * YEAR);
    const oap = (await secretData('demo-oap-tls')).data;
    expect(oap['ca.crt']).toBe(bundle);
    // issued by the new CA, verifiable with ca.crt then
    expect(verifies(oap['tls.crt'], cas[0], later)).toBe(true);
    // and the agents' ConfigMap follows on the next tracing reconcile (agentCa reads ca.crt)
    expect(await backends.tls.agentCa(ref)).toBe(bundle);
  });

  it('with tls.certManager creates cert-manager Certificates (owned by the custom objects) instead of issuing', async () => {
    const ext = admin.makeApiClient(k8s.ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({ body: CERTIFICATE_CRD as any }).catch((e: any) => {
      if (e?.code !== 409) throw e;
    });
    const spec = {
      name: 'cm',
      namespace: ns,
      cluster: CLUSTER,
      version: '10.2.0',
      ui: { enabled: false },
      tls: { enabled: true, certManager: { issuerRef: { name: 'ca-issuer', kind: 'ClusterIssuer' as const } } },
    };
    // the new CRD becomes servable a moment after it is created
    await eventually('backend with cert-manager created', async () => (await backends.create(spec, 'user:default/tester')).applied, 60_000, 1000);
    const [oapCR, dbCR] = await Promise.all([readCR('oapservers', 'cm'), readCR('banyandbs', 'cm')]);
    const cert = (name: string): Promise<any> => custom().getNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', namespace: ns, plural: 'certificates', name });
    const oapCert = await cert('cm-oap-tls');
    expect(oapCert.spec).toMatchObject({
      secretName: 'cm-oap-tls',
      issuerRef: { name: 'ca-issuer', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      dnsNames: ['cm-oap', `cm-oap.${ns}`, `cm-oap.${ns}.svc`, `cm-oap.${ns}.svc.cluster.local`],
      privateKey: { algorithm: 'RSA', encoding: 'PKCS8' },
      duration: '8760h',
      renewBefore: '720h',
    });
    expect(oapCert.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'OAPServer', uid: oapCR.metadata.uid })]);
    const dbCert = await cert('cm-banyandb-tls');
    expect(dbCert.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'BanyanDB', uid: dbCR.metadata.uid })]);
    // no plugin CA, no Secret until cert-manager (not running here) issues one
    expect(await gone(() => core().readNamespacedSecret({ name: 'cm-ca', namespace: ns }))()).toBe(true);
    expect(await gone(() => core().readNamespacedSecret({ name: 'cm-oap-tls', namespace: ns }))()).toBe(true);
    await expect(backends.tls.agentCa({ ...ref, name: 'cm' })).rejects.toThrow(/not issued yet/);

    // deleted with the backend (garbage collection by owner reference)
    await backends.delete({ ...ref, name: 'cm' }, 'user:default/tester');
    await eventually('Certificates garbage collected', async () => (await gone(() => cert('cm-oap-tls'))()) && (await gone(() => cert('cm-banyandb-tls'))()), 60_000);
  });

  it('deleting the custom objects garbage-collects the certificate Secrets', async () => {
    // straight through the API (not BackendService.delete, which also removes them by label): the owner references do it
    for (const plural of ['oapservers', 'banyandbs']) {
      await custom().deleteNamespacedCustomObject({ group: 'operator.skywalking.apache.org', version: 'v1alpha1', namespace: ns, plural, name: 'demo', propagationPolicy: 'Background' });
    }
    const namespace = ns;
    const names = ['demo-ca', 'demo-oap-tls', 'demo-banyandb-tls'];
    await eventually(
      'certificate Secrets garbage collected',
      async () => (await Promise.all(names.map(name => gone(() => core().readNamespacedSecret({ name, namespace }))()))).every(Boolean),
      90_000,
    );
    const left = await core().listNamespacedSecret({ namespace, labelSelector: 'skywalking-backstage.io/tls-of=demo' });
    expect(left.items).toEqual([]);
  });
});
