import { addressFromSlices, parseServiceRef } from './oapAddress';

describe("OAP's address from its Service", () => {
  it('is the first ready endpoint on the grpc port, stable across listings', () => {
    const slices = [
      {
        ports: [{ name: 'rest', port: 12800 }, { name: 'grpc', port: 11800 }],
        endpoints: [
          { addresses: ['10.251.0.9'], conditions: { ready: true } },
          { addresses: ['10.251.0.4'], conditions: { ready: false } },
          { addresses: ['10.251.0.7'], conditions: { ready: true } },
        ],
      },
    ];
    expect(addressFromSlices(slices)).toBe('10.251.0.7:11800');
    expect(addressFromSlices([{ ...slices[0], endpoints: [...slices[0].endpoints].reverse() }])).toBe('10.251.0.7:11800');
  });

  it('is none while no endpoint is ready or no port is gRPC', () => {
    expect(addressFromSlices([{ ports: [{ name: 'grpc', port: 11800 }], endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: false } }] }])).toBeUndefined();
    expect(addressFromSlices([{ ports: [{ name: 'rest', port: 12800 }], endpoints: [{ addresses: ['10.0.0.1'] }] }])).toBeUndefined();
    expect(addressFromSlices([])).toBeUndefined();
  });

  it('brackets an IPv6 address', () => {
    expect(addressFromSlices([{ ports: [{ port: 11800 }], endpoints: [{ addresses: ['fd00::5'] }] }])).toBe('[fd00::5]:11800');
  });

  it('takes <namespace>/<name> and names a malformed reference', () => {
    expect(parseServiceRef('sw/demo-oap')).toEqual({ namespace: 'sw', name: 'demo-oap' });
    expect(() => parseServiceRef('sw/demo/oap')).toThrow(/not <namespace>\/<service name>/);
    expect(() => parseServiceRef('Sw/x')).toThrow(/"Sw\/x"/);
  });
});
