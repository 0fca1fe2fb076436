import type { ReportAccess } from '../core/associations/report.ts';
import type { AddonMigrationResult } from '../core/migration/addons.ts';
import {
  type AnnotationOutcome,
  type AssociationOutcome,
  byIndex,
  type OidcTrustOutcome,
  type RoleTrustOutcome,
} from '../core/migration/outcomes.ts';
import type { MigrationPlan } from '../core/migration/plan.ts';
import {
  buildMigrationReport,
  type MigrationReport,
  type StepOutcomes,
} from '../core/migration/report.ts';
import type { DiscoveryMode } from '../core/migration/request.ts';
import {
  failedFirst,
  jsonBytes,
  keepWithinBudget,
  type MapBatchOutcome,
  REPORT_OUTPUT_BYTES,
} from '../core/run-output.ts';

/** Output budget for the report in the execution's output, below Step Functions' 256 KiB. */
type BatchResult = MapBatchOutcome;

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
  /** Present for each apply step that ran. */
  trustResults?: BatchResult[] | undefined;
  associationResults?: BatchResult[] | undefined;
  annotationResults?: BatchResult[] | undefined;
  oidcResults?: BatchResult[] | undefined;
}

export type StepName = 'trust' | 'associations' | 'annotations' | 'oidcTrust';

/** The report as the execution outputs it: complete, or its lists cut to fit with a pointer to all. */
export type RunReport = MigrationReport & { reportLocation: string; entriesOmitted?: number };

export interface ReportMigrationDeps {
  loadPlan(runId: string): Promise<MigrationPlan>;
  /** What the add-on migration did; undefined when it did not run. */
  loadAddonOutcomes?(runId: string): Promise<AddonMigrationResult[] | undefined>;
  /** One batch's outcomes of a step; undefined when that batch wrote none. */
  loadOutcomes(runId: string, step: StepName, batch: number): Promise<unknown[] | undefined>;
  saveReport(runId: string, report: MigrationReport): Promise<string>;
  publish(detail: Record<string, unknown>): Promise<void>;
}

async function stepOutcomes<T>(
  runId: string,
  step: StepName,
  results: readonly BatchResult[],
  deps: ReportMigrationDeps,
): Promise<{ outcomes: T[]; missing?: string }> {
  const outcomes: T[] = [];
  let missing: string | undefined;
  for (const result of [...results].sort((a, b) => a.batch - b.batch)) {
    if (result.failed) {
      missing ??= `its batch failed: ${result.error.Error}: ${result.error.Cause}`;
      continue;
    }
    const loaded = await deps.loadOutcomes(runId, step, result.batch);
    if (loaded) outcomes.push(...(loaded as T[]));
  }
  return missing === undefined ? { outcomes } : { outcomes, missing };
}

async function loadStepOutcomes(
  input: ReportMigrationInput,
  deps: ReportMigrationDeps,
): Promise<StepOutcomes | undefined> {
  if (input.trustResults === undefined) return undefined;
  const trust = await stepOutcomes<RoleTrustOutcome>(
    input.runId,
    'trust',
    input.trustResults,
    deps,
  );
  const associations = await stepOutcomes<AssociationOutcome>(
    input.runId,
    'associations',
    input.associationResults ?? [],
    deps,
  );
  const annotations = await stepOutcomes<AnnotationOutcome>(
    input.runId,
    'annotations',
    input.annotationResults ?? [],
    deps,
  );
  const oidcTrust = await stepOutcomes<OidcTrustOutcome>(
    input.runId,
    'oidcTrust',
    input.oidcResults ?? [],
    deps,
  );
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
  if (jsonBytes(report) <= REPORT_OUTPUT_BYTES) return report;
  const budget = {
    used: jsonBytes({ ...report, serviceAccounts: [], roles: [], findings: [], restarts: [] }),
  };
  const serviceAccounts = keepWithinBudget(failedFirst(report.serviceAccounts), budget);
  const roles = keepWithinBudget(report.roles, budget);
  const restarts = keepWithinBudget(report.restarts, budget);
  const findings = keepWithinBudget(report.findings, budget);
  return {
    ...report,
    serviceAccounts: serviceAccounts.kept,
    roles: roles.kept,
    restarts: restarts.kept,
    findings: findings.kept,
    entriesOmitted: serviceAccounts.omitted + roles.omitted + restarts.omitted + findings.omitted,
  };
}
