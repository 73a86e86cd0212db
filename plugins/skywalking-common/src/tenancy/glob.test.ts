import { checkGlob, globMatch } from './glob';

describe('globMatch', () => {
  it.each([
    ['team-a-*', 'team-a-prod', true],
    ['team-a-*', 'team-a-', true],
    ['team-a-*', 'team-b-prod', false],
    ['team-a-*', 'xteam-a-prod', false],
    ['*', 'kube-system', true],
    ['shop', 'shop', true],
    ['shop', 'shop2', false],
    ['prod-??', 'prod-eu', true],
    ['prod-??', 'prod-e', false],
    ['*-staging', 'a-b-staging', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
  ])('%s against %s: %s', (pattern, value, want) => {
    expect(globMatch(pattern, value)).toBe(want);
  });

  it('treats regular expression characters as literals, never as a regex', () => {
    expect(checkGlob('team-.*')).toBeUndefined(); // "." and "*" are glob characters here
    expect(globMatch('team-.*', 'team-a')).toBe(false);
    expect(globMatch('team-.*', 'team-.x')).toBe(true);
    expect(checkGlob('team-(a|b)')).toMatch(/no regular expressions/);
    expect(checkGlob('^kube$')).toMatch(/no regular expressions/);
    expect(checkGlob('')).toMatch(/non-empty/);
    expect(checkGlob('a'.repeat(254))).toMatch(/at most 253/);
  });

  it('answers a hostile pattern over a long name quickly (no backtracking blow-up)', () => {
    const pattern = `${'*a'.repeat(100)}b`;
    const value = 'a'.repeat(253);
    const start = process.hrtime.bigint();
    expect(globMatch(pattern, value)).toBe(false);
    expect(Number(process.hrtime.bigint() - start) / 1e6).toBeLessThan(50);
  });
});
