import { parseInstantNs, parseShopLine, splitKubeletTimestamp } from './shopLog';

describe('parseShopLine', () => {
  it('reads a request line of the shop: end time, start = end - ms, method, path, status, peer', () => {
    const r = parseShopLine('2026-12-02T14:32:40.567Z service=orders event=request method=GET path=/orders status=200 from=10.244.0.7 ms=3');
    expect(r).toEqual({
      endNs: BigInt(Date.UTC(2026, 11, 2, 14, 32, 40, 567)) * 1_000_000n,
      startNs: BigInt(Date.UTC(2026, 11, 2, 14, 32, 40, 564)) * 1_000_000n,
      service: 'orders',
      method: 'GET',
      path: '/orders',
      status: 200,
      from: '10.244.0.7',
      ms: 3,
    });
  });

  it('keeps the microseconds of a JDK Instant', () => {
    const r = parseShopLine('2026-12-02T14:32:40.567891Z service=payments event=request method=GET path=/pay status=502 from=10.244.0.9 ms=0');
    expect(r!.endNs % 1_000_000_000n).toBe(567_891_000n);
    expect(r!.status).toBe(502);
  });

  it('is not an access log for calls made, listening and stopping lines', () => {
    expect(parseShopLine('2026-12-02T14:32:40.051Z service=orders event=call url=http://shop-payments/pay status=200 ms=2')).toBeUndefined();
    expect(parseShopLine('2026-12-02T14:32:40.051Z service=orders event=listening port=8080')).toBeUndefined();
    expect(parseShopLine('Picked up JAVA_TOOL_OPTIONS: -Xss512k')).toBeUndefined();
    expect(parseShopLine('')).toBeUndefined();
  });

  it('names what is wrong in a malformed request line', () => {
    expect(() => parseShopLine('yesterday service=orders event=request method=GET path=/ status=200 from=1.2.3.4 ms=1')).toThrow(/timestamp "yesterday"/);
    expect(() => parseShopLine('2026-12-02T14:32:40Z service=orders event=request method=GET path=/ status=200 ms=1')).toThrow(/no from= field/);
    expect(() => parseShopLine('2026-12-02T14:32:40Z service=orders event=request method=GET path=/ status=20 from=1.2.3.4 ms=1')).toThrow(/status=20 is not/);
    expect(() => parseShopLine('2026-12-02T14:32:40Z service=orders event=request method=GET path=/ status=200 from=1.2.3.4 ms=-1')).toThrow(/ms=-1/);
  });
});

describe('timestamps', () => {
  it('reads RFC 3339 UTC instants to the nanosecond, and nothing else', () => {
    expect(parseInstantNs('1970-01-01T00:00:01.000000002Z')).toBe(1_000_000_002n);
    expect(parseInstantNs('2026-12-02T14:32:40+01:00')).toBeUndefined();
  });

  it('splits the kubelet timestamp off a line streamed with timestamps=true', () => {
    expect(splitKubeletTimestamp('2026-12-02T14:32:40.567891234Z 2026-12-02T14:32:40.567Z service=orders event=request')).toEqual({
      at: '2026-12-02T14:32:40.567891234Z',
      text: '2026-12-02T14:32:40.567Z service=orders event=request',
    });
    expect(splitKubeletTimestamp('no timestamp here')).toBeUndefined();
  });
});
