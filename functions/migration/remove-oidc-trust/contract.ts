/** The remove-oidc-trust task's contract: the input it accepts and the output it returns (its handler checks both). */

import { batchCountsOutput, migrationBatchInput } from '../../aws/migration-batch.ts';
import { trustEditDescriptor } from '../../core/shared-descriptors.ts';

export const input = migrationBatchInput;

export const output = batchCountsOutput('roles', 'removed', 'unsuccessful');

/** Read by infra, the runner and the README: the same as the other trust-editing task's. */
export const descriptor = trustEditDescriptor;
