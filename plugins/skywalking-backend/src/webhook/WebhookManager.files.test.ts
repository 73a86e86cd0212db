import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import { certificateInfo, generateServingCertificate } from './certificates';
import { WebhookManager } from './WebhookManager';

jest.setTimeout(60_000);

/** The serial of the certificate the server presents in a TLS handshake. */
function presentedSerial(port: number, ca: string) {
  return new Promise<string>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(s.getPeerX509Certificate()!.serialNumber.toLowerCase());
      s.end();
    });
    s.on('error', reject);
  });
}

describe('webhook certificates from files', () => {
  it('serves certificate files renewed in place (cert-manager, a mounted Secret) at the next maintain, without a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swb-webhook-'));
    const issue = () => generateServingCertificate({ commonName: 'wh', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityMs: 3600_000 });
    const write = (c: ReturnType<typeof issue>) => {
      fs.writeFileSync(path.join(dir, 'tls.crt'), c.certPem);
      fs.writeFileSync(path.join(dir, 'tls.key'), c.keyPem);
      fs.writeFileSync(path.join(dir, 'ca.crt'), c.caPem);
    };
    const first = issue();
    write(first);
    const m = new WebhookManager({
      config: new ConfigReader({
        skywalking: { webhook: { port: 0, workers: 1, certFile: path.join(dir, 'tls.crt'), keyFile: path.join(dir, 'tls.key'), caFile: path.join(dir, 'ca.crt') } },
      }),
      clusters: { names: () => [], definition: () => ({}) as any, kubeConfig: () => undefined as any },
      logger: mockServices.logger.mock(),
    });
    const port = await m.start();
    try {
      const serial = (pem: string) => certificateInfo(pem).serial.replace(/^0+/, '');
      expect((await presentedSerial(port, first.caPem)).replace(/^0+/, '')).toBe(serial(first.certPem));
      expect(await m.maintain()).toBe(false);
      const renewed = issue();
      write(renewed);
      expect(await m.maintain()).toBe(true);
      expect((await presentedSerial(port, renewed.caPem)).replace(/^0+/, '')).toBe(serial(renewed.certPem));
      expect(m.caBundle()).toBe(renewed.caPem);
    } finally {
      await m.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
