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
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  // pkcs8Pem: "-----BEGIN PRIVATE KEY-----", what OAP's gRPC server reads
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), pkcs8Pem: privateKey };
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
  const ca = generateCa({ commonName: `${opts.commonName} CA`, validityMs: opts.validityMs, now: opts.now });
  const cert = issueCertificate({ ...opts, ca });
  return { caPem: ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem, notBefore: cert.notBefore, notAfter: cert.notAfter };
}

/** Rotate once two thirds of the lifetime have passed, as cert-manager does by default. */
export function needsRotation(c: { notBefore: Date; notAfter: Date }, now = new Date()): boolean {
  const lifetime = c.notAfter.getTime() - c.notBefore.getTime();
  return now.getTime() >= c.notBefore.getTime() + (lifetime * 2) / 3;
}

// ------------------------------------------------- a CA and certificates it issues

export interface IssuedCertificate {
  certPem: string;
  /** PKCS#8 PEM ("BEGIN PRIVATE KEY") */
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

/** A self-signed CA (basicConstraints cA, keyCertSign). */
export function generateCa(opts: { commonName: string; validityMs: number; now?: Date }): IssuedCertificate {
  const now = opts.now ?? new Date();
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + opts.validityMs);
  const keys = rsaKeyPair();
  const ca = forge.pki.createCertificate();
  ca.publicKey = keys.publicKey;
  ca.serialNumber = serial();
  ca.validity.notBefore = notBefore;
  ca.validity.notAfter = notAfter;
  const subject = [{ name: 'commonName', value: opts.commonName }];
  ca.setSubject(subject);
  ca.setIssuer(subject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(ca), keyPem: keys.pkcs8Pem, notBefore, notAfter };
}

/**
 * A serving certificate (serverAuth, the given DNS names and IPs) or a
 * client certificate, signed by the CA; never valid past the CA.
 */
export function issueCertificate(opts: {
  ca: { certPem: string; keyPem: string };
  commonName: string;
  dnsNames: string[];
  ipAddresses?: string[];
  validityMs: number;
  now?: Date;
  /** serverAuth by default; clientAuth for a client certificate (mTLS) */
  usage?: 'serverAuth' | 'clientAuth';
}): IssuedCertificate {
  const now = opts.now ?? new Date();
  const ca = forge.pki.certificateFromPem(opts.ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(opts.ca.keyPem);
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(Math.min(now.getTime() + opts.validityMs, ca.validity.notAfter.getTime()));
  const keys = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject([{ name: 'commonName', value: opts.commonName }]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', [opts.usage ?? 'serverAuth']: true },
    {
      name: 'subjectAltName',
      altNames: [...opts.dnsNames.map(value => ({ type: 2, value })), ...(opts.ipAddresses ?? []).map(ip => ({ type: 7, ip }))],
    },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.pkcs8Pem, notBefore, notAfter };
}

export interface CertificateInfo {
  serial: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  dnsNames: string[];
  subject: string;
  issuer: string;
}

/** What a PEM certificate says about itself (the first one of a bundle). */
export function certificateInfo(pem: string): CertificateInfo {
  const c = forge.pki.certificateFromPem(pem);
  const san = c.getExtension('subjectAltName') as { altNames?: { type: number; value?: string }[] } | undefined;
  const bc = c.getExtension('basicConstraints') as { cA?: boolean } | undefined;
  const dn = (attrs: forge.pki.CertificateField[]) => attrs.map(a => `${a.shortName ?? a.name}=${a.value}`).join(',');
  return {
    serial: c.serialNumber,
    notBefore: c.validity.notBefore,
    notAfter: c.validity.notAfter,
    isCA: bc?.cA === true,
    dnsNames: (san?.altNames ?? []).filter(n => n.type === 2).map(n => n.value!),
    subject: dn(c.subject.attributes),
    issuer: dn(c.issuer.attributes),
  };
}

/** The PEM certificates of a bundle, in order. */
export function splitPemBundle(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map(p => `${p}\n`) ?? [];
}

/** True when `certPem` is signed by `caPem`'s key. */
export function isSignedBy(certPem: string, caPem: string): boolean {
  try {
    return forge.pki.certificateFromPem(caPem).verify(forge.pki.certificateFromPem(certPem));
  } catch {
    return false;
  }
}
