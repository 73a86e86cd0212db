import { FieldError } from './api';

/** The portal's description of one SkyWalking backend; the operator expands it into SWCK objects. */
export interface SkyWalkingBackendSpec {
  name: string;
  namespace: string;
  cluster: string;
  version: string;
  oap?: { replicas?: number; config?: { name: string; value?: string }[] };
  ui?: { enabled?: boolean; replicas?: number };
  storage?: {
    type: StorageType;
    banyandb?: { version?: string; storageSize?: string };
    external?: { address?: string; secretName?: string; database?: string };
  };
  /** SkyWalking Rover (eBPF access logs) as a DaemonSet on every node, reporting to this backend's OAP */
  rover?: { enabled?: boolean; version?: string };
  paused?: boolean;
  owner?: string;
}

export const STORAGE_TYPES = ['banyandb', 'elasticsearch', 'postgresql', 'mysql', 'tidb'] as const;
export type StorageType = (typeof STORAGE_TYPES)[number];

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const VERSION = /^\d{1,3}\.\d{1,3}\.\d{1,3}(-[0-9A-Za-z.-]{1,32})?$/;
const QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const HOST_PORT = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?(,[A-Za-z0-9.-]{1,253}(:\d{1,5})?)*$/;

function dnsLabel(errors: FieldError[], path: string, v: unknown, max = 63) {
  if (typeof v !== 'string' || !v) {
    errors.push({ path, message: 'is required' });
  } else if (v.length > max) {
    errors.push({ path, message: `must be at most ${max} characters (got ${v.length})` });
  } else if (!DNS1123_LABEL.test(v)) {
    errors.push({ path, message: `"${v}" must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit` });
  }
}

function int(errors: FieldError[], path: string, v: unknown, min: number, max: number) {
  if (v === undefined) return;
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
    errors.push({ path, message: `must be an integer from ${min} to ${max}` });
  }
}

/**
 * Every problem of a backend spec, each with its field path, so the API can
 * answer 400 with all of them at once and forms can point at the fields.
 */
export function validateBackendSpec(input: unknown): FieldError[] {
  const errors: FieldError[] = [];
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    return [{ path: '', message: 'spec must be an object' }];
  }
  const s = input as Record<string, any>;
  // names become Kubernetes object names with suffixes such as -oap, -banyandb-grpc
  dnsLabel(errors, 'name', s.name, 40);
  dnsLabel(errors, 'namespace', s.namespace);
  if (typeof s.cluster !== 'string' || !s.cluster) errors.push({ path: 'cluster', message: 'is required' });
  if (typeof s.version !== 'string' || !VERSION.test(s.version)) {
    errors.push({ path: 'version', message: `"${s.version ?? ''}" is not a SkyWalking version such as 10.2.0 (tags like "latest" are not accepted: upgrades must be explicit)` });
  }
  int(errors, 'oap.replicas', s.oap?.replicas, 0, 100);
  int(errors, 'ui.replicas', s.ui?.replicas, 0, 20);
  for (const [i, c] of (Array.isArray(s.oap?.config) ? s.oap.config : []).entries()) {
    if (!c || typeof c.name !== 'string' || !/^[A-Z_][A-Z0-9_]*$/.test(c.name)) {
      errors.push({ path: `oap.config[${i}].name`, message: 'must be an environment variable name (A-Z, 0-9, _)' });
    }
    if (/PASSWORD|SECRET|TOKEN/.test(c?.name ?? '') && c?.value !== undefined) {
      errors.push({ path: `oap.config[${i}].value`, message: 'credentials must come from a Secret, not an inline value' });
    }
  }
  if (s.storage !== undefined) {
    const type = s.storage?.type;
    if (!STORAGE_TYPES.includes(type)) {
      errors.push({ path: 'storage.type', message: `"${type}" is not a known storage; use one of ${STORAGE_TYPES.join(', ')}` });
    } else if (type === 'banyandb') {
      const v = s.storage.banyandb?.version;
      if (v !== undefined && (typeof v !== 'string' || !VERSION.test(v))) errors.push({ path: 'storage.banyandb.version', message: `"${v}" is not a version` });
      const size = s.storage.banyandb?.storageSize;
      if (size !== undefined && (typeof size !== 'string' || !QUANTITY.test(size))) errors.push({ path: 'storage.banyandb.storageSize', message: `"${size}" is not a Kubernetes quantity such as 10Gi` });
    } else {
      const ext = s.storage.external ?? {};
      if (typeof ext.address !== 'string' || !HOST_PORT.test(ext.address)) {
        errors.push({ path: 'storage.external.address', message: 'is required for external storage, as host:port (comma-separated for several nodes)' });
      }
      dnsLabel(errors, 'storage.external.secretName', ext.secretName, 253);
      if ('password' in ext || 'username' in ext) {
        errors.push({ path: 'storage.external', message: 'credentials must come from the Secret named in secretName, not inline' });
      }
    }
  }
  if (s.rover !== undefined) {
    if (!s.rover || typeof s.rover !== 'object' || Array.isArray(s.rover)) {
      errors.push({ path: 'rover', message: 'must be an object such as { "enabled": true }' });
    } else {
      if (s.rover.enabled !== undefined && typeof s.rover.enabled !== 'boolean') errors.push({ path: 'rover.enabled', message: 'must be true or false' });
      const v = s.rover.version;
      if (v !== undefined && (typeof v !== 'string' || !VERSION.test(v))) errors.push({ path: 'rover.version', message: `"${v}" is not a Rover version such as 0.7.0` });
    }
  }
  if (s.paused !== undefined && typeof s.paused !== 'boolean') errors.push({ path: 'paused', message: 'must be true or false' });
  return errors;
}
