import { InputError } from '@backstage/errors';
import { RequestHandler } from 'express';

/**
 * The deepest nesting a request body may have. A spec is about ten levels
 * deep at most (Kubernetes affinity); a body nested thousands of levels
 * deep (a few KB of "[[[[") overflowed the stack where a validator turned a
 * value into a string, and was answered with a 500.
 */
export const MAX_BODY_DEPTH = 64;

/** Whether objects/arrays in `value` nest deeper than `max` (iterative: the check itself must not overflow). */
export function depthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** After express.json(): a 400 for a body nested deeper than `max`, before any route sees it. */
export const limitBodyDepth =
  (max = MAX_BODY_DEPTH): RequestHandler =>
  (req, _res, next) => {
    next(depthExceeds(req.body, max) ? new InputError(`Request body is nested deeper than ${max} levels`) : undefined);
  };
