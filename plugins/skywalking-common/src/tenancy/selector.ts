/**
 * What an entity's label selector may be before the tracing toggle acts on
 * it. The toggle changes every workload the selector matches, so it must
 * pin workloads by value: `key=value`, `key==value` or `key in (a,b)`.
 * Existence-only (`app`), negations (`!app`, `app!=x`, `app notin (x)`) and
 * an empty selector match nearly everything and are refused.
 */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const MAX_SELECTOR = 1024;

/** Splits at commas outside parentheses (`a in (x,y),b=z`). */
function requirements(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

function checkKey(key: string): string | undefined {
  if (key.length > 316 || !LABEL_KEY.test(key) || key.split('/').pop()!.length > 63) return `${JSON.stringify(key)} is not a label key`;
  return undefined;
}

function checkValue(value: string): string | undefined {
  if (!value) return 'an empty value';
  if (value.length > 63 || !LABEL_VALUE.test(value)) return `${JSON.stringify(value)} is not a label value`;
  return undefined;
}

/**
 * Why the tracing toggle refuses `selector` (the problem, without the
 * annotation name), or undefined when every requirement pins a value.
 */
export function checkTracingSelector(selector: string): string | undefined {
  const s = selector.trim();
  if (!s) return 'is empty: it would select every workload';
  if (s.length > MAX_SELECTOR) return `is longer than ${MAX_SELECTOR} characters`;
  for (const req of requirements(s)) {
    if (!req) return `has an empty requirement in ${JSON.stringify(s)}`;
    if (req.startsWith('!')) return `negates ${JSON.stringify(req)}: a negation selects every workload without that label`;
    const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(req);
    if (set) {
      if (set[2] === 'notin') return `negates ${JSON.stringify(req)} (notin): it selects every workload outside those values`;
      const keyProblem = checkKey(set[1]);
      if (keyProblem) return `has ${keyProblem} in ${JSON.stringify(req)}`;
      const values = set[3].split(',').map(v => v.trim());
      const bad = values.map(checkValue).find(Boolean);
      if (bad) return `has ${bad} in ${JSON.stringify(req)}`;
      continue;
    }
    if (/!=/.test(req)) return `negates ${JSON.stringify(req)} (!=): it selects every workload without that value`;
    const eq = /^([^=\s]+)\s*==?\s*([^=\s]*)$/.exec(req);
    if (!eq) {
      if (!checkKey(req)) return `has the existence-only requirement ${JSON.stringify(req)}: it selects every workload carrying the label; pin a value (key=value)`;
      return `cannot be read at ${JSON.stringify(req)}`;
    }
    const problem = checkKey(eq[1]) ?? checkValue(eq[2]);
    if (problem) return `has ${problem} in ${JSON.stringify(req)}`;
  }
  return undefined;
}
