import { defineTask } from '../../aws/lambda.ts';
import { putRunDocument } from '../../aws/run-store.ts';
import { clusterOutcome } from '../../core/fleet/report.ts';
import { CLUSTER_RUN_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';

/**
 * Keeps one cluster's iteration in the run store and hands the Map only the cluster's name: the
 * Map's result stays small however many clusters fail, and with whatever causes.
 */
export const handler = defineTask('record-cluster-outcome', { input, output }, async (event) => {
  await putRunDocument(
    event.runId,
    CLUSTER_RUN_DOCUMENTS.outcome(event.clusterName),
    clusterOutcome(event.clusterName, event.outcome),
  );
  return { clusterName: event.clusterName };
});
