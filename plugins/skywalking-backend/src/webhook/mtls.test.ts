import https from 'node:https';
import { mockServices } from '@backstage/backend-test-utils';
import { generateCa, generateServingCertificate, issueCertificate } from './certificates';
import { MUTATE_PODS_PATH, WebhookServer } from './server';

jest.setTimeout(60_000);

function post(port: number, ca: string, client?: { certPem: string; keyPem: string }) {
  return new Promise<number>((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: MUTATE_PODS_PATH,
        method: 'POST',
        ca,
        agent: false,
        headers: { 'content-type': 'application/json' },
        ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
      },
      res => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

describe('optional mTLS: only the API server client certificate is let in', () => {
  const serving = generateServingCertificate({ commonName: 'wh', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityMs: 3600_000 });
  const apiServerCa = generateCa({ commonName: 'api server client CA', validityMs: 3600_000 });
  const otherCa = generateCa({ commonName: 'someone else', validityMs: 3600_000 });
  const client = (ca: typeof apiServerCa) =>
    issueCertificate({ ca, commonName: 'kube-apiserver', dnsNames: [], validityMs: 3600_000, usage: 'clientAuth' });
  const server = new WebhookServer({
    host: '127.0.0.1',
    port: 0,
    certPem: serving.certPem,
    keyPem: serving.keyPem,
    clientCaPem: apiServerCa.certPem,
    logger: mockServices.logger.mock(),
    workers: 1,
  });
  let port = 0;
  beforeAll(async () => {
    port = await server.start();
  });
  afterAll(() => server.stop());

  it('answers a client with a certificate from the configured CA', async () => {
    // an empty object is no AdmissionReview: 400 proves the request got through TLS to the handler
    expect(await post(port, serving.caPem, client(apiServerCa))).toBe(400);
  });

  it('refuses clients without a certificate or with one from another CA at the TLS handshake', async () => {
    await expect(post(port, serving.caPem)).rejects.toThrow(/certificate required|socket hang up|ECONNRESET|alert/i);
    await expect(post(port, serving.caPem, client(otherCa))).rejects.toThrow(/unknown ca|socket hang up|ECONNRESET|alert/i);
  });
});
