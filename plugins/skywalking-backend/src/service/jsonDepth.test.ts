import fc from 'fast-check';
import { depthExceeds } from './jsonDepth';

/** Nesting depth by plain recursion (fine for the small values fast-check makes). */
const depth = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0);

describe('depthExceeds', () => {
  it('agrees with the recursive nesting depth of any JSON value at every limit', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (v, max) => {
        expect(depthExceeds(v, max)).toBe(depth(v) > max);
      }),
      { numRuns: 500 },
    );
  });

  it('measures a body nested 100 000 levels deep without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(depthExceeds(deep, 64)).toBe(true);
    expect(depthExceeds(deep, 100_000)).toBe(false);
  });
});
