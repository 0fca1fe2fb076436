/**
 * How the CLI shows the associations workflow's report: one eksctl-worded line per item, then
 * the counts, warnings and next steps; and for `get`, eksctl's table (plus the columns eksctl
 * leaves out) or, with `-o json|yaml`, the bare list of associations as eksctl prints it.
 *
 * The shapes are report.ts's, but the report comes from another process (a workflow execution,
 * possibly of an older deployment), so lists and counts are read defensively: a missing one
 * prints as empty rather than failing after the run has already changed things.
 */
import { stringify as stringifyYaml } from 'yaml';
import { getStoredDocument } from '../../functions/aws/run-store.ts';
import type { AddonResult } from '../../functions/core/addon-plan.ts';
import {
  type AssociationRow,
  type AssociationsReport,
  type GetReport,
  type ItemResult,
  RESULT_KINDS,
  type ReportAccess,
} from '../../functions/core/associations/report.ts';
import { ASSOCIATION_DOCUMENTS } from '../../functions/core/run-documents.ts';
import { formatTable } from './table.ts';

/** What the workflow ends a create/update/delete/apply run with, or a `get` with. */
export type AssociationsOutput = AssociationsReport | GetReport;

export function isAssociationsReport(report: unknown): report is AssociationsOutput {
  return (report as { workflow?: unknown } | null)?.workflow === 'associations';
}

export function isGetReport(report: AssociationsOutput): report is GetReport {
  return report.operation === 'get';
}

const NONE_FOUND = 'No podidentityassociations found';

function idOf(item: Pick<ItemResult, 'namespace' | 'serviceAccount'>): string {
  return `"${item.namespace}/${item.serviceAccount}"`;
}

/** For an item whose report line says nothing (an older or capped report). */
function fallbackSentence(item: ItemResult): string {
  switch (item.result) {
    case 'created':
      return `created pod identity association for service account "${item.serviceAccount}" in namespace "${item.namespace}"`;
    case 'updated':
      return `updated pod identity association ${idOf(item)}`;
    case 'deleted':
      return `deleted pod identity association ${idOf(item)}`;
    case 'unchanged':
      return `pod identity association ${idOf(item)} is already up-to-date`;
    default:
      return `pod identity association ${idOf(item)}: ${item.action} (${item.result})`;
  }
}

/** What a dry run would do to the item, in eksctl's words, for results that change something. */
function plannedSentence(item: ItemResult): string | undefined {
  switch (item.result) {
    case 'created':
      return `(dry run) would create pod identity association for service account "${item.serviceAccount}" in namespace "${item.namespace}"`;
    case 'updated':
      return `(dry run) would update pod identity association ${idOf(item)}`;
    case 'deleted':
      return `(dry run) would delete pod identity association ${idOf(item)}`;
    default:
      return undefined;
  }
}

/**
 * One item as lines: a headline, then indented details. A finished run's reasons are already
 * eksctl's log lines (report.ts), so they are the headline; a dry run leads with what would
 * happen and lists the steps under it.
 */
export function describeItem(item: ItemResult, dryRun: boolean): string[] {
  const reason = item.reason ?? '';
  if (item.result === 'failed') {
    const failure = reason === '' ? fallbackSentence(item) : reason;
    return [`${dryRun ? '(dry run) would fail: ' : 'failed: '}${failure}`];
  }
  const details: string[] = [];
  let headline: string;
  const planned = dryRun ? plannedSentence(item) : undefined;
  if (planned !== undefined) {
    headline = planned;
    if (reason !== '') details.push(reason);
    details.push(...(item.steps ?? []).map((step) => `- ${step}`));
  } else {
    headline = reason === '' ? fallbackSentence(item) : reason;
  }
  if (!dryRun) {
    if (item.roleArn && !headline.includes(item.roleArn)) {
      details.push(`role: ${item.roleArn}${item.roleCreated ? ' (created by this run)' : ''}`);
    }
    if (item.serviceAccountCreated) details.push('service account created');
  }
  return [headline, ...details.map((line) => `    ${line}`)];
}

/** A cluster of a report over clusters, with the items of its nested run that the report holds. */
export interface ClusterWithItems<I extends ItemResult> {
  clusterName: string;
  items?: readonly I[] | undefined;
  itemsOmitted?: number | undefined;
  itemsUnread?: string | undefined;
  /** The cluster's own report, which lists every item. */
  reportLocation?: string | null | undefined;
}

/**
 * The items of a report over clusters (a fleet's plan, a drift check's drifted items) as one
 * listing, grouped under their cluster, each item as a single-cluster report shows it; `label`
 * puts a word before an item's headline. Clusters without items are left out; a blank line
 * parts the listing from what follows it.
 */
export function describeClusterItems<I extends ItemResult, C extends ClusterWithItems<I>>(
  clusters: readonly C[],
  options: { dryRun: boolean; label?: (item: I, cluster: C) => string },
): string {
  const lines = clusters.flatMap((cluster) => {
    const items = cluster.items ?? [];
    const omitted = cluster.itemsOmitted ?? 0;
    const where = cluster.reportLocation ? ` in ${cluster.reportLocation}` : '';
    if (cluster.itemsUnread !== undefined) {
      return [
        `${cluster.clusterName}:`,
        `  items not read (${cluster.itemsUnread}); they are listed${where}`,
      ];
    }
    if (items.length === 0 && omitted === 0) return [];
    const described = items.flatMap((item) => {
      const [headline, ...details] = describeItem(item, options.dryRun);
      return [`${options.label?.(item, cluster) ?? ''}${headline}`, ...details];
    });
    if (omitted > 0) {
      described.push(`${omitted} more item${omitted === 1 ? '' : 's'}${where}`);
    }
    return [`${cluster.clusterName}:`, ...described.map((line) => `  ${line}`)];
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n\n`;
}

function describeCounts(report: AssociationsReport): string {
  const parts = RESULT_KINDS.map((name) => `${report.counts?.[name] ?? 0} ${name}`);
  return report.dryRun
    ? `Dry run, nothing was changed. Planned: ${parts.join(', ')}`
    : `Summary: ${parts.join(', ')}`;
}

function describeAccess(access: ReportAccess): string {
  const policies = access.accessPolicyArns.join(', ');
  return `Kubernetes access: ${access.principalArn} through an EKS access entry${policies ? ` with ${policies}` : ''}${access.changed ? ' (granted by this run)' : ''}`;
}

function trailer(report: AssociationsReport): string[] {
  const lines: string[] = [];
  if (report.access) lines.push(describeAccess(report.access));
  for (const warning of report.warnings ?? []) lines.push(`Warning: ${warning}`);
  const nextSteps = report.nextSteps ?? [];
  if (nextSteps.length > 0) {
    lines.push('Next steps:', ...nextSteps.map((step) => `  - ${step}`));
  }
  return lines;
}

const TABLE_COLUMNS: readonly [string, (row: AssociationRow) => string][] = [
  ['ASSOCIATION ARN', (row) => row.AssociationARN ?? ''],
  ['NAMESPACE', (row) => row.Namespace ?? ''],
  ['SERVICE ACCOUNT NAME', (row) => row.ServiceAccountName ?? ''],
  ['IAM ROLE ARN', (row) => row.RoleARN ?? ''],
  ['OWNER ARN', (row) => row.OwnerARN ?? ''],
  ['TARGET ROLE ARN', (row) => row.TargetRoleARN ?? ''],
  ['SESSION TAGS', (row) => (row.DisableSessionTags ? 'disabled' : 'enabled')],
  ['MANAGED BY', (row) => (row.ManagedByEksPia ? 'eks-pia' : '')],
];

/** eksctl's `get podidentityassociation` table, with target role, session tags and manager. */
export function formatAssociationsTable(rows: readonly AssociationRow[]): string {
  return formatTable(TABLE_COLUMNS, rows, NONE_FOUND);
}

function associationList(addon: AddonResult): string {
  const associations = addon.podIdentityAssociations ?? [];
  return associations.length === 0
    ? ''
    : ` with pod identity associations ${associations.map((association) => `"${association.serviceAccount}" → ${association.roleArn}`).join(', ')}`;
}

/** One add-on of the run as lines, in eksctl's words where it has some. */
export function describeAddon(addon: AddonResult, dryRun: boolean): string[] {
  const what = `addon ${addon.name} ${addon.version}`;
  let headline: string;
  switch (addon.result) {
    case 'created':
      headline = `${dryRun ? '(dry run) would create' : 'created'} ${what}${associationList(addon)}`;
      break;
    case 'updated':
      headline = `${dryRun ? '(dry run) would update' : 'updated'} ${what}: ${addon.reason.replace(/^would update: /, '')}`;
      break;
    case 'failed':
      headline = `failed: ${what}: ${addon.reason}`;
      break;
    default:
      headline = addon.reason;
  }
  const details = dryRun ? (addon.steps ?? []).map((step) => `    - ${step}`) : [];
  return [
    headline,
    ...details,
    ...(addon.warnings ?? []).map((warning) => `    warning: ${warning}`),
  ];
}

/** The report as text: the `get` table, or one line per item with its details, then totals. */
export function describeAssociationsReport(report: AssociationsOutput): string {
  if (isGetReport(report)) return formatAssociationsTable(report.associations ?? []);
  const dryRun = report.dryRun === true;
  const lines: string[] = [];
  const items = report.items ?? [];
  const addons = report.addons ?? [];
  for (const addon of addons) lines.push(...describeAddon(addon, dryRun));
  if (items.length === 0 && addons.length === 0)
    lines.push(`no pod identity associations to ${report.operation}`);
  for (const item of items) lines.push(...describeItem(item, dryRun));
  if (items.length > 0 || addons.length === 0) lines.push(describeCounts(report));
  if (addons.length > 0) {
    const count = (kind: AddonResult['result']) =>
      addons.filter((addon) => addon.result === kind).length;
    lines.push(
      `Add-ons: ${(['created', 'updated', 'unchanged', 'skipped', 'failed'] as const).map((kind) => `${count(kind)} ${kind}`).join(', ')}`,
    );
  }
  lines.push(...trailer(report));
  return `${lines.join('\n')}\n`;
}

/**
 * The whole listing of a `get` whose output held only part of it (the rest is in run-store
 * pages, read with the engine's credentials); any other output as it is.
 */
export async function withStoredPages(output: unknown): Promise<unknown> {
  if (!isAssociationsReport(output) || !isGetReport(output) || !output.pages?.length) {
    return output;
  }
  const pages = await Promise.all(
    output.pages.map((location, page) =>
      getStoredDocument(location, ASSOCIATION_DOCUMENTS.getPage(page)),
    ),
  );
  const { pages: _pages, associationsOmitted: _omitted, ...rest } = output;
  return { ...rest, associations: pages.flat() };
}

/**
 * `get -o json|yaml` prints the list itself, as eksctl does (`[]` when empty), so scripts
 * written against eksctl's output keep working; the table goes through the report renderer.
 */
export function formatAssociationList(report: GetReport, format: 'json' | 'yaml'): string {
  const rows = report.associations ?? [];
  return format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : stringifyYaml(rows);
}

/** How many items (associations and add-ons) of a create/update/delete/apply run failed. */
export function failedItemCount(report: AssociationsReport): number {
  const addons = (report.addons ?? []).filter((addon) => addon.result === 'failed').length;
  return (
    addons +
    (report.counts?.failed ??
      (report.items ?? []).filter((item) => item.result === 'failed').length)
  );
}
