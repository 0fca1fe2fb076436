import { NamedError } from '../../functions/core/errors.ts';

/** Wrong flags or arguments: exit code 2, nothing was changed. */
export class UsageError extends NamedError {
  override readonly name = 'UsageError';
}
