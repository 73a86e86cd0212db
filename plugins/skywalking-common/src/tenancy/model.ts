/**
 * The tenancy model: which clusters and namespaces an owner may act on.
 *
 * Two sources, both checked per (cluster, namespace):
 * - `skywalking.tenancy.mappings`: owner refs (groups, users) and catalog
 *   System refs mapped to cluster and namespace patterns (globs, glob.ts). A
 *   System ref counts for whoever owns that System in the catalog (the
 *   backend resolves that; here the caller's refs already include it).
 * - opt-in `skywalking.tenancy.namespaceOwner`: the live Namespace names its
 *   owners in the `skywalking-backstage.io/owner` annotation (entity refs,
 *   comma separated) or label (a group name in the default namespace, as
 *   label values cannot hold `:` or `/`).
 *
 * Without `skywalking.tenancy` nothing is mapped to anyone: every action on a
 * cluster namespace is refused with a reason that names the missing config.
 */
import type { FieldError } from '../api';
import { checkGlob, globMatch } from './glob';
import { normalizeRef, normalizeRefs } from './refs';

export const NAMESPACE_OWNER_KEY = 'skywalking-backstage.io/owner';

export interface TenancyMapping {
  /** owner refs (`group:default/team-a`, `user:default/alice`; short forms are groups) */
  owners: string[];
  /** catalog System refs (`system:default/shop`); they count for the System's owner */
  systems: string[];
  /** cluster name patterns, e.g. `prod-*` */
  clusters: string[];
  /** namespace patterns, e.g. `team-a-*` */
  namespaces: string[];
}

export interface TenancyConfig {
  mappings: TenancyMapping[];
  /** set: the `skywalking-backstage.io/owner` annotation/label of a live Namespace counts, in these clusters */
  namespaceOwner?: { clusters: string[] };
}

export interface TenancyDecision {
  allowed: boolean;
  reason: string;
}

/** A live Namespace's metadata, as far as tenancy reads it. */
export interface NamespaceMeta {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export const TENANCY_NOT_CONFIGURED =
  'skywalking.tenancy is not configured, so no cluster namespace is mapped to anyone (see the README, Security)';

const MAX_MAPPINGS = 1000;
const MAX_LIST = 1000;

function readList(raw: unknown, path: string, errors: FieldError[], check: (v: string) => string | undefined): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > MAX_LIST) {
    errors.push({ path, message: `must be a list of at most ${MAX_LIST} strings` });
    return [];
  }
  const out: string[] = [];
  raw.forEach((v, i) => {
    const problem = typeof v === 'string' ? check(v) : 'must be a string';
    if (problem) errors.push({ path: `${path}[${i}]`, message: problem });
    else out.push(v);
  });
  return out;
}

const refCheck = (kind: string) => (v: string) =>
  normalizeRef(v, kind) ? undefined : `${JSON.stringify(v)} is not an entity ref such as ${kind}:default/name`;

/**
 * Reads `skywalking.tenancy` (as plain JSON). Undefined config stays
 * undefined (nothing mapped); every malformed field is reported by path.
 */
export function readTenancyConfig(raw: unknown, base = 'skywalking.tenancy'): { config?: TenancyConfig; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (raw === undefined || raw === null) return { errors };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { errors: [{ path: base, message: 'must be an object' }] };
  const r = raw as Record<string, unknown>;
  const mappings: TenancyMapping[] = [];
  if (r.mappings !== undefined && (!Array.isArray(r.mappings) || r.mappings.length > MAX_MAPPINGS)) {
    errors.push({ path: `${base}.mappings`, message: `must be a list of at most ${MAX_MAPPINGS} mappings` });
  } else {
    ((r.mappings as unknown[]) ?? []).forEach((m, i) => {
      const path = `${base}.mappings[${i}]`;
      if (!m || typeof m !== 'object' || Array.isArray(m)) {
        errors.push({ path, message: 'must be an object with owners/systems, clusters and namespaces' });
        return;
      }
      const o = m as Record<string, unknown>;
      const owners = normalizeRefs(readList(o.owners, `${path}.owners`, errors, refCheck('group')), 'group');
      const systems = normalizeRefs(readList(o.systems, `${path}.systems`, errors, refCheck('system')), 'system');
      const clusters = readList(o.clusters, `${path}.clusters`, errors, checkGlob);
      const namespaces = readList(o.namespaces, `${path}.namespaces`, errors, checkGlob);
      if (!owners.length && !systems.length) errors.push({ path, message: 'names no owners and no systems' });
      if (!clusters.length) errors.push({ path: `${path}.clusters`, message: 'must name at least one cluster pattern' });
      if (!namespaces.length) errors.push({ path: `${path}.namespaces`, message: 'must name at least one namespace pattern' });
      mappings.push({ owners, systems, clusters, namespaces });
    });
  }
  let namespaceOwner: TenancyConfig['namespaceOwner'];
  const no = r.namespaceOwner;
  if (no === true) namespaceOwner = { clusters: ['*'] };
  else if (no && typeof no === 'object' && !Array.isArray(no)) {
    const clusters = readList((no as Record<string, unknown>).clusters ?? ['*'], `${base}.namespaceOwner.clusters`, errors, checkGlob);
    namespaceOwner = { clusters };
  } else if (no !== undefined && no !== false) {
    errors.push({ path: `${base}.namespaceOwner`, message: 'must be true, false or { clusters: [patterns] }' });
  }
  return { config: { mappings, ...(namespaceOwner ? { namespaceOwner } : {}) }, errors };
}

/** The System refs the mappings name (the backend looks up who owns them). */
export function mappedSystems(config: TenancyConfig | undefined): string[] {
  return [...new Set((config?.mappings ?? []).flatMap(m => m.systems))];
}

/**
 * The owners a live Namespace names: annotation values are entity refs
 * (comma separated, short forms are groups), a label value is a group name.
 */
export function namespaceOwnerRefs(meta: NamespaceMeta | undefined): string[] {
  const fromAnnotation = (meta?.annotations?.[NAMESPACE_OWNER_KEY] ?? '').split(',').filter(s => s.trim());
  const label = meta?.labels?.[NAMESPACE_OWNER_KEY];
  return normalizeRefs([...fromAnnotation, ...(label ? [label] : [])], 'group');
}

const matchesAny = (patterns: string[], v: string) => patterns.some(p => globMatch(p, v));

function subjectOf(m: TenancyMapping, refs: Set<string>): string | undefined {
  return [...m.owners, ...m.systems].find(r => refs.has(r));
}

/** Whether the namespace annotation counts in this cluster. */
export function namespaceOwnerApplies(config: TenancyConfig | undefined, cluster: string): boolean {
  return Boolean(config?.namespaceOwner && matchesAny(config.namespaceOwner.clusters, cluster));
}

/**
 * May an owner holding `subjectRefs` act on `namespace` in `cluster`? The
 * reason says which mapping or annotation allowed it, or why not.
 * `namespace` undefined asks for the cluster as a whole (cluster-scoped reads).
 */
export function decideTenancy(
  config: TenancyConfig | undefined,
  subjectRefs: readonly string[],
  cluster: string,
  namespace: string,
  namespaceMeta?: NamespaceMeta,
): TenancyDecision {
  if (!config) return { allowed: false, reason: TENANCY_NOT_CONFIGURED };
  const refs = new Set(normalizeRefs(subjectRefs, 'group'));
  const where = `namespace ${namespace} in cluster ${cluster}`;
  for (const [i, m] of config.mappings.entries()) {
    const subject = subjectOf(m, refs);
    if (subject && matchesAny(m.clusters, cluster) && matchesAny(m.namespaces, namespace)) {
      return { allowed: true, reason: `${where} is mapped to ${subject} (skywalking.tenancy.mappings[${i}])` };
    }
  }
  if (namespaceOwnerApplies(config, cluster)) {
    const owner = namespaceOwnerRefs(namespaceMeta).find(r => refs.has(r));
    if (owner) return { allowed: true, reason: `${where} names ${owner} in its ${NAMESPACE_OWNER_KEY} annotation or label` };
  }
  const who = refs.size ? [...refs].join(', ') : 'no ownership refs';
  return { allowed: false, reason: `${where} is not mapped to ${who} (skywalking.tenancy)` };
}

/**
 * The configured clusters where `subjectRefs` may hold namespaces: those a
 * mapping of theirs names, and those where namespace annotations count.
 */
export function mappedClusters(config: TenancyConfig | undefined, subjectRefs: readonly string[], configured: readonly string[]): string[] {
  if (!config) return [];
  const refs = new Set(normalizeRefs(subjectRefs, 'group'));
  const patterns = config.mappings.filter(m => subjectOf(m, refs)).flatMap(m => m.clusters);
  return configured.filter(c => matchesAny(patterns, c) || namespaceOwnerApplies(config, c));
}
