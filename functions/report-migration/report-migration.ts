import type { ReportAccess } from '../core/associations/report.ts';
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

/** Output budget for the report in the execution's output, below Step Functions' 256 KiB. */
export const REPORT_OUTPUT_BYTES = 200 * 1024;

type BatchResult = { batch: number } & (
  | { failed: true; error: { Error: string; Cause: string } }
  | { failed?: undefined }
);

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

/** Keeps failed service accounts first when lists must be cut, since those are what a person acts on. */
export function fitToOutput(report: RunReport): RunReport {
  const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
  if (size(report) <= REPORT_OUTPUT_BYTES) return report;
  const serviceAccounts = [
    ...report.serviceAccounts.filter((row) => row.result === 'failed'),
    ...report.serviceAccounts.filter((row) => row.result !== 'failed'),
  ];
  const trimmed: RunReport = {
    ...report,
    serviceAccounts: [],
    roles: [],
    findings: [],
    restarts: [],
  };
  let used = size(trimmed);
  let omitted = 0;
  const keep = <T>(list: readonly T[], into: T[]) => {
    for (const entry of list) {
      const cost = size(entry) + 1;
      if (used + cost > REPORT_OUTPUT_BYTES) {
        omitted += 1;
        continue;
      }
      used += cost;
      into.push(entry);
    }
  };
  keep(serviceAccounts, trimmed.serviceAccounts);
  keep(report.roles, trimmed.roles);
  keep(report.restarts, trimmed.restarts);
  keep(report.findings, trimmed.findings);
  return { ...trimmed, entriesOmitted: omitted };
}
