/*
 * A small RFC 6902 diff for pod templates. It touches as little as possible:
 * arrays that only grew get `add .../-`, arrays that only lost items get
 * `remove .../i`, equal-length arrays are compared item by item; only other
 * array changes replace the whole array. Combined with a `test` on the
 * resourceVersion, a patch built here never overwrites fields it did not mean
 * to change (including fields this client's models do not know).
 */
export interface PatchOp {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter(k => a[k] !== undefined);
    const kb = Object.keys(b).filter(k => b[k] !== undefined);
    return ka.length === kb.length && ka.every(k => deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * True when every field of `want` is in `have` with the same value; extra
 * object keys in `have` (API server defaults) are ignored, arrays must have
 * the same length.
 */
export function isSubset(want: unknown, have: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(have) && want.length === have.length && want.every((x, i) => isSubset(x, have[i]));
  if (isObject(want)) return isObject(have) && Object.keys(want).every(k => want[k] === undefined || isSubset(want[k], have[k]));
  return want === have;
}

/** Indexes of `from` to remove so that it becomes `to`, when `to` is a subsequence of `from`. */
function removals(from: unknown[], to: unknown[]): number[] | undefined {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < from.length; i++) {
    if (j < to.length && deepEqual(from[i], to[j])) j++;
    else out.push(i);
  }
  return j === to.length ? out : undefined;
}

export function jsonDiff(from: unknown, to: unknown, path = ''): PatchOp[] {
  if (deepEqual(from, to)) return [];
  if (Array.isArray(from) && Array.isArray(to)) {
    if (to.length > from.length && from.every((x, i) => deepEqual(x, to[i]))) {
      return to.slice(from.length).map(value => ({ op: 'add' as const, path: `${path}/-`, value }));
    }
    if (to.length < from.length) {
      const idx = removals(from, to);
      if (idx) return idx.reverse().map(i => ({ op: 'remove' as const, path: `${path}/${i}` }));
    }
    if (to.length === from.length) return from.flatMap((x, i) => jsonDiff(x, to[i], `${path}/${i}`));
    return [{ op: 'replace', path, value: to }];
  }
  if (isObject(from) && isObject(to)) {
    const ops: PatchOp[] = [];
    for (const k of Object.keys(from)) {
      if (from[k] !== undefined && to[k] === undefined) ops.push({ op: 'remove', path: `${path}/${esc(k)}` });
    }
    for (const k of Object.keys(to)) {
      if (to[k] === undefined) continue;
      if (from[k] === undefined) ops.push({ op: 'add', path: `${path}/${esc(k)}`, value: to[k] });
      else ops.push(...jsonDiff(from[k], to[k], `${path}/${esc(k)}`));
    }
    return ops;
  }
  return [{ op: 'replace', path, value: to }];
}
