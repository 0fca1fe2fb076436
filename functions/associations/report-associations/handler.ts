import { publishRunCompleted } from '../../aws/events.ts';
import { defineTask } from '../../aws/lambda.ts';
import { recordFailedItems } from '../../aws/metrics.ts';
import { findRunDocument, getRunDocument, putRunDocument } from '../../aws/run-store.ts';
import { ASSOCIATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { reportAssociations } from './report-associations.ts';

export const handler = defineTask('report-associations', { input, output }, async (event) => {
  const report = await reportAssociations(event, {
    // A batch may have failed for want of its document: the plan then says what it held.
    loadBatchItems: async (runId, batch) => {
      const document = await findRunDocument(runId, ASSOCIATION_DOCUMENTS.batch(batch));
      if (Array.isArray(document?.items)) return document.items;
      const plan = await getRunDocument(runId, ASSOCIATION_DOCUMENTS.plan);
      return plan.items.slice(batch * plan.batchSize, (batch + 1) * plan.batchSize);
    },
    loadResults: (runId, batch) => getRunDocument(runId, ASSOCIATION_DOCUMENTS.results(batch)),
    loadUndeclared: async (runId) =>
      (await getRunDocument(runId, ASSOCIATION_DOCUMENTS.plan)).undeclared,
    loadAddonResults: (runId) => findRunDocument(runId, ASSOCIATION_DOCUMENTS.addonResults),
    saveReport: (runId, report) => putRunDocument(runId, ASSOCIATION_DOCUMENTS.report, report),
    publish: publishRunCompleted,
  });
  recordFailedItems('associations', report.counts.failed);
  return report;
});
