/**
 * How the CLI shows the migrate-to-pod-identity report: eksctl's plan lines and task tree, then
 * one line per service account and per role, the differences between Kubernetes and IAM,
 * warnings, eksctl's closing lines and the next steps.
 *
 * The report comes from another process (a workflow execution, possibly of an older
 * deployment), so lists are read defensively: a missing one prints as empty.
 */
import type {
  MigrationReport,
  RoleResult,
  ServiceAccountResult,
} from '../../functions/core/migration/report.ts';

export function isMigrationReport(report: unknown): report is MigrationReport {
  return (report as { workflow?: unknown } | null)?.workflow === 'migrate-to-pod-identity';
}

const RESULT_WIDTH = 'unchanged'.length;

function describeServiceAccount(row: ServiceAccountResult): string[] {
  const id = `${row.namespace}/${row.serviceAccount}`;
  const lines = [`  ${row.result.padEnd(RESULT_WIDTH)}  ${id}: ${row.reason}`];
  if (row.result === 'migrated' || row.result === 'failed') {
    for (const step of row.steps ?? []) lines.push(`      - ${step}`);
  }
  return lines;
}

const TRUST_WORDS: Record<RoleResult['trust'], string> = {
  added: 'Pod Identity trust added',
  present: 'Pod Identity trust already there',
  'would-add': 'would add the Pod Identity trust',
  'too-large': 'trust policy too full for the Pod Identity statement',
  failed: 'Pod Identity trust failed',
  'not-run': 'Pod Identity trust step did not run',
};

const OIDC_WORDS: Record<RoleResult['oidcTrust'], string> = {
  removed: "this cluster's OIDC trust removed for",
  unchanged: 'no OIDC trust of this cluster left to remove',
  kept: "this cluster's OIDC trust kept",
  'would-remove': "would remove this cluster's OIDC trust of the migrated service accounts",
  failed: "removing this cluster's OIDC trust failed",
  'not-requested': 'OIDC trust kept (removal not requested)',
  'not-run': 'OIDC trust step did not run',
};

function describeRole(role: RoleResult): string[] {
  const oidc =
    role.oidcTrust === 'removed'
      ? `${OIDC_WORDS.removed} ${role.removedSubjects.join(', ')}`
      : OIDC_WORDS[role.oidcTrust];
  const owner = role.stackName ? ` (CloudFormation stack ${role.stackName})` : '';
  const lines = [`  ${role.roleName}${owner}: ${TRUST_WORDS[role.trust]}; ${oidc}`];
  if (role.reason) lines.push(`      ${role.reason}`);
  for (const kept of role.keptSubjects ?? [])
    lines.push(`      kept ${kept.subject}: ${kept.reason}`);
  return lines;
}

function section(title: string, lines: readonly string[]): string[] {
  return lines.length === 0 ? [] : [title, ...lines];
}

function discoveryLine(report: MigrationReport): string | undefined {
  switch (report.discovery?.used) {
    case 'kubernetes':
      return 'discovered from the eks.amazonaws.com/role-arn annotations, reconciled with IAM trust policies';
    case 'iam':
      return "discovered from IAM trust policies alone, without the cluster's Kubernetes API";
    default:
      return undefined;
  }
}

function countsLine(report: MigrationReport): string {
  const counts = report.counts?.serviceAccounts ?? {};
  const parts = Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${count} ${name}`);
  return `Totals: ${parts.length > 0 ? parts.join(', ') : 'none'}`;
}

/** The report as text, eksctl's lines first and last. */
export function describeMigrationReport(report: MigrationReport): string {
  const plan = report.approve !== true;
  const lines: string[] = [report.headline];
  const tasks = report.tasks ?? [];
  if (tasks.length > 0) lines.push(...(plan ? ['(plan)'] : []), ...tasks);
  const discovery = discoveryLine(report);
  const serviceAccounts = report.serviceAccounts ?? [];
  if (serviceAccounts.length > 0) {
    lines.push(
      `Service accounts${discovery ? `, ${discovery}` : ''}:`,
      ...serviceAccounts.flatMap(describeServiceAccount),
    );
  }
  lines.push(
    ...section(
      'Add-ons:',
      (report.addons ?? []).flatMap((row) => {
        const rowLines = [
          `  ${row.result.padEnd(RESULT_WIDTH)}  ${row.addonName} ${row.version}: ${row.reason}`,
        ];
        if (row.result !== 'skipped' && row.result !== 'unchanged')
          for (const step of row.steps ?? []) rowLines.push(`      - ${step}`);
        return rowLines;
      }),
    ),
  );
  lines.push(...section('Roles:', (report.roles ?? []).flatMap(describeRole)));
  lines.push(
    ...section(
      'Differences and notes:',
      (report.findings ?? []).map((finding) => `  - ${finding.message}`),
    ),
  );
  // Discovery and annotation removal may each report the same, already sufficient, entry.
  const accessLines = (report.access ?? []).map(
    (access) =>
      `Kubernetes access: ${access.principalArn} through an EKS access entry with ${access.accessPolicyArns.join(', ')}${access.changed ? ' (granted by this run)' : ''}`,
  );
  lines.push(...new Set(accessLines));
  if (serviceAccounts.length > 0) lines.push(countsLine(report));
  for (const warning of report.warnings ?? []) lines.push(`Warning: ${warning}`);
  lines.push(...(report.closing ?? []));
  const nextSteps = (report.nextSteps ?? []).filter(
    (step) => !(report.closing ?? []).includes(step),
  );
  lines.push(
    ...section(
      'Next steps:',
      nextSteps.map((step) => `  - ${step}`),
    ),
  );
  return `${lines.join('\n')}\n`;
}

/** Service accounts and add-ons an approved run could not migrate (skipped ones are not failures). */
export function failedServiceAccounts(report: MigrationReport): number {
  const addons = (report.addons ?? []).filter((row) => row.result === 'failed').length;
  return (
    addons +
    (report.counts?.serviceAccounts?.failed ??
      (report.serviceAccounts ?? []).filter((row) => row.result === 'failed').length)
  );
}
