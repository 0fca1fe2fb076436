import * as z from 'zod';
import { publishRunCompleted } from '../aws/events.ts';
import { defineTask } from '../aws/lambda.ts';
import { recordFailedItems } from '../aws/metrics.ts';
import { findRunDocument, getRunDocument, putRunDocument } from '../aws/run-store.ts';
import type { AddonResult } from '../core/addon-plan.ts';
import type { ItemResult } from '../core/associations/report.ts';
import { OPERATIONS } from '../core/config/index.ts';
import { mapBatchOutcomeSchema } from '../core/run-output.ts';
import type { PlanDocument } from '../plan-associations/plan-associations.ts';
import { reportAssociations } from './report-associations.ts';

const input = z.looseObject({
  runId: z.string().min(1),
  clusterName: z.string().min(1),
  region: z.string().min(1),
  operation: z.enum(OPERATIONS),
  dryRun: z.boolean(),
  source: z.string(),
  warnings: z.array(z.string()).default([]),
  access: z
    .object({
      principalArn: z.string(),
      accessPolicyArns: z.array(z.string()),
      changed: z.boolean(),
    })
    .optional(),
  batchResults: z.array(mapBatchOutcomeSchema),
});

export const handler = defineTask('report-associations', input, async (event) => {
  const report = await reportAssociations(event, {
    loadPlan: (runId) => getRunDocument<PlanDocument>(runId, 'plan'),
    loadResults: (runId, batch) => getRunDocument<ItemResult[]>(runId, `results-${batch}`),
    loadAddonResults: (runId) => findRunDocument<AddonResult[]>(runId, 'addon-results'),
    saveReport: (runId, report) => putRunDocument(runId, 'report', report),
    publish: publishRunCompleted,
  });
  recordFailedItems('associations', report.counts.failed);
  return report;
});
