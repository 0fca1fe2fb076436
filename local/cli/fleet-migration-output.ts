/**
 * How the CLI shows a fleet-migration report: a line per cluster (its result, what was or would
 * be migrated, why it failed), then the fleet's totals and next steps.
 */
import { NamedError } from '../../functions/core/errors.ts';
import {
  FLEET_MIGRATION_WORKFLOW,
  type FleetMigrationReport,
} from '../../functions/core/fleet/fleet-migration.ts';
import type { CliIo } from './io.ts';
import { closingLines, printClusterRunReport, whenClustersFailed } from './render.ts';
import { formatTable } from './table.ts';

/** The fleet migration finished, but clusters failed or left service accounts failed. */
export class FleetMigrationFailedError extends NamedError {
  override readonly name = 'FleetMigrationFailedError';
}

export function isFleetMigrationReport(report: unknown): report is FleetMigrationReport {
  return (report as { workflow?: unknown } | null)?.workflow === FLEET_MIGRATION_WORKFLOW;
}

type Cluster = FleetMigrationReport['clusters'][number];

function moved(cluster: Cluster, kind: 'planned' | 'migrated'): string {
  if (cluster.counts === null) return '-';
  const { serviceAccounts, addons } = cluster.counts;
  return `${serviceAccounts[kind]} SA, ${addons[kind]} add-on`;
}

export function describeFleetMigrationReport(report: FleetMigrationReport): string {
  const kind = report.approve ? 'migrated' : 'planned';
  const table = formatTable(
    [
      ['CLUSTER', (cluster: Cluster) => cluster.clusterName],
      ['RESULT', (cluster: Cluster) => cluster.result],
      [kind.toUpperCase(), (cluster: Cluster) => moved(cluster, kind)],
      ['DETAILS', (cluster: Cluster) => cluster.reason ?? cluster.headline ?? ''],
    ],
    report.clusters,
    `no cluster matched ${report.selector}`,
  );
  const { selected, failed } = report.clusterCounts;
  const { serviceAccounts, addons, roles } = report.counts;
  const lines = [
    `${report.approve ? '' : '(plan) '}migration of ${selected} cluster${selected === 1 ? '' : 's'} (${report.selector}): ${failed} failed`,
    `service accounts: ${serviceAccounts.migrated} migrated, ${serviceAccounts.planned} planned, ${serviceAccounts.unchanged} unchanged, ${serviceAccounts.skipped} skipped, ${serviceAccounts.failed} failed; add-ons: ${addons.migrated} migrated, ${addons.planned} planned; roles: ${roles.trustAdded} given Pod Identity trust, ${roles.oidcTrustRemoved} OIDC trust removed`,
    ...closingLines(report),
  ];
  return `${table}${lines.join('\n')}\n`;
}

/** Prints the report; a failed cluster makes the command fail (exit 1) after printing. */
export function printFleetMigration(report: unknown, format: string | undefined, io: CliIo): void {
  printClusterRunReport(report, format, io, {
    is: isFleetMigrationReport,
    describe: describeFleetMigrationReport,
    failure: whenClustersFailed((message) => new FleetMigrationFailedError(message)),
  });
}
