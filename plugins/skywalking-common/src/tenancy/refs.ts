/**
 * Entity refs as the tenancy model compares them: `kind:namespace/name`,
 * lowercase (Backstage compares refs case-insensitively), with a default kind
 * for short forms such as `team-a` or `default/team-a` (owner fields).
 */
export function normalizeRef(ref: string, defaultKind = 'group', defaultNamespace = 'default'): string | undefined {
  const s = ref.trim();
  const m = /^(?:([^:/\s]+):)?(?:([^:/\s]+)\/)?([^:/\s]+)$/.exec(s);
  if (!m) return undefined;
  return `${m[1] ?? defaultKind}:${m[2] ?? defaultNamespace}/${m[3]}`.toLowerCase();
}

/** The normalised refs of a list, malformed ones dropped. */
export function normalizeRefs(refs: readonly string[], defaultKind = 'group'): string[] {
  const out = new Set<string>();
  for (const r of refs) {
    const n = normalizeRef(r, defaultKind);
    if (n) out.add(n);
  }
  return [...out];
}
