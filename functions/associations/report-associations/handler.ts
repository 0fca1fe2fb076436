import * as z from 'zod';
import { publishRunCompleted } from '../../aws/events.ts';
import { defineTask } from '../../aws/lambda.ts';
import { recordFailedItems } from '../../aws/metrics.ts';
import { findRunDocument, getRunDocument, putRunDocument } from '../../aws/run-store.ts';
import type { AddonResult } from '../../core/addon-plan.ts';
import type { ItemResult } from '../../core/associations/report.ts';
import { reportAccessSchema } from '../../core/associations/report.ts';
import { OPERATIONS } from '../../core/config/index.ts';
import { ASSOCIATION_DOCUMENTS } from '../../core/run-documents.ts';
import { mapBatchOutcomeSchema } from '../../core/run-output.ts';
import type { BatchDocument, PlanDocument } from '../plan-associations/plan-associations.ts';
import { reportAssociations } from './report-associations.ts';

const input = z.looseObject({
  runId: z.string().min(1),
  clusterName: z.string().min(1),
  region: z.string().min(1),
  operation: z.enum(OPERATIONS),
  dryRun: z.boolean(),
  source: z.string(),
  warnings: z.array(z.string()).default([]),
  access: reportAccessSchema.optional(),
  batchResults: z.array(mapBatchOutcomeSchema),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
const output = z.object({
  workflow: z.literal('associations'),
  clusterName: z.string(),
  region: z.string(),
  counts: z.record(z.string(), z.number().int()),
  reportLocation: z.string(),
  warnings: z.array(z.string()),
  nextSteps: z.array(z.string()),
});

export const handler = defineTask('report-associations', { input, output }, async (event) => {
  const report = await reportAssociations(event, {
    // A batch may have failed for want of its document: the plan then says what it held.
    loadBatchItems: async (runId, batch) => {
      const document = await findRunDocument<BatchDocument>(
        runId,
        ASSOCIATION_DOCUMENTS.batch(batch),
      );
      if (Array.isArray(document?.items)) return document.items;
      const plan = await getRunDocument<PlanDocument>(runId, ASSOCIATION_DOCUMENTS.plan);
      return plan.items.slice(batch * plan.batchSize, (batch + 1) * plan.batchSize);
    },
    loadResults: (runId, batch) =>
      getRunDocument<ItemResult[]>(runId, ASSOCIATION_DOCUMENTS.results(batch)),
    loadAddonResults: (runId) =>
      findRunDocument<AddonResult[]>(runId, ASSOCIATION_DOCUMENTS.addonResults),
    saveReport: (runId, report) => putRunDocument(runId, ASSOCIATION_DOCUMENTS.report, report),
    publish: publishRunCompleted,
  });
  recordFailedItems('associations', report.counts.failed);
  return report;
});
