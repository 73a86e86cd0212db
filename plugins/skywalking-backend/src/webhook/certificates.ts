import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

export interface ServingCertificate {
  caPem: string;
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

// Node's native RSA key generation: node-forge's pure-JS one takes seconds
function rsaKeyPair() {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

function serial(): string {
  // positive 16-byte serial
  const hex = forge.util.bytesToHex(forge.random.getBytesSync(16));
  return `0${hex.slice(1)}`;
}

/**
 * A self-signed CA and a serving certificate signed by it, for the admission
 * webhook. The API server trusts the CA through the webhook's caBundle.
 */
export function generateServingCertificate(opts: {
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  validityMs: number;
  now?: Date;
}): ServingCertificate {
  const now = opts.now ?? new Date();
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + opts.validityMs);

  const caKeys = rsaKeyPair();
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = serial();
  ca.validity.notBefore = notBefore;
  ca.validity.notAfter = notAfter;
  const caSubject = [{ name: 'commonName', value: `${opts.commonName} CA` }];
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const keys = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject([{ name: 'commonName', value: opts.commonName }]);
  cert.setIssuer(caSubject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...opts.dnsNames.map(value => ({ type: 2, value })),
        ...opts.ipAddresses.map(ip => ({ type: 7, ip })),
      ],
    },
  ]);
  cert.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    caPem: forge.pki.certificateToPem(ca),
    certPem: forge.pki.certificateToPem(cert),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
    notBefore,
    notAfter,
  };
}

/** Rotate once two thirds of the lifetime have passed, as cert-manager does by default. */
export function needsRotation(c: { notBefore: Date; notAfter: Date }, now = new Date()): boolean {
  const lifetime = c.notAfter.getTime() - c.notBefore.getTime();
  return now.getTime() >= c.notBefore.getTime() + (lifetime * 2) / 3;
}
