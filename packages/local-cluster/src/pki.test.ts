import { X509Certificate } from 'node:crypto';
import { createCertificateAuthority } from './pki';

describe('createCertificateAuthority', () => {
  it('issues certificates that verify against the CA, with the requested SANs and usages', () => {
    const ca = createCertificateAuthority('test-ca');
    const caCert = new X509Certificate(ca.certPem);
    expect(caCert.ca).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);

    const server = new X509Certificate(
      ca.issue({ commonName: 'srv', dnsNames: ['localhost'], ips: ['127.0.0.1', '::1'], server: true }).certPem,
    );
    expect(server.checkIssued(caCert)).toBe(true);
    expect(server.verify(caCert.publicKey)).toBe(true);
    expect(server.subjectAltName).toContain('DNS:localhost');
    expect(server.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(server.keyUsage).toContain('1.3.6.1.5.5.7.3.1');

    const client = new X509Certificate(ca.issue({ commonName: 'admin', organization: 'system:masters', client: true }).certPem);
    expect(client.verify(caCert.publicKey)).toBe(true);
    expect(client.subject).toContain('O=system:masters');
    expect(client.keyUsage).toContain('1.3.6.1.5.5.7.3.2');
  });
});
