import fc from 'fast-check';
import { applyPatch } from 'fast-json-patch';
import { injectAgent } from './inject';
import { containerMatcher, containerName, pod } from './__testUtils__/injectionArbitraries';
import { compileContainerMatcher } from './containerMatcher';
import type { PodLike } from './types';

// CPU time per input (not wall time: a loaded two-core CI machine starves processes); the review's attack took 84 s
const BOUND_MS = 150;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

describe('injectAgent over generated pods and injector annotations', () => {
  it('answers every pod in bounded time with either a patch that reproduces its result or no change and a reason', () => {
    const seen = { injected: 0, unchanged: 0 };
    fc.assert(
      fc.property(pod, p => {
        const input = p as unknown as PodLike;
        const before = clone(input);
        const t0 = cpuMs();
        const r = injectAgent({ pod: input });
        expect(cpuMs() - t0).toBeLessThan(BOUND_MS);
        // the input is never modified
        expect(input).toEqual(before);
        expect(r.errors.every(e => typeof e.path === 'string' && typeof e.message === 'string')).toBe(true);
        seen[r.injected ? 'injected' : 'unchanged']++;
        // injected: the patch reproduces the result; unchanged: no patch, and a reason
        const expected = r.injected ? r.pod : before;
        expect(applyPatch(clone(before), clone(r.patch) as any, true).newDocument).toEqual(expected);
        expect(r.injected ? r.patch.length > 0 : r.patch.length === 0 && typeof r.reason === 'string').toBe(true);
      }),
      { numRuns: 400 },
    );
    // both branches are exercised, not only the refusals
    expect(seen.injected).toBeGreaterThan(40);
    expect(seen.unchanged).toBeGreaterThan(40);
  });
});

describe('container matcher over generated patterns and names', () => {
  it('compiles or refuses every pattern, and matches every name, in bounded time without throwing', () => {
    fc.assert(
      fc.property(containerMatcher, fc.array(containerName, { maxLength: 6 }), (pattern, names) => {
        const t0 = cpuMs();
        const compiled = compileContainerMatcher(pattern);
        const matches = compiled.ok ? names.map(n => compiled.matcher.test(n)) : [];
        expect(cpuMs() - t0).toBeLessThan(BOUND_MS);
        expect(compiled.ok ? matches.every(m => typeof m === 'boolean') : typeof compiled.message === 'string' && compiled.message.length > 0).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
