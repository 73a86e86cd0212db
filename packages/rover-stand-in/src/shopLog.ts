/**
 * The demo shop's request lines (examples/shop/src/shop/Service.java):
 *
 *   2026-12-02T14:32:40.567Z service=orders event=request method=GET path=/orders status=200 from=10.244.0.7 ms=3
 *
 * logged once the response is written: the timestamp is the end of the
 * request, `ms` its duration, `from` the peer's address. Other lines (calls,
 * listening, stopping) are not requests served and are not access logs here.
 */

export interface ShopRequest {
  /** end of the request, nanoseconds since the epoch */
  endNs: bigint;
  /** start of the request (end - ms), nanoseconds since the epoch */
  startNs: bigint;
  service: string;
  method: string;
  path: string;
  status: number;
  /** the peer's IP address as the server saw it */
  from: string;
  ms: number;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** An RFC 3339 UTC instant (up to nanoseconds) as nanoseconds since the epoch. */
export function parseInstantNs(s: string): bigint | undefined {
  const m = ISO.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (Number.isNaN(ms)) return undefined;
  const frac = (m[7] ?? '').padEnd(9, '0');
  return BigInt(ms) * 1_000_000n + BigInt(frac);
}

/**
 * The request a shop log line reports, or undefined for a line that is not
 * a served request. A request line missing a field or with a malformed one
 * throws, naming what is wrong (the caller counts and logs it).
 */
export function parseShopLine(line: string): ShopRequest | undefined {
  const tokens = line.trim().split(/\s+/);
  if (tokens.length < 2) return undefined;
  const fields = new Map<string, string>();
  for (const t of tokens.slice(1)) {
    const eq = t.indexOf('=');
    if (eq > 0) fields.set(t.slice(0, eq), t.slice(eq + 1));
  }
  if (fields.get('event') !== 'request') return undefined;
  const endNs = parseInstantNs(tokens[0]);
  if (endNs === undefined) throw new Error(`request line: timestamp ${JSON.stringify(tokens[0])} is not an RFC 3339 UTC instant`);
  const need = (k: string) => {
    const v = fields.get(k);
    if (v === undefined || v === '') throw new Error(`request line: no ${k}= field`);
    return v;
  };
  const status = Number(need('status'));
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new Error(`request line: status=${fields.get('status')} is not an HTTP status`);
  const ms = Number(need('ms'));
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`request line: ms=${fields.get('ms')} is not a duration in ms`);
  return {
    endNs,
    startNs: endNs - BigInt(ms) * 1_000_000n,
    service: need('service'),
    method: need('method'),
    path: need('path'),
    status,
    from: need('from'),
    ms,
  };
}

/**
 * A log line as the API server streams it with `timestamps=true`: the
 * kubelet's RFC 3339 nano timestamp, a space, the container's line.
 */
export function splitKubeletTimestamp(line: string): { at: string; text: string } | undefined {
  const sp = line.indexOf(' ');
  if (sp <= 0) return undefined;
  const at = line.slice(0, sp);
  if (parseInstantNs(at) === undefined) return undefined;
  return { at, text: line.slice(sp + 1) };
}
