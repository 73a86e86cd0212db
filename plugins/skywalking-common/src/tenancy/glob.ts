/**
 * Cluster and namespace patterns of the tenancy mapping: `*` (any run of
 * characters) and `?` (one character) over DNS names, nothing else. No
 * regular expressions, so a pattern from config can never backtrack: the
 * matcher below is the classic two-pointer wildcard match, O(pattern x name)
 * at worst, and both are capped at 253 characters.
 */
export const MAX_PATTERN_LENGTH = 253;

const PATTERN = /^[a-z0-9.*?-]+$/;

/** Why a pattern is unusable, or undefined when it is fine. */
export function checkGlob(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string' || !pattern) return 'must be a non-empty string';
  if (pattern.length > MAX_PATTERN_LENGTH) return `must be at most ${MAX_PATTERN_LENGTH} characters`;
  if (!PATTERN.test(pattern)) {
    return `${JSON.stringify(pattern)} may hold only lowercase letters, digits, "-", ".", and the wildcards "*" and "?" (no regular expressions)`;
  }
  return undefined;
}

/** True when `value` matches the whole `pattern`. */
export function globMatch(pattern: string, value: string): boolean {
  if (pattern.length > MAX_PATTERN_LENGTH || value.length > MAX_PATTERN_LENGTH) return false;
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === value[v])) {
      p++;
      v++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = v;
    } else if (star >= 0) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
