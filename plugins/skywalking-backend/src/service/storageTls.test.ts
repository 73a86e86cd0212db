/*
 * TLS from OAP to external storage on the real local control plane with the
 * reconcile engine running: a backend on Elasticsearch with
 * storage.external.tls gets the truststore init container, the volumes and
 * the secretKeyRef env in both OAP Deployments (role split); the truststore
 * password Secret is created once and kept; a changed CA rolls the pods by
 * its checksum; TLS off removes it all.
 */
import { eventually } from '@internal/local-cluster';
import { STORAGE_CA_CHECKSUM_ANNOTATION } from '@skywalking-backstage/plugin-skywalking-common';
import { K8s } from '../clusters/k8s';
import { OperatorEngine } from '../engine/OperatorEngine';
import { generateCa } from '../webhook/certificates';
import { BackendService } from './BackendService';
import { storageCaChecksum, STORAGE_TRUSTSTORE_OF_LABEL } from './StorageTls';
import { startTestOperator } from '../__testUtils__/testOperator';

jest.setTimeout(180_000);

const CLUSTER = 'local';
let k8s: typeof K8s;
let admin: K8s.KubeConfig;
let ns: string;
let backends: BackendService;
let engine: OperatorEngine;

const ref = () => ({ cluster: CLUSTER, namespace: ns, name: 'est' });
const spec = (tls?: { caSecretName: string; caKey?: string }) => ({
  name: 'est',
  namespace: ns,
  cluster: CLUSTER,
  version: '10.2.0',
  ui: { enabled: false },
  oap: { replicas: 2, roleSplit: { enabled: true } },
  storage: { type: 'elasticsearch', external: { address: 'es.example:9200', secretName: 'es-cred', ...(tls ? { tls } : {}) } },
});
const core = () => admin.makeApiClient(k8s.CoreV1Api);
const apps = () => admin.makeApiClient(k8s.AppsV1Api);
const b64 = (s: string) => Buffer.from(s).toString('base64');
const DEPLOYMENTS = ['est-oap-receiver', 'est-oap-aggregator'];
const readDeployment = (name: string) => apps().readNamespacedDeployment({ name, namespace: ns }).catch(() => undefined);
const readTruststore = () => core().readNamespacedSecret({ name: 'est-storage-truststore', namespace: ns }).catch(() => undefined);

beforeAll(async () => {
  ({ k8s, admin, ns, backends, engine } = await startTestOperator('storage-tls'));
  await core().createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'es-cred' }, data: { username: b64('sw'), password: b64('pw') } } });
});

afterAll(async () => {
  await engine?.stop();
});

describe('TLS to external storage on the local control plane', () => {
  const ca1 = generateCa({ commonName: 'es CA 1', validityMs: 24 * 3600_000 }).certPem;
  const ca2 = generateCa({ commonName: 'es CA 2', validityMs: 24 * 3600_000 }).certPem;

  it('both OAP Deployments get the truststore init container, the CA and truststore volumes and the password by secretKeyRef; the password Secret is created', async () => {
    await core().createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'es-ca' }, data: { 'ca.pem': b64(ca1) } } });
    expect(await backends.create(spec({ caSecretName: 'es-ca', caKey: 'ca.pem' }), 'user:default/tester')).toEqual({ applied: true, queued: false });

    const secret = await eventually('truststore Secret', readTruststore, 30_000);
    const password = Buffer.from(secret.data!.password, 'base64').toString();
    expect(password).toMatch(/^[0-9a-f]{48}$/);
    expect(secret.metadata!.labels![STORAGE_TRUSTSTORE_OF_LABEL]).toBe('est');
    expect(secret.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'OAPServer', name: 'est' })]);

    for (const name of DEPLOYMENTS) {
      const d = await eventually(`${name} with the truststore init container and the CA checksum`, async () => {
        const x = await readDeployment(name);
        return x?.spec?.template.spec?.initContainers?.length && x.spec.template.metadata?.annotations?.[STORAGE_CA_CHECKSUM_ANNOTATION] ? x : undefined;
      }, 60_000);
      const pod = d.spec!.template.spec!;
      const init = pod.initContainers![0];
      expect(init.name).toBe('storage-truststore');
      expect(init.image).toBe('apache/skywalking-oap-server:10.2.0');
      expect(init.command![2]).toContain('keytool -importcert');
      expect(init.env).toContainEqual({ name: 'SW_STORAGE_TRUSTSTORE_PASSWORD', valueFrom: { secretKeyRef: { name: 'est-storage-truststore', key: 'password' } } });
      expect(pod.volumes).toEqual(
        expect.arrayContaining([
          { name: 'storage-ca', secret: { secretName: 'es-ca', items: [{ key: 'ca.pem', path: 'ca.crt' }], defaultMode: 420 } },
          { name: 'storage-truststore', emptyDir: { sizeLimit: '1Mi' } },
        ]),
      );
      const env = pod.containers[0].env!;
      expect(env).toContainEqual({ name: 'SW_STORAGE_ES_HTTP_PROTOCOL', value: 'https' });
      expect(env).toContainEqual({ name: 'SW_STORAGE_ES_SSL_JKS_PATH', value: '/skywalking/storage-truststore/truststore.jks' });
      expect(env).toContainEqual({ name: 'SW_STORAGE_ES_SSL_JKS_PASS', valueFrom: { secretKeyRef: { name: 'est-storage-truststore', key: 'password' } } });
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'storage-truststore', mountPath: '/skywalking/storage-truststore', readOnly: true });
      expect(d.spec!.template.metadata!.annotations![STORAGE_CA_CHECKSUM_ANNOTATION]).toBe(storageCaChecksum(ca1));
      // the password itself is nowhere in the Deployment
      expect(JSON.stringify(d)).not.toContain(password);
    }
    // nor in the OAPServer
    const oap: any = await admin
      .makeApiClient(k8s.CustomObjectsApi)
      .getNamespacedCustomObject({ group: 'operator.skywalking.apache.org', version: 'v1alpha1', namespace: ns, plural: 'oapservers', name: 'est' });
    expect(JSON.stringify(oap)).not.toContain(password);
  });

  it('the password Secret is kept across updates and scheduled reconciles; a changed CA rolls both Deployments', async () => {
    const before = (await readTruststore())!;
    expect(await backends.update(ref(), spec({ caSecretName: 'es-ca', caKey: 'ca.pem' }), 'user:default/tester')).toEqual({ applied: true, queued: false });
    await backends.storageTls.reconcileAll();
    const after = (await readTruststore())!;
    expect(after.metadata!.uid).toBe(before.metadata!.uid);
    expect(after.metadata!.resourceVersion).toBe(before.metadata!.resourceVersion);
    expect(after.data).toEqual(before.data);

    await core().replaceNamespacedSecret({ name: 'es-ca', namespace: ns, body: { metadata: { name: 'es-ca' }, data: { 'ca.pem': b64(ca2) } } });
    const r = await backends.storageTls.reconcileAll();
    expect(r.errors).toEqual([]);
    expect(r.changed).toContainEqual(expect.stringContaining('storage CA checksum recorded'));
    for (const name of DEPLOYMENTS) {
      await eventually(`${name} rolled to the new CA's checksum`, async () => (await readDeployment(name))?.spec?.template.metadata?.annotations?.[STORAGE_CA_CHECKSUM_ANNOTATION] === storageCaChecksum(ca2), 60_000);
    }
    expect((await readTruststore())!.data).toEqual(before.data);
  });

  it('storage TLS off: the init container, volumes and env go, the password Secret is deleted', async () => {
    expect(await backends.update(ref(), spec(), 'user:default/tester')).toEqual({ applied: true, queued: false });
    await eventually('truststore Secret deleted', async () => !(await readTruststore()), 30_000);
    for (const name of DEPLOYMENTS) {
      const d = await eventually(`${name} without storage TLS`, async () => {
        const x = await readDeployment(name);
        return x && !x.spec?.template.spec?.initContainers?.length ? x : undefined;
      }, 60_000);
      const env = d.spec!.template.spec!.containers[0].env!.map(e => e.name);
      expect(env).not.toContain('SW_STORAGE_ES_HTTP_PROTOCOL');
      expect(env).not.toContain('SW_STORAGE_TRUSTSTORE_PASSWORD');
      expect(d.spec!.template.metadata!.annotations?.[STORAGE_CA_CHECKSUM_ANNOTATION]).toBeUndefined();
      expect((d.spec!.template.spec!.volumes ?? []).map(v => v.name)).not.toContain('storage-ca');
    }
  });
});
