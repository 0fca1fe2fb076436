/**
 * Prints a workflow's report: JSON or YAML as asked, otherwise a few readable lines per workflow.
 */
import { stringify as stringifyYaml } from 'yaml';
import { getStoredDocument } from '../../functions/aws/run-store.ts';
import type { EnsureAddonReport } from '../../functions/core/addon.ts';
import { DRIFT_WORKFLOW } from '../../functions/core/drift/report.ts';
import { asError } from '../../functions/core/errors.ts';
import { FLEET_MIGRATION_WORKFLOW } from '../../functions/core/fleet/fleet-migration.ts';
import { FLEET_WORKFLOW } from '../../functions/core/fleet/report.ts';
import {
  DRIFT_DOCUMENTS,
  FLEET_DOCUMENTS,
  type RunDocument,
} from '../../functions/core/run-documents.ts';
import { describeAssociationsReport, isAssociationsReport } from './associations-output.ts';
import { describeBootstrapReport, isBootstrapReport } from './bootstrap-output.ts';
import type { CliIo } from './io.ts';
import { describeMigrationReport, isMigrationReport } from './migrate-output.ts';

function isEnsureAddonReport(report: unknown): report is EnsureAddonReport {
  return (report as { workflow?: unknown } | null)?.workflow === 'ensure-addon';
}

export function printReport(report: unknown, format: string | undefined, io: CliIo): void {
  if (format === 'json') {
    io.out(`${JSON.stringify(asPlanned(report), null, 2)}\n`);
  } else if (format === 'yaml') {
    io.out(stringifyYaml(asPlanned(report)));
  } else if (isEnsureAddonReport(report)) {
    io.out(`${describeAddonReport(report)}\n`);
  } else if (isAssociationsReport(report)) {
    io.out(termsOf(io)(describeAssociationsReport(report)));
  } else if (isMigrationReport(report)) {
    io.out(termsOf(io)(describeMigrationReport(report)));
  } else if (isBootstrapReport(report)) {
    io.out(describeBootstrapReport(report));
  } else {
    io.out(stringifyYaml(report));
  }
}

const PLANNED_RESULTS: Readonly<Record<string, string>> = {
  created: 'would create',
  updated: 'would update',
  deleted: 'would delete',
  failed: 'would fail',
};

/** A dry run's items say what would happen ("would create"), not what a run did. */
function asPlanned(report: unknown): unknown {
  const planned = report as { dryRun?: unknown; items?: { result: string }[] };
  if (!isAssociationsReport(report) || planned.dryRun !== true || !planned.items) return report;
  return {
    ...planned,
    items: planned.items.map((item) => ({
      ...item,
      result: PLANNED_RESULTS[item.result] ?? item.result,
    })),
  };
}

/** `eks-pia run` takes the workflow's input as written: its messages keep the field names. */
function termsOf(io: CliIo): (text: string) => string {
  return io.inputFields ? (text) => text : inCliTerms;
}

/** Workflow input fields, as the CLI's flags that set them. */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  dryRun: '--dry-run',
  allowStackDrift: '--allow-stack-drift',
  removeOidcProviderTrustRelationship: '--remove-oidc-provider-trust-relationship',
  clusterName: '--cluster',
  'association.namespace': '--namespace',
  'association.serviceAccountName': '--service-account-name',
  'association.roleARN': '--role-arn',
  'association.roleName': '--role-name',
  'association.permissionsBoundaryARN': '--permissions-boundary-arn',
  'association.permissionPolicyARNs': '--permission-policy-arns',
  'association.wellKnownPolicies': '--well-known-policies',
  'association.createServiceAccount': '--create-service-account',
  'association.tags': '--tags',
  'association.targetRoleARN': '--target-role-arn',
  'association.disableSessionTags': '--disable-session-tags',
  'association.policy': '--policy',
};
// A field's path (`association.permissionPolicyARNs[0]`) becomes its flag whole; the lookahead,
// not \b, ends it, since \b does not hold between `]` and the `:` that follows.
const FIELD_NAMES = new RegExp(
  `\\b(${Object.keys(FLAG_OF_FIELD)
    .sort((a, b) => b.length - a.length)
    .map((field) => field.replace('.', '\\.'))
    .join('|')})(?:\\[\\d+\\]|\\.[A-Za-z]+)*(?!\\w)`,
  'g',
);

/**
 * The workflows' messages name their input fields ("run again without dryRun"); a person at the
 * CLI typed flags, so the CLI names those ("run again without --dry-run").
 */
export function inCliTerms(text: string): string {
  return text
    .replace(FIELD_NAMES, (match, field: string) => FLAG_OF_FIELD[field] ?? match)
    .replace(/\bflags was rejected\b/g, 'the flags were rejected');
}

export function describeAddonReport(report: EnsureAddonReport): string {
  const where = `on cluster "${report.clusterName}"`;
  if (report.autoMode && report.status === null) {
    return `add-on "${report.addonName}" ${where}: not needed, ${report.reason}`;
  }
  const action = report.created ? 'installed by this run' : 'already installed';
  return `add-on "${report.addonName}" ${where}: ${report.status} at ${report.version} (${action})`;
}

/** The "Examples:" section of a command's `--help`. */
export function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

/** How one kind of report over many clusters (fleet, fleet migration, drift) is shown. */
export interface ClusterRunView<R> {
  is(report: unknown): report is R;
  /** The table and summary lines. */
  describe(report: R): string;
  /** The error the command ends with after printing (exit 1), or undefined when it succeeded. */
  failure(report: R): Error | undefined;
}

/** A fleet view's `failure`: the command fails when a selected cluster failed. */
export function whenClustersFailed(error: (message: string) => Error) {
  return ({ clusterCounts }: { clusterCounts: { failed: number; selected: number } }) =>
    clusterCounts.failed > 0
      ? error(
          `${clusterCounts.failed} of ${clusterCounts.selected} clusters failed; see the report above`,
        )
      : undefined;
}

/** The report as a table, or JSON/YAML as asked; then the command fails when the view says so. */
export function printClusterRunReport<R>(
  report: unknown,
  format: string | undefined,
  io: CliIo,
  view: ClusterRunView<R>,
): void {
  const ours = view.is(report);
  if (ours && format !== 'json' && format !== 'yaml') io.out(view.describe(report));
  else printReport(report, format, io);
  const failure = ours ? view.failure(report) : undefined;
  if (failure !== undefined) throw failure;
}

/** The stored document of each report over clusters, by its workflow. */
const CLUSTER_RUN_REPORTS: Readonly<Record<string, RunDocument<unknown>>> = {
  [FLEET_WORKFLOW]: FLEET_DOCUMENTS.report,
  [FLEET_MIGRATION_WORKFLOW]: FLEET_DOCUMENTS.migrationReport,
  [DRIFT_WORKFLOW]: DRIFT_DOCUMENTS.report,
};

interface CutClusterRunReport {
  workflow: string;
  reportLocation: string;
  omittedClusters?: number;
  omittedItems?: number;
  warnings?: string[];
}

/**
 * A report over clusters whose execution output left clusters or items out (the output stays
 * under Step Functions' 256 KiB), read whole from the run store with the engine's credentials,
 * so the command shows every cluster and item; any other output as it is. When that read fails,
 * the output as it came, its warnings saying what it leaves out and where the whole report is.
 */
export async function withWholeClusterReport(output: unknown): Promise<unknown> {
  const cut = output as Partial<CutClusterRunReport> | null;
  const document =
    typeof cut?.workflow === 'string' ? CLUSTER_RUN_REPORTS[cut.workflow] : undefined;
  const clusters = cut?.omittedClusters ?? 0;
  const items = cut?.omittedItems ?? 0;
  if (document === undefined || typeof cut?.reportLocation !== 'string' || clusters + items === 0) {
    return output;
  }
  try {
    return await getStoredDocument(cut.reportLocation, document);
  } catch (error) {
    const left = [
      clusters > 0 ? `${clusters} cluster${clusters === 1 ? '' : 's'}` : undefined,
      items > 0 ? `${items} item${items === 1 ? '' : 's'}` : undefined,
    ].filter((part) => part !== undefined);
    return {
      ...cut,
      warnings: [
        ...(cut.warnings ?? []),
        `this output leaves out ${left.join(' and ')}, which ${cut.reportLocation} holds, and reading it failed: ${asError(error).message}`,
      ],
    };
  }
}

/** The lines that close such a report's summary: where it is, its warnings and next steps. */
export function closingLines(report: {
  reportLocation: string;
  warnings?: readonly string[];
  nextSteps: readonly string[];
}): string[] {
  return [
    `report: ${report.reportLocation}`,
    ...(report.warnings ?? []).map((warning) => `Warning: ${warning}`),
    ...(report.nextSteps.length > 0
      ? ['Next steps:', ...report.nextSteps.map((step) => `  - ${step}`)]
      : []),
  ];
}
