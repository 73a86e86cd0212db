import { injectAgent } from '@skywalking-backstage/plugin-skywalking-common';
import { Mutator } from './admission';

/**
 * Admission-time injection: the pod carries everything needed (opt-in label,
 * agent annotations with collector and service name, set by the tracing
 * toggle), so the hot path needs no database or catalog lookup.
 */
export const podMutator: Mutator = pod => {
  const result = injectAgent({ pod });
  const warnings = [
    ...result.errors.map(e => `skywalking: ${e.path}: ${e.message} (not applied)`),
    ...result.warnings.map(w => `skywalking: ${w}`),
  ];
  return { patch: result.patch, warnings };
};
