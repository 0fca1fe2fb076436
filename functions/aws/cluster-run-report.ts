/**
 * What the reports over clusters (report-fleet, report-fleet-migration, report-drift) take from
 * AWS: their report's document in the run store, the event, the clusters' recorded outcomes, and
 * the reports of the clusters' nested associations runs (in the same run store), whose items they
 * show.
 */
import type { AssociationsReport } from '../core/associations/report.ts';
import {
  ASSOCIATION_DOCUMENTS,
  CLUSTER_RUN_DOCUMENTS,
  type ClusterOutcome,
  type RunDocument,
} from '../core/run-documents.ts';
import type { ClusterRunReportDeps } from '../core/run-output.ts';
import type * as z from '../core/zod.ts';
import { publishRunCompleted } from './events.ts';
import {
  findRunDocument,
  getStoredDocument,
  putRunDocument,
  runDocumentLocation,
} from './run-store.ts';

export function clusterRunReportDeps<R, T extends ClusterOutcome>(
  report: RunDocument<R>,
  outcome: z.ZodMiniType<T>,
): ClusterRunReportDeps<R> & {
  loadOutcome(runId: string, clusterName: string): Promise<T | undefined>;
  loadClusterReport(location: string): Promise<AssociationsReport>;
} {
  return {
    saveReport: (runId, value) => putRunDocument(runId, report, value),
    reportLocation: (runId) => runDocumentLocation(runId, report).uri,
    publish: publishRunCompleted,
    loadOutcome: (runId, clusterName) =>
      findRunDocument(
        runId,
        CLUSTER_RUN_DOCUMENTS.outcome(clusterName, () => outcome),
      ),
    loadClusterReport: (location) => getStoredDocument(location, ASSOCIATION_DOCUMENTS.report),
  };
}
