import { caBundle, needsRotation, sameNames, tlsChecksum } from './tlsPolicy';

const DAY = 24 * 3600_000;
const now = new Date('2027-01-01T00:00:00Z');
const at = (days: number) => new Date(now.getTime() + days * DAY);

describe('needsRotation', () => {
  it('renews a serving certificate within 30 days of expiry', () => {
    expect(needsRotation({ notBefore: at(-300), notAfter: at(65) }, now)).toBe(false);
    expect(needsRotation({ notBefore: at(-300), notAfter: at(31) }, now)).toBe(false);
    expect(needsRotation({ notBefore: at(-300), notAfter: at(30) }, now)).toBe(true);
    expect(needsRotation({ notBefore: at(-300), notAfter: at(1) }, now)).toBe(true);
    expect(needsRotation({ notBefore: at(-300), notAfter: at(-1) }, now)).toBe(true);
  });

  it('renews a CA within a year of expiry', () => {
    expect(needsRotation({ notBefore: at(-100), notAfter: at(3000), isCA: true }, now)).toBe(false);
    expect(needsRotation({ notBefore: at(-100), notAfter: at(366), isCA: true }, now)).toBe(false);
    expect(needsRotation({ notBefore: at(-100), notAfter: at(365), isCA: true }, now)).toBe(true);
  });

  it('renews a certificate that is not valid yet (clock skew beyond 5 minutes)', () => {
    expect(needsRotation({ notBefore: at(2), notAfter: at(300) }, now)).toBe(true);
    expect(needsRotation({ notBefore: new Date(now.getTime() + 60_000), notAfter: at(300) }, now)).toBe(false);
  });
});

describe('caBundle', () => {
  const pem = (n: string) => `-----BEGIN CERTIFICATE-----\n${n}\n-----END CERTIFICATE-----`;
  it('puts the current CA first and keeps the previous ones while they are valid, once each', () => {
    expect(caBundle(pem('new'), [{ pem: pem('old'), notAfter: at(200) }, { pem: `${pem('new')}\n`, notAfter: at(3000) }], now)).toBe(`${pem('new')}\n${pem('old')}\n`);
    expect(caBundle(pem('new'), [{ pem: pem('expired'), notAfter: at(-1) }], now)).toBe(`${pem('new')}\n`);
  });
});

describe('tlsChecksum and sameNames', () => {
  it('changes with the certificate or the CA, never reads the key', () => {
    const a = tlsChecksum({ 'tls.crt': 'A', 'ca.crt': 'C' });
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(tlsChecksum({ 'tls.crt': 'A', 'ca.crt': 'C', 'tls.key': 'K' } as any)).toBe(a);
    expect(tlsChecksum({ 'tls.crt': 'B', 'ca.crt': 'C' })).not.toBe(a);
    expect(tlsChecksum({ 'tls.crt': 'A', 'ca.crt': 'D' })).not.toBe(a);
  });

  it('compares DNS names as sets', () => {
    expect(sameNames(['b', 'a'], ['a', 'b'])).toBe(true);
    expect(sameNames(['a'], ['a', 'b'])).toBe(false);
  });
});
