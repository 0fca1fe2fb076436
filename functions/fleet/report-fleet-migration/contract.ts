/** The report-fleet-migration task's contract: the input it accepts and the output it returns (its handler checks both). */

import { mapReportDescriptor } from '../../core/shared-descriptors.ts';
import { reportAdviceFields, requiredText } from '../../core/task-contract.ts';
import * as z from '../../core/zod.ts';

const count = () => z.int().check(z.minimum(0));
const itemCounts = () => z.record(z.string(), count());

const migrationCounts = () =>
  z.looseObject({
    serviceAccounts: itemCounts(),
    addons: itemCounts(),
    roles: z.looseObject({ trustAdded: count(), oidcTrustRemoved: count(), failed: count() }),
  });

export const input = z.object({
  runId: requiredText(),
  run: z.looseObject({
    selector: z.string(),
    migration: z.looseObject({
      approve: z.boolean(),
      removeOidcProviderTrustRelationship: z.boolean(),
    }),
    warnings: z.array(z.string()),
    results: z.array(
      z.looseObject({
        clusterName: requiredText(),
        migration: z.optional(
          z.looseObject({
            headline: z.string(),
            counts: migrationCounts(),
            reportLocation: z.string(),
          }),
        ),
        failure: z.optional(
          z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }),
        ),
      }),
    ),
  }),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  workflow: z.literal('fleet-migration'),
  clusterCounts: z.object({
    selected: count(),
    planned: count(),
    migrated: count(),
    nothingToMigrate: count(),
    failed: count(),
  }),
  reportLocation: z.string(),
  ...reportAdviceFields(),
});

/** Read by infra, the runner and the README: the Map reports' shared descriptor. */
export const descriptor = mapReportDescriptor;
