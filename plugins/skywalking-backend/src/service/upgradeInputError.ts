import { InputError } from '@backstage/errors';

/** An upgrade (or a version change refused to an update) for one field: 400 with its path. */
export class UpgradeInputError extends InputError {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}
