import forge from 'node-forge';
import { certificateInfo, generateCa, generateServingCertificate, isSignedBy, issueCertificate, splitPemBundle } from './certificates';

describe('a CA and the certificates it issues', () => {
  const now = new Date('2027-01-01T00:00:00Z');
  const ca = generateCa({ commonName: 'demo CA', validityMs: 10 * 365 * 86400_000, now });
  const other = generateCa({ commonName: 'other CA', validityMs: 86400_000, now });

  it('issues a serving certificate with the SANs, a PKCS#8 key, verifiable against the CA only', () => {
    const cert = issueCertificate({ ca, commonName: 'demo-oap', dnsNames: ['demo-oap', 'demo-oap.sw.svc'], validityMs: 365 * 86400_000, now });
    expect(cert.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const info = certificateInfo(cert.certPem);
    expect(info.dnsNames).toEqual(['demo-oap', 'demo-oap.sw.svc']);
    expect(info.isCA).toBe(false);
    expect(certificateInfo(ca.certPem).isCA).toBe(true);
    expect(isSignedBy(cert.certPem, ca.certPem)).toBe(true);
    expect(isSignedBy(cert.certPem, other.certPem)).toBe(false);
    const store = forge.pki.createCaStore([ca.certPem]);
    expect(forge.pki.verifyCertificateChain(store, [forge.pki.certificateFromPem(cert.certPem)], { validityCheckDate: now })).toBe(true);
    // the key belongs to the certificate
    const key = forge.pki.privateKeyFromPem(cert.keyPem) as forge.pki.rsa.PrivateKey;
    expect((forge.pki.certificateFromPem(cert.certPem).publicKey as forge.pki.rsa.PublicKey).n.equals(key.n)).toBe(true);
  });

  it('never issues past the CA', () => {
    const cert = issueCertificate({ ca: other, commonName: 'x', dnsNames: ['x'], validityMs: 365 * 86400_000, now });
    expect(cert.notAfter.getTime()).toBe(certificateInfo(other.certPem).notAfter.getTime());
  });

  it('splits a bundle; the webhook certificate is unchanged', () => {
    expect(splitPemBundle(`${ca.certPem}${other.certPem}`)).toHaveLength(2);
    const w = generateServingCertificate({ commonName: 'wh', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityMs: 3600_000 });
    expect(isSignedBy(w.certPem, w.caPem)).toBe(true);
  });
});
