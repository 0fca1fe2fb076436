/** AWS calls: s3:GetObject, s3:PutObject (run store); events:PutEvents. */
import * as z from 'zod';
import { publishRunCompleted } from '../../aws/events.ts';
import { defineTask } from '../../aws/lambda.ts';
import { recordFailedItems } from '../../aws/metrics.ts';
import { findRunDocument, getRunDocument, putRunDocument } from '../../aws/run-store.ts';
import { reportAccessSchema } from '../../core/associations/report.ts';
import type { AddonMigrationResult } from '../../core/migration/addons.ts';
import { MIGRATION_STEPS, RUN_DOCUMENTS } from '../../core/migration/outcomes.ts';
import type { MigrationPlan } from '../../core/migration/plan.ts';
import { DISCOVERY_MODES } from '../../core/migration/request.ts';
import { mapBatchOutcomeSchema } from '../../core/run-output.ts';
import { reportMigration } from './report-migration.ts';

const access = z
  .looseObject({
    access: reportAccessSchema.optional(),
    warning: z.string().optional(),
  })
  .optional();

const batchResult = z.intersection(
  mapBatchOutcomeSchema,
  z.looseObject({ step: z.enum(MIGRATION_STEPS).optional() }),
);

const input = z.looseObject({
  runId: z.string().min(1),
  clusterName: z.string().min(1),
  region: z.string().min(1),
  approve: z.boolean(),
  removeOidcProviderTrustRelationship: z.boolean(),
  discovery: z.enum(DISCOVERY_MODES),
  oidc: z.looseObject({ found: z.boolean() }),
  readAccess: access,
  writeAccess: access,
  plan: z.looseObject({ planDocument: z.string() }).optional(),
  batchResults: z.array(batchResult).optional(),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
const output = z.object({
  workflow: z.literal('migrate-to-pod-identity'),
  clusterName: z.string(),
  region: z.string(),
  reportLocation: z.string(),
});

export const handler = defineTask('report-migration', { input, output }, async (event) => {
  const report = await reportMigration(event, {
    loadPlan: (runId) => getRunDocument<MigrationPlan>(runId, RUN_DOCUMENTS.plan),
    loadAddonOutcomes: (runId) =>
      findRunDocument<AddonMigrationResult[]>(runId, RUN_DOCUMENTS.addons),
    loadOutcomes: (runId, step, batch) =>
      findRunDocument<unknown[]>(runId, RUN_DOCUMENTS[step](batch)),
    saveReport: (runId, report) => putRunDocument(runId, RUN_DOCUMENTS.report, report),
    publish: publishRunCompleted,
  });
  recordFailedItems(
    'migrate-to-pod-identity',
    report.counts.serviceAccounts.failed + report.counts.roles.failed,
  );
  return report;
});
