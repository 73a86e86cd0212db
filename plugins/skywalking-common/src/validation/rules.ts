/**
 * Primitive validators with Kubernetes' exact rules. Each returns an error
 * message, or undefined when the value is fine.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;

const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v) : String(v));

/** RFC 1123 label (namespaces, Service names): lowercase alphanumerics and '-', at most 63. */
export function checkDns1123Label(v: unknown, max = DNS1123_LABEL_MAX): string | undefined {
  if (typeof v !== 'string' || v === '') return 'is required';
  if (v.length > max) return `must be no more than ${max} characters (got ${v.length})`;
  if (!DNS1123_LABEL.test(v)) {
    return `${describe(v)} must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** RFC 1123 subdomain (most object names, Secret names): labels joined by '.', at most 253. */
export function checkDns1123Subdomain(v: unknown, max = DNS1123_SUBDOMAIN_MAX): string | undefined {
  if (typeof v !== 'string' || v === '') return 'is required';
  if (v.length > max) return `must be no more than ${max} characters (got ${v.length})`;
  if (!DNS1123_SUBDOMAIN.test(v)) {
    return `${describe(v)} must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Label value: empty, or at most 63 of [A-Za-z0-9_.-] starting and ending alphanumeric. */
export function checkLabelValue(v: unknown): string | undefined {
  if (typeof v !== 'string') return 'must be a string';
  if (v.length > 63) return 'must be no more than 63 characters';
  if (v !== '' && !/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(v)) return `${describe(v)} is not a valid label value`;
  return undefined;
}

/** Label or annotation key: optional DNS-1123 subdomain prefix and '/', then a name of at most 63. */
export function checkQualifiedName(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return 'is required';
  const parts = v.split('/');
  if (parts.length > 2) return `${describe(v)} may contain at most one '/'`;
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefixError = checkDns1123Subdomain(parts[0]);
    if (prefixError) return `prefix ${prefixError}`;
  }
  if (name.length === 0 || name.length > 63 || !/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name)) {
    return `${describe(v)} is not a qualified name: at most 63 of letters, digits, '-', '_' and '.', starting and ending alphanumeric`;
  }
  return undefined;
}

/**
 * SkyWalking version: x.y.z with an optional pre-release suffix (10.2.0, 10.3.0-rc1).
 * Floating tags such as `latest` are refused: upgrades must be explicit and reversible.
 */
export const VERSION_PATTERN = /^(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})(-[0-9A-Za-z]+(\.[0-9A-Za-z]+)*)?$/;
export function checkVersion(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return 'is required';
  if (v.length > 64) return 'is too long';
  if (/^latest$/i.test(v.trim())) return `"latest" is not accepted: pin a version such as 10.2.0 so upgrades are explicit`;
  if (!VERSION_PATTERN.test(v)) return `${describe(v)} is not a version such as 10.2.0 (x.y.z, optionally with a suffix like -rc1)`;
  return undefined;
}

// Docker reference grammar (distribution/reference).
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]{1,5})?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const IMAGE_REF = new RegExp(`^(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);

export interface ImageCheckOptions {
  /** refuse references without tag or digest, and the `latest` tag (default true) */
  requirePinned?: boolean;
}

/** Container image reference, e.g. apache/skywalking-oap-server:10.2.0 or registry:5000/x/y@sha256:... */
export function checkImageReference(v: unknown, options: ImageCheckOptions = {}): string | undefined {
  if (typeof v !== 'string' || v === '') return 'is required';
  if (v.length > 512) return 'is too long';
  const m = IMAGE_REF.exec(v);
  if (!m) return `${describe(v)} is not an image reference such as apache/skywalking-oap-server:10.2.0`;
  // a first component with '.' or ':' or 'localhost' is a registry; otherwise it was part of the path
  if (m[2].length > 255) return 'repository name is too long';
  if (options.requirePinned !== false) {
    const tag = m[3];
    const digest = m[4];
    if (!tag && !digest) return `${describe(v)} has no tag: pin a version`;
    if (tag === 'latest' && !digest) return `${describe(v)} uses the floating "latest" tag: pin a version`;
  }
  return undefined;
}

/** Kubernetes resource quantity (apimachinery resource.Quantity), non-negative. */
const QUANTITY = /^\+?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
export function checkQuantity(v: unknown): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? undefined : 'must be a non-negative quantity';
  if (typeof v !== 'string' || v === '') return 'is required';
  if (v.length > 64 || !QUANTITY.test(v)) return `${describe(v)} is not a Kubernetes quantity such as 500m, 2Gi or 10Gi`;
  return undefined;
}

const SUFFIX: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};
/** Numeric value of a valid quantity (approximate for very large values). */
export function parseQuantity(v: string | number): number {
  if (typeof v === 'number') return v;
  const m = /^\+?(\d+(?:\.\d*)?|\.\d+)(.*)$/.exec(v);
  if (!m) return NaN;
  const n = parseFloat(m[1]);
  const s = m[2];
  if (/^[eE]/.test(s)) return n * 10 ** Number(s.slice(1));
  return s in SUFFIX ? n * SUFFIX[s] : NaN;
}

/** Environment variable name: C identifier (what OAP's ${SW_...} placeholders use). */
export function checkEnvVarName(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return 'is required';
  if (v.length > 256 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) return `${describe(v)} must be an environment variable name (letters, digits, '_')`;
  return undefined;
}

/** Names that carry credentials; they must come from a Secret. */
export const SECRET_NAME_PATTERN = /PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY/i;

/** host[:port] list, comma separated: DNS names, IPv4 or [IPv6]; no scheme, no user info. */
export function checkHostPortList(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return 'is required';
  if (v.length > 2048) return 'is too long';
  if (v.includes('@')) return 'must not contain user information: put credentials in the Secret';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return 'must be host:port without a scheme (set tls for https)';
  for (const entry of v.split(',')) {
    const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(entry.trim());
    if (!m || entry.trim() !== entry) return `${describe(entry)} is not host:port`;
    const host = m[1];
    if (!host.startsWith('[') && (host.length > 253 || !DNS1123_SUBDOMAIN.test(host.toLowerCase()))) return `${describe(host)} is not a host name or address`;
    if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return `port ${m[2]} is out of range 1-65535`;
  }
  return undefined;
}

/** An integer in [min, max]. */
export function checkInt(v: unknown, min: number, max: number): string | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v)) return `must be a whole number from ${min} to ${max}`;
  if (v < min || v > max) return `must be from ${min} to ${max} (got ${v})`;
  return undefined;
}

/** Catalog entity reference kind:namespace/name, kind:name or name. */
export function checkEntityRef(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return 'is required';
  if (v.length > 253 || !/^(?:[A-Za-z][A-Za-z0-9-]*:)?(?:[a-z0-9][a-z0-9-_.]*\/)?[A-Za-z0-9][A-Za-z0-9-_.]*$/.test(v)) {
    return `${describe(v)} is not an entity reference such as group:default/team-a`;
  }
  return undefined;
}
