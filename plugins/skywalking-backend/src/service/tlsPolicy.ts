/**
 * Pure rules of a backend's certificates: lifetimes, when to renew, how the
 * CA bundle is kept over a CA rotation, and the checksum that rolls pods.
 */
import { createHash } from 'node:crypto';

const DAY_MS = 24 * 3600_000;

export const CA_VALIDITY_MS = 3650 * DAY_MS; // 10 years
export const SERVING_VALIDITY_MS = 365 * DAY_MS;
/** serving certificates are renewed within 30 days of expiry */
export const SERVING_RENEW_BEFORE_MS = 30 * DAY_MS;
/** the CA within a year of expiry; both CAs are trusted meanwhile */
export const CA_RENEW_BEFORE_MS = 365 * DAY_MS;

/**
 * True when a certificate is due: a CA within a year of expiry, a serving
 * certificate within 30 days (or past it, or not valid yet).
 */
export function needsRotation(cert: { notAfter: Date; notBefore?: Date; isCA?: boolean }, now: Date = new Date()): boolean {
  if (cert.notBefore && cert.notBefore.getTime() > now.getTime() + 5 * 60_000) return true;
  const renewBefore = cert.isCA ? CA_RENEW_BEFORE_MS : SERVING_RENEW_BEFORE_MS;
  return cert.notAfter.getTime() - now.getTime() <= renewBefore;
}

/**
 * The ca.crt to distribute: the current CA first, then the earlier ones
 * that are still valid (so certificates of the old CA stay trusted until
 * replaced), each once.
 */
export function caBundle(current: string, previous: { pem: string; notAfter: Date }[], now: Date = new Date()): string {
  const norm = (p: string) => `${p.trim()}\n`;
  const out = [norm(current)];
  for (const p of previous) {
    if (p.notAfter.getTime() <= now.getTime()) continue;
    if (!out.includes(norm(p.pem))) out.push(norm(p.pem));
  }
  return out.join('');
}

/** Checksum of a certificate Secret's public content (never the key): stamped on pod templates. */
export function tlsChecksum(data: { 'tls.crt'?: string; 'ca.crt'?: string }): string {
  return createHash('sha256')
    .update(data['tls.crt'] ?? '')
    .update('\0')
    .update(data['ca.crt'] ?? '')
    .digest('hex')
    .slice(0, 16);
}

/** True when the certificate carries exactly the wanted DNS names (in any order). */
export function sameNames(have: string[], want: string[]): boolean {
  const a = [...new Set(have)].sort();
  const b = [...new Set(want)].sort();
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** cert-manager durations (Go time.Duration) of the serving certificates. */
export const CERT_MANAGER_DURATION = `${SERVING_VALIDITY_MS / 3600_000}h`;
export const CERT_MANAGER_RENEW_BEFORE = `${SERVING_RENEW_BEFORE_MS / 3600_000}h`;
