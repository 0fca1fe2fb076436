/**
 * `eks-pia drift [--cluster C | --clusters SELECTOR] [--heal] [--timeout D]`: runs the drift-check workflow,
 * which plans each managed cluster's last apply again (a dry run) and, with --heal, applies it;
 * prints a line per cluster. A cluster that drifted and was not healed, or failed, makes the
 * command fail (exit 1) after the report, so a script or a pipeline notices.
 */
import type { Command } from 'commander';
import {
  DRIFT_WORKFLOW,
  type DriftedItem,
  type DriftReport,
} from '../../functions/core/drift/report.ts';
import { NamedError } from '../../functions/core/errors.ts';
import { describeClusterItems } from './associations-output.ts';
import type { CliIo } from './io.ts';
import { closingLines, examples, printClusterRunReport } from './render.ts';
import { type RunTimeout, readTimeout, timeoutOption } from './run-timeout.ts';
import { formatTable } from './table.ts';
import { UsageError } from './usage-error.ts';

/** The check found clusters that differ from their desired state, or could not check or heal one. */
export class DriftFoundError extends NamedError {
  override readonly name = 'DriftFoundError';
}

export type DriftPrinter = (report: unknown, format: string | undefined, io: CliIo) => void;

export interface DriftCommandDeps {
  run(
    command: Command,
    workflow: string,
    input: unknown,
    print: DriftPrinter,
    timeout?: RunTimeout,
  ): Promise<void>;
}

interface DriftFlags {
  cluster?: string;
  clusters?: string;
  heal?: true;
  timeout?: string;
}

export function isDriftReport(report: unknown): report is DriftReport {
  return (report as { workflow?: unknown } | null)?.workflow === DRIFT_WORKFLOW;
}

/**
 * An item's kind before its headline (what the check found); on a healed cluster, that the heal
 * brought it back (heal leaves undeclared associations alone).
 */
function driftLabel(item: DriftedItem, cluster: DriftReport['clusters'][number]): string {
  return cluster.result === 'healed' && item.drift !== 'undeclared'
    ? `${item.drift} (healed): `
    : `${item.drift}: `;
}

/**
 * Each cluster's drifted items (what its check, a dry run of the recorded apply, would do to
 * bring them back), then a line per cluster, then the totals, warnings and next steps.
 */
export function describeDriftReport(report: DriftReport): string {
  const items = describeClusterItems(
    report.clusters.map((cluster) => ({ ...cluster, reportLocation: cluster.checkReport })),
    { dryRun: true, label: driftLabel },
  );
  const drift = (cluster: DriftReport['clusters'][number]) =>
    cluster.drift === null
      ? '-'
      : `${cluster.drift.created} missing, ${cluster.drift.updated} changed, ${cluster.drift.deleted} to prune, ${cluster.drift.undeclared} undeclared`;
  const table = formatTable(
    [
      ['CLUSTER', (cluster) => cluster.clusterName],
      ['RESULT', (cluster) => cluster.result],
      ['DRIFT', drift],
      ['DETAILS', (cluster) => cluster.reason ?? cluster.checkReport ?? ''],
    ],
    report.clusters,
    'no managed cluster to check',
  );
  const { checked, drifted, healed, failed } = report.clusterCounts;
  const lines = [
    `${checked} cluster${checked === 1 ? '' : 's'} checked (${report.selector}): ${drifted} drifted, ${healed} healed, ${failed} failed`,
    ...closingLines(report),
  ];
  return `${items}${table}${lines.join('\n')}\n`;
}

/** Prints the report; drift not healed, or a failed cluster, fails the command (exit 1) after it. */
export const printDrift: DriftPrinter = (report, format, io) =>
  printClusterRunReport(report, format, io, {
    is: isDriftReport,
    describe: describeDriftReport,
    failure: ({ clusterCounts: { drifted, failed } }) =>
      drifted + failed > 0
        ? new DriftFoundError(
            `${drifted} cluster(s) drifted and ${failed} failed; see the report above`,
          )
        : undefined,
  });

export function registerDriftCommand(program: Command, deps: DriftCommandDeps): void {
  const drift = program
    .command('drift')
    .description(
      'compare managed clusters with the desired state their last apply recorded; with --heal, bring them back',
    )
    .option('--cluster <name>', 'one cluster')
    .option(
      '--clusters <selector>',
      'clusters by names, pattern or tags: a,b / prod-* / tag:env=prod',
    )
    .option('--heal', "apply each drifted cluster's desired state again");
  // A check over a fleet, healing as it goes, can run long: like apply, it waits unless told not to.
  timeoutOption(drift)
    .addHelpText(
      'after',
      examples([
        'eks-pia drift',
        'eks-pia drift --cluster demo',
        'eks-pia drift --clusters "prod-*" --heal --timeout 1h',
      ]),
    )
    .exitOverride()
    .action(async (flags: DriftFlags, command: Command) => {
      const timeout = readTimeout(flags.timeout);
      if (flags.cluster !== undefined && flags.clusters !== undefined) {
        throw new UsageError('give --cluster or --clusters, not both');
      }
      const clusters = flags.cluster ?? flags.clusters;
      const input = {
        ...(clusters !== undefined ? { clusters } : {}),
        ...(flags.heal ? { heal: true } : {}),
      };
      await deps.run(command, DRIFT_WORKFLOW, input, printDrift, timeout);
    });
}
