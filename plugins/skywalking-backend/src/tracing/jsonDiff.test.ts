import { isSubset, jsonDiff } from './jsonDiff';

describe('jsonDiff', () => {
  it('appends to arrays that only grew instead of replacing them', () => {
    expect(jsonDiff({ a: [1, 2] }, { a: [1, 2, 3] })).toEqual([{ op: 'add', path: '/a/-', value: 3 }]);
  });

  it('removes single items, last index first, from arrays that only shrank', () => {
    expect(jsonDiff([1, 2, 3, 4], [1, 3], '/x')).toEqual([
      { op: 'remove', path: '/x/3' },
      { op: 'remove', path: '/x/1' },
    ]);
  });

  it('escapes annotation keys and replaces only changed values', () => {
    expect(jsonDiff({ annotations: { 'a/b': '1', keep: 'k' } }, { annotations: { 'a/b': '2', keep: 'k', 'c~d': 'n' } })).toEqual([
      { op: 'replace', path: '/annotations/a~1b', value: '2' },
      { op: 'add', path: '/annotations/c~0d', value: 'n' },
    ]);
  });
});

describe('isSubset', () => {
  it('ignores fields the API server added but not missing or changed ones', () => {
    const want = { initContainers: [{ name: 'agent', image: 'a:1' }] };
    expect(isSubset(want, { initContainers: [{ name: 'agent', image: 'a:1', imagePullPolicy: 'IfNotPresent' }] })).toBe(true);
    expect(isSubset(want, { initContainers: [] })).toBe(false);
    expect(isSubset(want, { initContainers: [{ name: 'agent', image: 'a:2' }] })).toBe(false);
  });
});
