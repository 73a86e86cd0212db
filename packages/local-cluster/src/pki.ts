import { generateKeyPairSync, sign } from 'node:crypto';
import forge from 'node-forge';

export interface KeyPair {
  keyPem: string;
  key: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  publicPem: string;
}

/** RSA keys from Node's native generator (node-forge's JS one is slow). */
export function rsaKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { keyPem: privateKey, key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), publicPem: publicKey };
}

/**
 * Signs with Node's native RSA (SHA-256) exactly as forge's cert.sign() does:
 * forge's pure-JS big-integer signing takes seconds per certificate under Jest.
 */
function signCertificate(cert: forge.pki.Certificate, keyPem: string) {
  const c = cert as any;
  c.md = forge.md.sha256.create();
  c.signatureOid = c.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption;
  c.tbsCertificate = (forge.pki as any).getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(c.tbsCertificate).getBytes(), 'binary');
  c.signature = sign('sha256', tbs, keyPem).toString('binary');
}

function serial() {
  return `0${forge.util.bytesToHex(forge.random.getBytesSync(16)).slice(1)}`;
}

export interface Issued {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends Issued {
  issue(opts: {
    commonName: string;
    organization?: string;
    dnsNames?: string[];
    ips?: string[];
    server?: boolean;
    client?: boolean;
  }): Issued;
}

/** One CA for the whole local cluster, valid for a year. */
export function createCertificateAuthority(name = 'skywalking-backstage-local-ca'): CertificateAuthority {
  const caKeys = rsaKeyPair();
  const now = Date.now();
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = serial();
  ca.validity.notBefore = new Date(now - 3600_000);
  ca.validity.notAfter = new Date(now + 365 * 24 * 3600_000);
  const subject = [{ name: 'commonName', value: name }];
  ca.setSubject(subject);
  ca.setIssuer(subject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signCertificate(ca, caKeys.keyPem);

  return {
    certPem: forge.pki.certificateToPem(ca),
    keyPem: caKeys.keyPem,
    issue(o) {
      const keys = rsaKeyPair();
      const cert = forge.pki.createCertificate();
      cert.publicKey = keys.publicKey;
      cert.serialNumber = serial();
      cert.validity.notBefore = new Date(now - 3600_000);
      cert.validity.notAfter = new Date(now + 365 * 24 * 3600_000);
      const subj: forge.pki.CertificateField[] = [{ name: 'commonName', value: o.commonName }];
      if (o.organization) subj.push({ name: 'organizationName', value: o.organization });
      cert.setSubject(subj);
      cert.setIssuer(subject);
      const ext: any[] = [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: !!o.server, clientAuth: !!o.client },
      ];
      if (o.dnsNames?.length || o.ips?.length) {
        ext.push({
          name: 'subjectAltName',
          altNames: [
            ...(o.dnsNames ?? []).map(value => ({ type: 2, value })),
            ...(o.ips ?? []).map(ip => ({ type: 7, ip })),
          ],
        });
      }
      cert.setExtensions(ext);
      signCertificate(cert, caKeys.keyPem);
      return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
    },
  };
}
