/** The report-fleet-migration task's contract: the input it accepts and the output it returns (its handler checks both). */

import { clusterRunReportDescriptor } from '../../core/shared-descriptors.ts';
import {
  caughtFailure,
  clusterRunResults,
  reportAdviceFields,
  requiredText,
} from '../../core/task-contract.ts';
import * as z from '../../core/zod.ts';

const count = () => z.int().check(z.minimum(0));
const itemCounts = () => z.record(z.string(), count());

const migrationCounts = () =>
  z.looseObject({
    serviceAccounts: itemCounts(),
    addons: itemCounts(),
    roles: z.looseObject({ trustAdded: count(), oidcTrustRemoved: count(), failed: count() }),
  });

/** One cluster's outcome as record-cluster-outcome kept it, which the report reads. */
export const outcome = z.looseObject({
  clusterName: requiredText(),
  migration: z.optional(
    z.looseObject({
      headline: z.string(),
      counts: migrationCounts(),
      reportLocation: z.string(),
    }),
  ),
  failure: caughtFailure(),
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
    results: clusterRunResults(),
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
export const descriptor = clusterRunReportDescriptor;
