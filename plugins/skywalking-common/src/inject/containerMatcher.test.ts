import { injectAgent } from './inject';
import { INJECT_CONTAINER_ANNOTATION } from './constants';
import type { PodLike } from './types';
import { compileContainerMatcher, MAX_CONTAINER_MATCHER_LENGTH, MAX_CONTAINER_NAME_LENGTH } from './containerMatcher';

// the security review's C2 pattern: catastrophic backtracking in a backtracking engine
const REVIEW_PATTERN = '^a*a*a*a*a*a*a*a*a*b$';

function pod(matcher: string, names: string[]): PodLike {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels: { 'swck-java-agent-injected': 'true' }, annotations: { [INJECT_CONTAINER_ANNOTATION]: matcher } },
    spec: { containers: names.map(name => ({ name, image: 'java' })) },
  };
}

/** CPU time, not wall time: a loaded CI machine starves processes, a backtracking matcher burns CPU. */
function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = process.cpuUsage();
  const value = fn();
  const d = process.cpuUsage(t0);
  return { value, ms: (d.user + d.system) / 1000 };
}

describe('container matcher: no input can stall the injector', () => {
  it.each([28, 40, 63])('matches the review pattern against %i-character names in linear time', n => {
    const { value, ms } = timed(() => injectAgent({ pod: pod(REVIEW_PATTERN, ['a'.repeat(n), `${'a'.repeat(n - 1)}b`]) }));
    // the backtracking engine took 6.7 s at 28 characters and 84 s at 40
    expect(ms).toBeLessThan(250);
    expect(value.errors).toEqual([]);
    expect(value.injected).toBe(true);
    // only the name that ends in b matches
    expect(value.pod.spec.containers.map(c => (c.env ?? []).length > 0)).toEqual([false, true]);
  });
});

describe('compileContainerMatcher', () => {
  it('has Go regexp (RE2) semantics: unanchored, alternation, classes', () => {
    const m = compileContainerMatcher('^app$|worker');
    if (!m.ok) throw new Error(m.message);
    expect(['app', 'app2', 'my-worker', 'web'].map(n => m.matcher.test(n))).toEqual([true, false, true, false]);
  });

  it('never matches a name longer than the Kubernetes limit of 63 characters', () => {
    const m = compileContainerMatcher('a');
    if (!m.ok) throw new Error(m.message);
    expect(m.matcher.test('a'.repeat(MAX_CONTAINER_NAME_LENGTH))).toBe(true);
    expect(m.matcher.test('a'.repeat(MAX_CONTAINER_NAME_LENGTH + 1))).toBe(false);
  });

  it.each([
    ['a pattern over 256 characters', 'a'.repeat(MAX_CONTAINER_MATCHER_LENGTH + 1), /at most 256/],
    ['a back-reference', '(a)\\1', /not a valid RE2 regular expression.*invalid escape/],
    ['a lookahead', '(?=a)b', /not a valid RE2 regular expression/],
    ['a repeat count no container name can reach', '[a-z]{64}', /repeat count 64 is above 63/],
    ['repeat counts that would blow up the compiled program', Array(10).fill('(x{60}){16}').join('|'), /add up to 760, at most 128/],
    ['a newline', 'a\nb', /newlines/],
  ])('refuses %s with a clear message', (_what, pattern, message) => {
    const m = compileContainerMatcher(pattern);
    expect(m).toEqual({ ok: false, message: expect.stringMatching(message) });
  });

  it('compiles and matches any accepted pattern quickly (nested stars, alternations, classes)', () => {
    for (const p of ['((((a*)*)*)*)*b', '(a|a|a|a|a|aa)*b', Array(20).fill('[^a]{6}').join('|'), '((x{8}){8}){2}']) {
      const { value, ms } = timed(() => compileContainerMatcher(p));
      if (!value.ok) throw new Error(`${p}: ${value.message}`);
      const t = timed(() => value.matcher.test('a'.repeat(63)));
      expect(ms + t.ms).toBeLessThan(100);
    }
  });
});

describe('inject.Container annotation', () => {
  it('refuses a hostile annotation with a clear error and injects the first container only, as SWCK does', () => {
    const r = injectAgent({ pod: pod('(a)\\1', ['app', 'worker']) });
    expect(r.errors).toEqual([{ path: `metadata.annotations[${JSON.stringify(INJECT_CONTAINER_ANNOTATION)}]`, message: expect.stringMatching(/not a valid RE2/) }]);
    expect(r.pod.spec.containers.map(c => (c.env ?? []).length > 0)).toEqual([true, false]);
  });

  it('warns that names over 63 characters are never matched', () => {
    const r = injectAgent({ pod: pod('a', ['a'.repeat(10_000), 'app']) });
    expect(r.pod.spec.containers.map(c => (c.env ?? []).length > 0)).toEqual([false, true]);
    expect(r.warnings).toContainEqual(expect.stringMatching(/longer than 63 characters never match/));
  });
});
