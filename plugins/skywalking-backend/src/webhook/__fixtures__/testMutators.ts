/*
 * Mutator factories for the webhook server tests. Worker threads load them
 * by module path, as they load the portal's own (podMutator.ts).
 */
import type { Mutator } from '../admission';

/** Adds one annotation to every pod. */
export function constantPatch(): Mutator {
  return () => ({ patch: [{ op: 'add', path: '/metadata/annotations', value: { a: 'b' } }] });
}

/**
 * The matcher as it was before RE2 (security review C2): the pod's
 * inject.Container annotation compiled with JavaScript's backtracking
 * RegExp and run against its container names. A hostile pod stalls it.
 */
export function backtrackingMatcher(): Mutator {
  return pod => {
    const re = new RegExp(pod.metadata?.annotations?.['strategy.skywalking.apache.org/inject.Container'] ?? '.*');
    const names: string[] = (pod.spec.containers ?? []).map((c: any) => String(c.name));
    const matched = names.filter(n => re.test(n));
    return { patch: [{ op: 'add', path: '/metadata/labels', value: { matched: String(matched.length) } }] };
  };
}

/** Never returns: an endless loop in the mutator. */
export function endless(): Mutator {
  return () => {
    for (;;) {
      // spin
    }
  };
}
