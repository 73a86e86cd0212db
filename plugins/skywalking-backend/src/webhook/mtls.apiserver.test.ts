import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { createTestNamespace, eventually, getSharedTestCluster, LocalCluster, startLocalCluster } from '@internal/local-cluster';
import type * as K8s from '@kubernetes/client-node';
import YAML from 'yaml';
import { loadK8s } from '../clusters/k8s';
import { generateCa, generateServingCertificate, issueCertificate } from './certificates';
import { WebhookServer } from './server';
import { NAMESPACE_INJECTION_LABEL, POD_INJECTION_LABEL, renderMutatingWebhookConfiguration } from './webhookConfiguration';

/*
 * The optional mTLS check (skywalking.webhook.clientCaFile) against the real
 * client: a kube-apiserver started with an AdmissionConfiguration whose
 * WebhookAdmissionConfiguration kubeConfigFile gives it a client certificate
 * for our webhook's host:port, as an operator would set it up. That API
 * server is let in and the pod is mutated; an API server without the
 * certificate (the shared test cluster's) is refused at the handshake and,
 * with failurePolicy Fail, the pod is not created.
 */

jest.setTimeout(240_000);

const servingCert = generateServingCertificate({ commonName: 'wh', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityMs: 3600_000 });
const clientCa = generateCa({ commonName: 'api server webhook client CA', validityMs: 3600_000 });
const apiServerClient = issueCertificate({ ca: clientCa, commonName: 'kube-apiserver-webhook-client', dnsNames: [], validityMs: 3600_000, usage: 'clientAuth' });
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The files kube-apiserver reads: the AdmissionConfiguration and the kubeconfig of the client certificate per webhook host:port. */
function writeAdmissionConfig(dir: string, webhookHostPort: string): string {
  const kubeconfig = path.join(dir, 'webhook-client.kubeconfig');
  fs.writeFileSync(
    kubeconfig,
    YAML.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      users: [{ name: webhookHostPort, user: { 'client-certificate-data': b64(apiServerClient.certPem), 'client-key-data': b64(apiServerClient.keyPem) } }],
    }),
    { mode: 0o600 },
  );
  const file = path.join(dir, 'admission.yaml');
  const webhookAdmission = { apiVersion: 'apiserver.config.k8s.io/v1', kind: 'WebhookAdmissionConfiguration', kubeConfigFile: kubeconfig };
  fs.writeFileSync(
    file,
    YAML.stringify({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'AdmissionConfiguration',
      plugins: [
        { name: 'MutatingAdmissionWebhook', configuration: webhookAdmission },
        { name: 'ValidatingAdmissionWebhook', configuration: webhookAdmission },
      ],
    }),
  );
  return file;
}

async function clientOf(kubeconfig: string) {
  const k8s = await loadK8s();
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kubeconfig);
  return { k8s, kc, core: kc.makeApiClient(k8s.CoreV1Api), adm: kc.makeApiClient(k8s.AdmissionregistrationV1Api) };
}

/** Our registration, failing closed for the test's namespace: a refused call is a refused pod. */
async function register(c: Awaited<ReturnType<typeof clientOf>>, ns: string, port: number) {
  const body: any = renderMutatingWebhookConfiguration({ url: `https://127.0.0.1:${port}`, caPem: servingCert.caPem });
  body.metadata.name = `mtls-${ns}`;
  body.webhooks[0].failurePolicy = 'Fail';
  body.webhooks[0].namespaceSelector = { matchLabels: { 'kubernetes.io/metadata.name': ns } };
  await c.adm.createMutatingWebhookConfiguration({ body });
  return body.metadata.name as string;
}

/** The message of the API server's Status in a refused request. */
function statusMessage(e: any): string {
  try {
    return JSON.parse(e.body).message;
  } catch {
    return String(e?.message ?? e);
  }
}

const pod = (name: string): K8s.V1Pod => ({
  metadata: { name, labels: { [POD_INJECTION_LABEL]: 'true' } },
  spec: { containers: [{ name: 'app', image: 'x' }] },
});

describe('optional mTLS with the real API server as the client', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swb-mtls-'));
  const server = new WebhookServer({
    host: '127.0.0.1',
    port: 0,
    certPem: servingCert.certPem,
    keyPem: servingCert.keyPem,
    clientCaPem: clientCa.certPem,
    logger: mockServices.logger.mock(),
    mutator: { module: require.resolve('./__fixtures__/testMutators'), export: 'constantPatch' },
    workers: 1,
  });
  let port = 0;
  let withCert: LocalCluster | undefined;
  beforeAll(async () => {
    port = await server.start();
    withCert = await startLocalCluster({ nodes: 1, apiServerArgs: [`--admission-control-config-file=${writeAdmissionConfig(dir, `127.0.0.1:${port}`)}`] });
  });
  afterAll(async () => {
    await withCert?.stop();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('admits the pod of an API server that presents its client certificate from the AdmissionConfiguration', async () => {
    const c = await clientOf(withCert!.kubeconfig);
    const ns = 'mtls-with-cert';
    await c.core.createNamespace({ body: { metadata: { name: ns, labels: { [NAMESPACE_INJECTION_LABEL]: 'enabled' } } } });
    await register(c, ns, port);
    // the registration takes effect within a moment: the pod carries the webhook's annotation once it does
    const admitted = await eventually(
      'mutated pod',
      async () => {
        const p = await c.core.createNamespacedPod({ namespace: ns, body: pod(`p-${Date.now()}`) });
        return p.metadata?.annotations?.a === 'b' ? p : undefined;
      },
      60_000,
      500,
    );
    expect(admitted.metadata?.annotations).toEqual({ a: 'b' });
  });

  it('refuses an API server without the client certificate at the handshake, so the pod is not created', async () => {
    const shared = await getSharedTestCluster();
    const c = await clientOf(shared.kubeconfig);
    const ns = await createTestNamespace('mtls-no-cert');
    const name = await register(c, ns, port);
    try {
      // TLS 1.3: the client's request may race the server's alert, so a refusal reads "certificate required" or
      // a closed connection; every refusal is one of those, and the alert itself shows within a few tries
      const refusals: string[] = [];
      const refused = await eventually(
        'refused pod, certificate required',
        async () => {
          const podName = `p-${Date.now()}`;
          try {
            await c.core.createNamespacedPod({ namespace: ns, body: pod(podName) });
            return undefined; // the registration is not in effect yet
          } catch (e: any) {
            refusals.push(statusMessage(e));
            return /remote error: tls: certificate required/.test(refusals.at(-1)!) ? { podName } : undefined;
          }
        },
        60_000,
        500,
      );
      for (const m of refusals) {
        expect(m).toMatch(/failed calling webhook "java-agent\.skywalking-backstage\.apache\.org".*(remote error: tls: certificate required|use of closed network connection|connection reset by peer|broken pipe)/);
      }
      const names = (await c.core.listNamespacedPod({ namespace: ns })).items.map(p => p.metadata?.name);
      expect(names).not.toContain(refused.podName);
    } finally {
      await c.adm.deleteMutatingWebhookConfiguration({ name }).catch(() => undefined);
    }
  });
});
