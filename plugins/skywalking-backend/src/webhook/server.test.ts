import https from 'node:https';
import { mockServices } from '@backstage/backend-test-utils';
import { generateServingCertificate, needsRotation } from './certificates';
import { WebhookServer, MUTATE_PODS_PATH } from './server';
import { renderMutatingWebhookConfiguration } from './webhookConfiguration';

function post(port: number, ca: string, body: string | Buffer, contentType = 'application/json') {
  return new Promise<{ status: number; json: any }>((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: MUTATE_PODS_PATH, method: 'POST', ca, agent: false, headers: { 'content-type': contentType } },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// generous: CI runs these beside the control-plane tests on two cores
jest.setTimeout(30_000);

describe('WebhookServer', () => {
  const cert = generateServingCertificate({
    commonName: 'skywalking-webhook',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    validityMs: 3600_000,
  });
  const events: any[] = [];
  const server = new WebhookServer({
    host: '127.0.0.1',
    port: 0,
    certPem: cert.certPem,
    keyPem: cert.keyPem,
    logger: mockServices.logger.mock(),
    mutator: { module: require.resolve('./__fixtures__/testMutators'), export: 'constantPatch' },
    observer: { onRequest: e => events.push(e) },
  });
  let port = 0;
  beforeAll(async () => {
    port = await server.start();
  });
  afterAll(() => server.stop());

  it('answers a pod AdmissionReview over TLS verified against the generated CA', async () => {
    const body = JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { uid: 'abc', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'x', object: { metadata: {}, spec: { containers: [] } } },
    });
    const r = await post(port, cert.caPem, body);
    expect(r.status).toBe(200);
    expect(r.json.response).toMatchObject({ uid: 'abc', allowed: true, patchType: 'JSONPatch' });
    expect(events.at(-1)).toMatchObject({ outcome: 'injected', status: 200 });
    expect(events.at(-1).durationMs).toBeGreaterThan(0);
  });

  it('refuses bad JSON, a wrong content type and an oversized body, and keeps serving', async () => {
    expect((await post(port, cert.caPem, '{nope')).status).toBe(400);
    expect((await post(port, cert.caPem, '{}', 'text/plain')).status).toBe(415);
    expect((await post(port, cert.caPem, Buffer.alloc(4 * 1024 * 1024, 0x20))).status).toBe(413);
    const ok = await post(port, cert.caPem, JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'z', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'DELETE' } }));
    expect(ok.json.response).toEqual({ uid: 'z', allowed: true });
  });

  it('serves a rotated certificate without restarting', async () => {
    const next = generateServingCertificate({ commonName: 'skywalking-webhook', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityMs: 3600_000 });
    server.setCertificate(next.certPem, next.keyPem);
    await expect(post(port, cert.caPem, '{}')).rejects.toThrow();
    const r = await post(port, next.caPem, '{}');
    expect(r.status).toBe(400);
  });
});

describe('certificates', () => {
  it('rotates after two thirds of the lifetime', () => {
    const notBefore = new Date('2026-01-01T00:00:00Z');
    const notAfter = new Date('2026-01-04T00:00:00Z');
    expect(needsRotation({ notBefore, notAfter }, new Date('2026-01-02T23:00:00Z'))).toBe(false);
    expect(needsRotation({ notBefore, notAfter }, new Date('2026-01-03T00:00:01Z'))).toBe(true);
  });
});

describe('renderMutatingWebhookConfiguration', () => {
  it('is safe by default: Ignore, short timeout, no side effects, opt-in selectors', () => {
    const c = renderMutatingWebhookConfiguration({ url: 'https://127.0.0.1:9443/', caPem: 'PEM', timeoutSeconds: 120 });
    const [w] = c.webhooks;
    expect(w.failurePolicy).toBe('Ignore');
    expect(w.timeoutSeconds).toBe(30);
    expect(w.sideEffects).toBe('None');
    expect(w.reinvocationPolicy).toBe('IfNeeded');
    expect(w.clientConfig.url).toBe('https://127.0.0.1:9443/mutate-pods');
    expect(Buffer.from(w.clientConfig.caBundle, 'base64').toString()).toBe('PEM');
    expect(w.namespaceSelector).toEqual({ matchLabels: { 'swck-injection': 'enabled' } });
    expect(w.objectSelector).toEqual({ matchLabels: { 'swck-java-agent-injected': 'true' } });
  });
});
