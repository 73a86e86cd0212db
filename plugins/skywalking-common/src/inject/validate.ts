/*
 * Validation of the SWCK injector annotations. Every value that ends up in a
 * container (env var, init container command line, volume mount) passes one of
 * these checks, so that an annotation cannot add JVM options (whitespace
 * splits JAVA_TOOL_OPTIONS), run shell commands in the init container, use
 * Kubernetes `$(VAR)` expansion, or mount volumes somewhere harmful.
 */
import {
  AGENT_ANNOTATION_PREFIX,
  AGENT_CONFIG_SECTIONS,
  AGENT_OVERLAY_ANNOTATION,
  BOOTSTRAP_PLUGINS_ANNOTATION,
  INJECT_CONTAINER_ANNOTATION,
  INJECTED_MARKER_ANNOTATION,
  OPTIONAL_PLUGINS_ANNOTATION,
  OPTIONAL_REPORTER_PLUGINS_ANNOTATION,
  PLUGINS_ANNOTATION_PREFIX,
  SIDECAR_ANNOTATION_PREFIX,
  SIDECAR_KEYS,
  SidecarKey,
  STRATEGY_ANNOTATION_PREFIX,
  SWCK_ERROR_ANNOTATION,
  SWCK_SUCCEED_ANNOTATION,
} from './constants';
import type { InjectionError } from './types';
import { compileContainerMatcher, MAX_CONTAINER_MATCHER_LENGTH } from './containerMatcher';

/** Longest annotation value accepted for any agent setting. */
export const MAX_VALUE_LENGTH = 512;
const MAX_KEY_LENGTH = 128;

/** Returns an error message, or undefined when the value is fine. */
export type Check = (value: string) => string | undefined;

const show = (v: string) => JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);

function common(value: string, max = MAX_VALUE_LENGTH, allowDollar = false): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > max) return `is ${value.length} characters long, at most ${max} are allowed`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(value)) return 'must not contain newlines or control characters';
  if (!allowDollar && value.includes('$')) return 'must not contain "$" (Kubernetes $(VAR) expansion, shell substitution)';
  return undefined;
}

export const checkDnsLabel: Check = v =>
  common(v, 63) ??
  (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) ? undefined : `${show(v)} is not a valid name (lower-case RFC 1123 label)`);

export const checkImage: Check = v =>
  common(v) ??
  (/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(v) && !v.includes('//')
    ? undefined
    : `${show(v)} is not a valid image reference`);

export const checkInitCommand: Check = v =>
  common(v, 128) ??
  (/^(\/[A-Za-z0-9._-]+)*\/?[A-Za-z0-9._-]+$/.test(v) && !v.includes('..')
    ? undefined
    : `${show(v)} must be a single program name or path (e.g. "sh")`);

export const checkInitArgsOption: Check = v =>
  common(v, 16) ?? (/^-[A-Za-z]{1,8}$/.test(v) ? undefined : `${show(v)} must be a short option such as "-c"`);

/** Commands the init container may run to copy the agent. */
const INIT_PROGRAMS = ['mkdir', 'cp', 'ln', 'chmod', 'mv', 'ls', 'cd', 'test', 'true'];

export const checkInitArgsCommand: Check = v => {
  const base = common(v, 1024);
  if (base) return base;
  if (!/^[A-Za-z0-9 _./*:=@+&-]+$/.test(v)) {
    return `${show(v)} may only contain letters, digits, spaces, "&&" and the characters _ . / * : = @ + -`;
  }
  for (const segment of v.split('&&')) {
    const words = segment.trim().split(/ +/);
    if (!words[0] || !INIT_PROGRAMS.includes(words[0])) {
      return `${show(v)}: each "&&"-separated step must start with one of ${INIT_PROGRAMS.join(', ')}`;
    }
    if (segment.includes('&')) return `${show(v)}: a single "&" is not allowed`;
  }
  return undefined;
};

const FORBIDDEN_MOUNT_ROOTS = ['bin', 'sbin', 'usr', 'lib', 'lib64', 'etc', 'proc', 'sys', 'dev', 'run', 'boot', 'root'];

export const checkMountPath: Check = v => {
  const base = common(v, 256);
  if (base) return base;
  if (!/^(\/[A-Za-z0-9._-]+)+$/.test(v)) return `${show(v)} must be an absolute path of plain segments`;
  const segments = v.split('/').slice(1);
  if (segments.some(s => s === '.' || s === '..')) return `${show(v)} must not contain "." or ".." segments`;
  if (FORBIDDEN_MOUNT_ROOTS.includes(segments[0]) || v === '/var/run' || v.startsWith('/var/run/')) {
    return `${show(v)} would hide a system directory`;
  }
  return undefined;
};

export const checkEnvName: Check = v =>
  common(v, 64) ??
  (/^[A-Za-z_][A-Za-z0-9_]*_(OPTS|OPTIONS)$/.test(v)
    ? undefined
    : `${show(v)} must be a JVM options variable (…_OPTS or …_OPTIONS, e.g. JAVA_TOOL_OPTIONS)`);

export const checkEnvValue: Check = v =>
  common(v, 256) ??
  (/^-javaagent:(\/[A-Za-z0-9._-]+)+\.jar$/.test(v) && !v.includes('/../') && !v.includes('/./')
    ? undefined
    : `${show(v)} must be exactly one "-javaagent:/absolute/path.jar" option`);

const QUANTITY = /^([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$/;

export const checkResources: Check = v => {
  const base = common(v, 1024);
  if (base) return base;
  if (v === 'nil') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch (e: any) {
    return `is not JSON (${e.message}); expected e.g. {"memory": "100Mi", "cpu": "100m"}`;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return 'must be a JSON object such as {"cpu": "100m"}';
  for (const [name, q] of Object.entries(parsed as Record<string, unknown>)) {
    if (!['cpu', 'memory', 'ephemeral-storage'].includes(name) && !/^hugepages-[A-Za-z0-9]+$/.test(name)) {
      return `${show(name)} isn't a standard resource type`;
    }
    const s = typeof q === 'number' ? String(q) : q;
    if (typeof s !== 'string' || !QUANTITY.test(s)) return `${name}: ${JSON.stringify(q)} is not a quantity`;
    if (!(parseFloat(s) > 0)) return `${name}: ${s} must be greater than 0`;
  }
  return undefined;
};

/** Parses a checked resources annotation; undefined for "nil". */
export function parseResources(v: string): Record<string, string> | undefined {
  if (v === 'nil') return undefined;
  const parsed = JSON.parse(v) as Record<string, string | number>;
  return Object.fromEntries(Object.entries(parsed).map(([k, q]) => [k, String(q)]));
}

/** A name list such as `trace|webflux|cloud-gateway-2.1.x`; it is placed inside `grep -E "…"`. */
export const checkPluginList: Check = v =>
  common(v) ??
  (/^[A-Za-z0-9._-]+(\|[A-Za-z0-9._-]+)*$/.test(v)
    ? undefined
    : `${show(v)} must be plugin names separated by "|" (letters, digits, . _ -)`);

export const checkPluginName: Check = v =>
  common(v, 128) ?? (/^[A-Za-z0-9._-]+$/.test(v) ? undefined : `${show(v)} is not a plugin name (letters, digits, . _ -)`);

/**
 * A container matcher (regular expression on container names), with RE2
 * semantics as SWCK's Go regexp: linear-time matching whatever the pattern
 * (see containerMatcher.ts), at most 256 characters.
 */
export const checkContainerMatcher: Check = v => {
  const base = common(v, MAX_CONTAINER_MATCHER_LENGTH, true);
  if (base) return base;
  if (!/^[A-Za-z0-9_.|^$*+?()[\]{},\\-]*$/.test(v)) return `${show(v)} contains characters not allowed in a container matcher`;
  const compiled = compileContainerMatcher(v);
  return compiled.ok ? undefined : compiled.message;
};

const SECTIONS = AGENT_CONFIG_SECTIONS.join('|');
const AGENT_KEY = new RegExp(`^(${SECTIONS})\\.[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$`);
const PLUGIN_KEY = /^plugin\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export const checkAgentKey: Check = k =>
  k.length <= MAX_KEY_LENGTH && AGENT_KEY.test(k)
    ? undefined
    : `${show(k)} is not an agent.config option (expected ${AGENT_CONFIG_SECTIONS.map(s => `${s}.xxx`).join(', ')})`;

export const checkPluginKey: Check = k =>
  k.length <= MAX_KEY_LENGTH && PLUGIN_KEY.test(k) ? undefined : `${show(k)} is not a plugin option (expected plugin.xxx)`;

/**
 * A value placed into `-javaagent:…jar=key=value,key=value`. No whitespace
 * (it would start a new JVM option), no `$`, no shell metacharacters; a
 * leading "-" only for negative numbers. `,` and `=` only inside one pair of
 * quotes, or the value is quoted for the agent (see formatAgentOptionValue).
 */
export const checkAgentValue: Check = v => {
  const base = common(v);
  if (base) return base;
  if (/\s/.test(v)) return 'must not contain whitespace (it would add JVM options)';
  let inner = v;
  const quoted = /^'[^']*'$/.test(v) || /^"[^"]*"$/.test(v);
  if (quoted) inner = v.slice(1, -1);
  if (!/^[A-Za-z0-9._:/@%+*#~^!?[\]{}|,=-]*$/.test(inner)) {
    return `${show(v)} contains characters that are not allowed (no quotes inside, no \\ \` ; & < > ( ) $)`;
  }
  if (inner.startsWith('-') && !/^-[0-9]+$/.test(inner)) return `${show(v)} must not start with "-" (JVM option)`;
  return undefined;
};

/** Quotes a checked value for the agent option string when it contains `,` or `=`. */
export function formatAgentOptionValue(v: string): string {
  if (/^'[^']*'$/.test(v) || /^"[^"]*"$/.test(v)) return v;
  return /[,=]/.test(v) ? `'${v}'` : v;
}

export const checkServiceName: Check = v => {
  if (v === '') return 'the service name is empty';
  return checkAgentValue(v);
};

/** SWCK's ValidateIPv4OrHostname regular expression for the host part. */
const HOSTNAME = /^([a-zA-Z0-9][a-zA-Z0-9_-]{0,62})(\.[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})*?$/;
const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** `host[:port][,host[:port]…]`, hosts IPv4 or DNS names (SWCK ValidateBackendServices). */
export const checkBackendServices: Check = v => {
  const base = common(v);
  if (base) return base;
  let quotedInner = v;
  if (/^'[^']*'$/.test(v) || /^"[^"]*"$/.test(v)) quotedInner = v.slice(1, -1);
  const services = quotedInner
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);
  if (!services.length) return 'every service is empty';
  for (const service of services) {
    const colon = service.lastIndexOf(':');
    const host = colon === -1 ? service : service.slice(0, colon);
    const port = colon === -1 ? undefined : service.slice(colon + 1);
    if (!host) return `${show(service)}: the host is empty`;
    if (!IPV4.test(host) && !HOSTNAME.test(host)) return `${show(host)} is not a valid IPv4 address or host name`;
    if (port !== undefined && (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
      return `${show(service)}: ${show(port)} is not a port number`;
    }
  }
  return /\s/.test(v) ? 'must not contain whitespace' : undefined;
};

export const checkSidecar: Record<SidecarKey, Check> = {
  'initcontainer.Name': checkDnsLabel,
  'initcontainer.Image': checkImage,
  'initcontainer.Command': checkInitCommand,
  'initcontainer.args.Option': checkInitArgsOption,
  'initcontainer.args.Command': checkInitArgsCommand,
  'initcontainer.resources.limits': checkResources,
  'initcontainer.resources.requests': checkResources,
  'sidecarVolume.Name': checkDnsLabel,
  'sidecarVolumeMount.MountPath': checkMountPath,
  'env.Name': checkEnvName,
  'env.Value': checkEnvValue,
};

/** The checked, usable content of a pod's injector annotations. */
export interface AgentAnnotationConfig {
  sidecar: Partial<Record<SidecarKey, string>>;
  /** `agent.skywalking.apache.org/<key>` options, in key order */
  agentOptions: Array<[string, string]>;
  /** `plugins.skywalking.apache.org/<key>` options, in key order */
  pluginOptions: Array<[string, string]>;
  optionalPlugins?: string;
  optionalReporterPlugins?: string;
  bootstrapPlugins?: string;
  containerMatcher?: string;
  /** legacy `strategy.skywalking.apache.org/agent.Overlay: "false"` turns agent/plugin options off */
  overlay: boolean;
}

/** Annotations under the injector's prefixes that are status, not configuration. */
const STATUS_ANNOTATIONS = [SWCK_SUCCEED_ANNOTATION, SWCK_ERROR_ANNOTATION, INJECTED_MARKER_ANNOTATION];

/** True when an annotation key belongs to the SWCK injector's vocabulary. */
export function isInjectorAnnotation(key: string): boolean {
  return (
    key.startsWith(SIDECAR_ANNOTATION_PREFIX) ||
    key.startsWith(AGENT_ANNOTATION_PREFIX) ||
    key.startsWith(PLUGINS_ANNOTATION_PREFIX) ||
    key.startsWith(STRATEGY_ANNOTATION_PREFIX) ||
    key === OPTIONAL_PLUGINS_ANNOTATION ||
    key === OPTIONAL_REPORTER_PLUGINS_ANNOTATION ||
    key === BOOTSTRAP_PLUGINS_ANNOTATION
  );
}

/**
 * Checks injector annotations. Unrelated annotations are ignored; each
 * unknown key or invalid value under the injector's prefixes becomes an error
 * at `${pathPrefix}["<key>"]` and is left out of the returned config.
 */
export function parseAgentAnnotations(
  annotations: Record<string, unknown> | undefined,
  pathPrefix = 'metadata.annotations',
): { config: AgentAnnotationConfig; errors: InjectionError[] } {
  const config: AgentAnnotationConfig = { sidecar: {}, agentOptions: [], pluginOptions: [], overlay: true };
  const errors: InjectionError[] = [];
  if (!annotations || typeof annotations !== 'object') return { config, errors };
  for (const key of Object.keys(annotations).sort()) {
    if (!isInjectorAnnotation(key) || STATUS_ANNOTATIONS.includes(key)) continue;
    const raw = annotations[key];
    const path = `${pathPrefix}[${JSON.stringify(key)}]`;
    const fail = (message: string) => errors.push({ path, message });
    if (typeof raw !== 'string') {
      fail('must be a string');
      continue;
    }
    const value = raw;
    let problem: string | undefined;
    if (key.startsWith(SIDECAR_ANNOTATION_PREFIX)) {
      const name = key.slice(SIDECAR_ANNOTATION_PREFIX.length) as SidecarKey;
      if (!(SIDECAR_KEYS as readonly string[]).includes(name)) {
        fail(`unknown sidecar annotation; known: ${SIDECAR_KEYS.join(', ')}`);
        continue;
      }
      problem = checkSidecar[name](value);
      if (!problem) config.sidecar[name] = value;
    } else if (key.startsWith(AGENT_ANNOTATION_PREFIX)) {
      const option = key.slice(AGENT_ANNOTATION_PREFIX.length);
      problem = checkAgentKey(option);
      if (!problem) {
        if (option === 'agent.service_name') problem = checkServiceName(value);
        else if (option === 'collector.backend_service') problem = checkBackendServices(value);
        else problem = checkAgentValue(value);
      }
      if (!problem) config.agentOptions.push([option, value]);
    } else if (key.startsWith(PLUGINS_ANNOTATION_PREFIX)) {
      const option = key.slice(PLUGINS_ANNOTATION_PREFIX.length);
      problem = checkPluginKey(option) ?? checkAgentValue(value);
      if (!problem) config.pluginOptions.push([option, value]);
    } else if (key === INJECT_CONTAINER_ANNOTATION) {
      problem = checkContainerMatcher(value);
      if (!problem) config.containerMatcher = value;
    } else if (key === AGENT_OVERLAY_ANNOTATION) {
      if (/^(true|false)$/i.test(value)) config.overlay = value.toLowerCase() === 'true';
      else problem = `${show(value)} must be "true" or "false"`;
    } else if (key.startsWith(STRATEGY_ANNOTATION_PREFIX)) {
      problem = `unknown strategy annotation; known: ${INJECT_CONTAINER_ANNOTATION}, ${AGENT_OVERLAY_ANNOTATION}`;
    } else {
      problem = checkPluginList(value);
      if (!problem) {
        if (key === OPTIONAL_PLUGINS_ANNOTATION) config.optionalPlugins = value;
        else if (key === OPTIONAL_REPORTER_PLUGINS_ANNOTATION) config.optionalReporterPlugins = value;
        else config.bootstrapPlugins = value;
      }
    }
    if (problem) fail(problem);
  }
  return { config, errors };
}
