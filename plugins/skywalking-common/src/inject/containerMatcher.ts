/*
 * The `strategy.skywalking.apache.org/inject.Container` matcher. SWCK
 * compiles it with Go's regexp, which is RE2: matching is linear in the
 * length of the name. JavaScript's RegExp backtracks, so a pattern such as
 * `^a*a*a*a*a*a*a*a*a*b$` against a 40-character name ran for 84 s on the
 * event loop (security review C2). RE2JS is a port of Go's engine: the same
 * syntax and semantics as SWCK, and linear time whatever the pattern.
 */
import { RE2JS } from 're2js';

/** Kubernetes' own limit for a container name (an RFC 1123 label). */
export const MAX_CONTAINER_NAME_LENGTH = 63;
/** Longest container matcher accepted. */
export const MAX_CONTAINER_MATCHER_LENGTH = 256;

/** Sum of the counts of `{n}` / `{n,m}` repetitions in one matcher. */
const MAX_REPEAT_BUDGET = 128;

export interface ContainerMatcher {
  readonly pattern: string;
  /** Unanchored, like Go's MatchString. Names over 63 characters never match. */
  test(name: string): boolean;
}

export type CompiledMatcher = { ok: true; matcher: ContainerMatcher } | { ok: false; message: string };

const show = (v: string) => JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);

// a few patterns are used by every pod of a workload: keep their compiled form
const cache = new Map<string, CompiledMatcher>();
const CACHE_SIZE = 256;

function compile(pattern: string): CompiledMatcher {
  if (typeof pattern !== 'string') return { ok: false, message: 'must be a string' };
  if (pattern.length > MAX_CONTAINER_MATCHER_LENGTH) {
    return { ok: false, message: `is ${pattern.length} characters long, at most ${MAX_CONTAINER_MATCHER_LENGTH} are allowed` };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(pattern)) return { ok: false, message: 'must not contain newlines or control characters' };
  // RE2 expands counted repetition into its program: bound the program, not only the match
  let budget = 0;
  for (const m of pattern.matchAll(/\{(\d{1,6})(?:,(\d{0,6}))?\}/g)) {
    const count = Math.max(Number(m[1]), Number(m[2] || 0));
    if (count > MAX_CONTAINER_NAME_LENGTH) {
      return { ok: false, message: `${show(pattern)}: repeat count ${count} is above ${MAX_CONTAINER_NAME_LENGTH}, the longest container name` };
    }
    budget += count;
  }
  if (budget > MAX_REPEAT_BUDGET) {
    return { ok: false, message: `${show(pattern)}: repeat counts add up to ${budget}, at most ${MAX_REPEAT_BUDGET} are allowed` };
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e: any) {
    return { ok: false, message: `${show(pattern)} is not a valid RE2 regular expression (${e?.message ?? e})` };
  }
  return {
    ok: true,
    matcher: {
      pattern,
      test: name => typeof name === 'string' && name.length <= MAX_CONTAINER_NAME_LENGTH && re.matcher(name).find(),
    },
  };
}

/** Compiles a container matcher, or says why it is refused. Never throws. */
export function compileContainerMatcher(pattern: string): CompiledMatcher {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const compiled = compile(pattern);
  if (cache.size >= CACHE_SIZE) cache.clear();
  if (typeof pattern === 'string' && pattern.length <= MAX_CONTAINER_MATCHER_LENGTH) cache.set(pattern, compiled);
  return compiled;
}
