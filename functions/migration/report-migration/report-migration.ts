import pMap from 'p-map';
import type { ReportAccess } from '../../core/associations/report.ts';
import type { AddonMigrationResult } from '../../core/migration/addons.ts';
import type { DiscoveryMode } from '../../core/migration/discovery-modes.ts';
import {
  type AnnotationOutcome,
  type AssociationOutcome,
  byIndex,
  MIGRATION_STEPS,
  type MigrationStep,
  type OidcTrustOutcome,
  type RoleTrustOutcome,
} from '../../core/migration/outcomes.ts';
import type { MigrationPlan } from '../../core/migration/plan.ts';
import {
  buildMigrationReport,
  type MigrationReport,
  type StepOutcomes,
} from '../../core/migration/report.ts';
import { cutToOutputBudget, failedFirst, type MapBatchOutcome } from '../../core/run-output.ts';

/** One item of the migration's Map; a failed one says at which step it stopped. */
export type MigrationBatchResult = MapBatchOutcome & { step?: MigrationStep | undefined };

/** Run-store reads the report makes at once. */
const OUTCOME_READ_CONCURRENCY = 8;

interface AccessStep {
  access?: ReportAccess | undefined;
  warning?: string | undefined;
}

export interface ReportMigrationInput {
  runId: string;
  clusterName: string;
  region: string;
  approve: boolean;
  removeOidcProviderTrustRelationship: boolean;
  discovery: DiscoveryMode;
  oidc: { found: boolean };
  readAccess?: AccessStep | undefined;
  writeAccess?: AccessStep | undefined;
  /** Present once discovery ran. */
  plan?: { planDocument: string } | undefined;
  /** Present once the batches ran: one entry per batch. */
  batchResults?: MigrationBatchResult[] | undefined;
}

/** The report as the execution outputs it: complete, or its lists cut to fit with a pointer to all. */
export type RunReport = MigrationReport & { reportLocation: string; entriesOmitted?: number };

export interface ReportMigrationDeps {
  loadPlan(runId: string): Promise<MigrationPlan>;
  /** What the add-on migration did; undefined when it did not run. */
  loadAddonOutcomes?(runId: string): Promise<AddonMigrationResult[] | undefined>;
  /** One batch's outcomes of a step; undefined when that batch wrote none. */
  loadOutcomes(runId: string, step: MigrationStep, batch: number): Promise<unknown[] | undefined>;
  saveReport(runId: string, report: MigrationReport): Promise<string>;
  publish(detail: Record<string, unknown>): Promise<void>;
}

/** Whether a batch stopped at `step` or before it, so it wrote nothing for that step. */
function stoppedBefore(result: MigrationBatchResult, step: MigrationStep): boolean {
  if (!result.failed) return false;
  // An item without a step name failed where no step recorded it: nothing after can be trusted.
  const failedAt = result.step === undefined ? 0 : MIGRATION_STEPS.indexOf(result.step);
  return failedAt <= MIGRATION_STEPS.indexOf(step);
}

async function stepOutcomes<T>(
  runId: string,
  step: MigrationStep,
  results: readonly MigrationBatchResult[],
  deps: ReportMigrationDeps,
): Promise<{ outcomes: T[]; missing?: string }> {
  const sorted = [...results].sort((a, b) => a.batch - b.batch);
  const failed = sorted.find((result) => stoppedBefore(result, step));
  const missing =
    failed?.failed === true
      ? `its batch failed: ${failed.error.Error}: ${failed.error.Cause}`
      : undefined;
  const loaded = await pMap(
    sorted.filter((result) => !stoppedBefore(result, step)),
    (result) => deps.loadOutcomes(runId, step, result.batch),
    { concurrency: OUTCOME_READ_CONCURRENCY },
  );
  const outcomes = loaded.flatMap((batch) => (batch ?? []) as T[]);
  return missing === undefined ? { outcomes } : { outcomes, missing };
}

async function loadStepOutcomes(
  input: ReportMigrationInput,
  deps: ReportMigrationDeps,
): Promise<StepOutcomes | undefined> {
  const results = input.batchResults;
  if (results === undefined) return undefined;
  // Without OIDC-trust removal no batch reaches the removal steps: there is nothing to read.
  const removalResults = input.removeOidcProviderTrustRelationship ? results : [];
  const [trust, associations, annotations, oidcTrust] = await Promise.all([
    stepOutcomes<RoleTrustOutcome>(input.runId, 'trust', results, deps),
    stepOutcomes<AssociationOutcome>(input.runId, 'associations', results, deps),
    stepOutcomes<AnnotationOutcome>(input.runId, 'annotations', removalResults, deps),
    stepOutcomes<OidcTrustOutcome>(input.runId, 'oidcTrust', removalResults, deps),
  ]);
  return {
    trust: byIndex(trust.outcomes, (outcome) => outcome.roleIndex),
    associations: byIndex(associations.outcomes, (outcome) => outcome.serviceAccountIndex),
    annotations: byIndex(annotations.outcomes, (outcome) => outcome.serviceAccountIndex),
    oidcTrust: byIndex(oidcTrust.outcomes, (outcome) => outcome.roleIndex),
    missing: {
      ...(trust.missing ? { trust: trust.missing } : {}),
      ...(associations.missing ? { associations: associations.missing } : {}),
      ...(annotations.missing ? { annotations: annotations.missing } : {}),
      ...(oidcTrust.missing ? { oidcTrust: oidcTrust.missing } : {}),
    },
  };
}

/**
 * Gathers the plan and every step's outcomes into the run's report, stores it whole in the run
 * store, announces the run on EventBridge and returns it, trimmed to fit the state payload limit.
 */
export async function reportMigration(
  input: ReportMigrationInput,
  deps: ReportMigrationDeps,
): Promise<RunReport> {
  const plan = input.plan ? await deps.loadPlan(input.runId) : undefined;
  const access = [input.readAccess?.access, input.writeAccess?.access].filter(
    (entry) => entry !== undefined,
  );
  const report = buildMigrationReport({
    clusterName: input.clusterName,
    region: input.region,
    approve: input.approve,
    removeOidcProviderTrustRelationship: input.removeOidcProviderTrustRelationship,
    discovery: input.discovery,
    plan,
    outcomes: plan ? await loadStepOutcomes(input, deps) : undefined,
    addonOutcomes: plan && input.approve ? await deps.loadAddonOutcomes?.(input.runId) : undefined,
    access,
    warnings: input.writeAccess?.warning ? [input.writeAccess.warning] : [],
  });
  const reportLocation = await deps.saveReport(input.runId, report);
  await deps.publish({
    workflow: report.workflow,
    runId: input.runId,
    clusterName: report.clusterName,
    region: report.region,
    approve: report.approve,
    removeOidcProviderTrustRelationship: report.removeOidcProviderTrustRelationship,
    counts: report.counts,
    reportLocation,
  });
  return fitToOutput({ ...report, reportLocation });
}

/** The report whole when it fits the output budget, else with lists cut (failed accounts first). */
export function fitToOutput(report: RunReport): RunReport {
  const asGiven = <T>(entries: T) => entries;
  const { report: fitted, omitted } = cutToOutputBudget(report, {
    serviceAccounts: failedFirst,
    roles: asGiven,
    restarts: asGiven,
    findings: asGiven,
  });
  return omitted === undefined ? fitted : { ...fitted, entriesOmitted: omitted };
}
