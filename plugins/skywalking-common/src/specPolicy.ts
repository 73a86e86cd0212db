/**
 * The portal's rules for the spec fields that reach beyond the backend:
 * images the portal runs as Jobs, environment of the OAP JVM, where external
 * storage credentials are sent, Rover's privileges. validateBackendSpec checks
 * the shape of a spec; validateSpecPolicy checks it against what the portal's
 * configuration allows (skywalking.allowedImages, skywalking.oapConfig,
 * skywalking.storage.allowedAddresses). Pure, so the API, the scaffolder and
 * tests apply the same rules.
 */
import type { FieldError } from './api';
import { isObject } from './fields';
import { DEFAULT_AGENT_IMAGE } from './inject/constants';
import { SNAPSHOT_IMAGES } from './operator/snapshot';

export interface SpecPolicy {
  /** image patterns (`*` matches any run of characters) the portal may run: snapshot Jobs, agent init containers */
  allowedImages: string[];
  /** env name patterns `oap.config` may set (never the JVM/loader options in FORBIDDEN_ENV_NAMES nor the portal's own) */
  allowedEnvNames: string[];
  /** host patterns of external storage addresses (`*.databases`, `pg.example.com`); none: no external storage */
  allowedStorageAddresses: string[];
  /** env names whose literal values are safe to show (audit, API responses); every other literal is redacted */
  safeEnvNames: string[];
}

/**
 * The images the portal renders by default: the snapshot tools, and the
 * Java agent in any of its published tags (JDK variants, versions a pod
 * annotation or SwAgent picks).
 */
export const DEFAULT_ALLOWED_IMAGES = [...new Set([...Object.values(SNAPSHOT_IMAGES), DEFAULT_AGENT_IMAGE, `${DEFAULT_AGENT_IMAGE.split(':')[0]}:*`])];
export const DEFAULT_ALLOWED_ENV_NAMES = ['SW_*'];

/** Names that load code into or reconfigure the JVM or the loader: never settable, whatever the config says. */
export const FORBIDDEN_ENV_NAMES = ['JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'JAVA_OPTS', 'CLASSPATH', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT'];

/**
 * Names the portal renders itself from storage, cluster and configuration
 * settings: setting them in oap.config would bypass the address allowlist
 * (SW_JDBC_URL, SW_STORAGE_ES_CLUSTER_NODES) or the portal's wiring.
 */
export const PORTAL_ENV_NAMES = ['SW_STORAGE*', 'SW_JDBC_URL', 'SW_DATA_SOURCE_*', 'SW_ES_*', 'SW_CLUSTER*', 'SW_CONFIGURATION', 'SW_CONFIG_CONFIGMAP_PERIOD'];

/**
 * SkyWalking settings known not to hold secrets: their literal values are
 * shown in clear. Anything else (SW_AUTHENTICATION, *_PASS, URLs with
 * credentials...) is redacted, because a list of what is secret is never
 * complete, while a list of what is harmless can be.
 */
export const DEFAULT_SAFE_ENV_NAMES = [
  'JAVA_OPTS',
  'SW_TELEMETRY',
  'SW_HEALTH_CHECKER',
  'SW_CORE_ROLE',
  'SW_CLUSTER',
  'SW_CLUSTER_K8S_NAMESPACE',
  'SW_CLUSTER_K8S_LABEL',
  'SW_CONFIGURATION',
  'SW_CONFIG_CONFIGMAP_PERIOD',
  'SW_STORAGE',
  'SW_STORAGE_BANYANDB_TARGETS',
  'SW_STORAGE_ES_CLUSTER_NODES',
  'SW_STORAGE_ES_HTTP_PROTOCOL',
  'SW_CORE_RECORD_DATA_TTL',
  'SW_CORE_METRICS_DATA_TTL',
  'SW_CORE_GRPC_PORT',
  'SW_CORE_REST_PORT',
  'SW_CORE_GRPC_SSL_ENABLED',
  'SW_CORE_GRPC_SSL_TRUSTED_CA_PATH',
  'SW_RECEIVER_GRPC_PORT',
  'SW_LOG_LAL_FILES',
  'SW_LOG_MAL_FILES',
  'SW_METER_ANALYZER_ACTIVE_FILES',
  'SW_OTEL_RECEIVER',
  'SW_OTEL_RECEIVER_ENABLED_HANDLERS',
  'SW_OTEL_RECEIVER_ENABLED_OTEL_METRICS_RULES',
  'SW_ENVOY_METRIC_ALS_HTTP_ANALYSIS',
  'SW_ENVOY_METRIC_ALS_TCP_ANALYSIS',
  'SW_K8S_MONITOR',
  'SW_SEARCHABLE_TAG_KEYS',
];

export const defaultSpecPolicy = (): SpecPolicy => ({
  allowedImages: [...DEFAULT_ALLOWED_IMAGES],
  allowedEnvNames: [...DEFAULT_ALLOWED_ENV_NAMES],
  allowedStorageAddresses: [],
  safeEnvNames: [...DEFAULT_SAFE_ENV_NAMES],
});

/** Placeholder of a redacted literal. */
export const REDACTED = '[redacted]';

const MAX_PATTERN = 256;

/**
 * Whether `value` matches `pattern`, where `*` matches any run of characters
 * and everything else is literal. Linear in the lengths (greedy segments, no
 * backtracking), so patterns from config and values from requests cannot
 * stall the portal.
 */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (pattern.length > MAX_PATTERN || value.length > 1024) return false;
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === value;
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (!value.startsWith(first) || value.length < first.length + last.length || !value.endsWith(last)) return false;
  let at = first.length;
  const end = value.length - last.length;
  for (const mid of parts.slice(1, -1)) {
    if (!mid) continue;
    const i = value.indexOf(mid, at);
    if (i < 0 || i + mid.length > end) return false;
    at = i + mid.length;
  }
  return true;
}

export const matchesAny = (patterns: string[], value: string) => patterns.some(p => wildcardMatch(p, value));

/** The hosts of a storage address list (host:port, comma-separated). */
export const storageHosts = (address: string) =>
  address
    .split(',')
    .map(a => a.trim().replace(/:\d+$/, '').toLowerCase())
    .filter(Boolean);

/** Why an oap.config env name is refused, or undefined when it may be set. */
export function envNameProblem(name: string, policy: Pick<SpecPolicy, 'allowedEnvNames'>): string | undefined {
  if (FORBIDDEN_ENV_NAMES.includes(name)) return `${name} changes how the JVM starts (it can load any code into OAP) and is never accepted`;
  if (matchesAny(PORTAL_ENV_NAMES, name)) return `${name} is set by the portal from the spec's storage and cluster settings; change those instead`;
  if (!matchesAny(policy.allowedEnvNames, name)) {
    return `${name} is not an allowed OAP setting (allowed: ${policy.allowedEnvNames.join(', ') || 'none'}; skywalking.oapConfig.allowedEnvNames adds more)`;
  }
  return undefined;
}

/**
 * Every field of `spec` this portal's policy refuses, each with its path:
 * images outside skywalking.allowedImages, env names outside the allowlist,
 * storage hosts outside skywalking.storage.allowedAddresses. Run after
 * validateBackendSpec (it trusts the shape).
 */
export function validateSpecPolicy(spec: unknown, policy: SpecPolicy): FieldError[] {
  const errors: FieldError[] = [];
  if (!isObject(spec)) return errors;
  const ext = isObject(spec.storage) && isObject(spec.storage.external) ? spec.storage.external : undefined;
  const external = isObject(spec.storage) && spec.storage.type !== undefined && spec.storage.type !== 'banyandb';
  const image = ext && isObject(ext.snapshot) ? ext.snapshot.image : undefined;
  if (typeof image === 'string' && !matchesAny(policy.allowedImages, image)) {
    errors.push({ path: 'storage.external.snapshot.image', message: `${JSON.stringify(image)} is not an allowed image (skywalking.allowedImages: ${policy.allowedImages.join(', ')})` });
  }
  if (external && ext && typeof ext.address === 'string') {
    for (const host of storageHosts(ext.address)) {
      if (!matchesAny(policy.allowedStorageAddresses, host)) {
        errors.push({
          path: 'storage.external.address',
          message: `${host} is not an allowed storage host: the storage credentials (Secret ${JSON.stringify(ext.secretName ?? '')}) would be sent there (skywalking.storage.allowedAddresses: ${policy.allowedStorageAddresses.join(', ') || 'none configured'})`,
        });
      }
    }
  }
  const config = isObject(spec.oap) && Array.isArray(spec.oap.config) ? spec.oap.config : [];
  config.forEach((c: any, i: number) => {
    if (!isObject(c) || typeof c.name !== 'string') return;
    const problem = envNameProblem(c.name, policy);
    if (problem) errors.push({ path: `oap.config[${i}].name`, message: problem });
  });
  return errors;
}

/** Whether the literal value of env `name` may be shown in clear. */
export const isSafeEnvName = (name: unknown, safe: string[] = DEFAULT_SAFE_ENV_NAMES) => typeof name === 'string' && safe.includes(name);

/** Env entries with every literal value of a name not known to be safe replaced by REDACTED (valueFrom references stay). */
export function redactEnv<T>(entries: T, safe: string[] = DEFAULT_SAFE_ENV_NAMES): T {
  if (!Array.isArray(entries)) return entries;
  return entries.map(e => (isObject(e) && e.value !== undefined && !isSafeEnvName(e.name, safe) ? { ...e, value: REDACTED } : e)) as T;
}

/**
 * A copy of a backend spec (or a body holding one under `spec`) with the
 * literal oap.config values redacted, for audit records, logs and API
 * responses.
 */
export function redactSpec<T>(spec: T, safe: string[] = DEFAULT_SAFE_ENV_NAMES): T {
  if (!isObject(spec)) return spec;
  const s: any = { ...spec };
  if (isObject(s.spec)) s.spec = redactSpec(s.spec, safe);
  if (isObject(s.oap) && Array.isArray(s.oap.config)) s.oap = { ...s.oap, config: redactEnv(s.oap.config, safe) };
  // a detail's rendered OAPServer config
  if (Array.isArray(s.config)) s.config = redactEnv(s.config, safe);
  return s;
}
