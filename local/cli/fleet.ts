/**
 * `eks-pia apply podidentityassociation -f FLEET.yaml [--clusters SELECTOR]`: a config with a
 * `fleet:` block runs the fleet-associations workflow, which applies it to every cluster of the
 * region it selects. The file is checked here with the workflow's own core first, so a broken
 * one exits 2 before anything runs; and how the fleet report is shown.
 */
import { RESULT_KINDS } from '../../functions/core/associations/report.ts';
import { decodeYaml, isMapping } from '../../functions/core/config/yaml-text.ts';
import { NamedError } from '../../functions/core/errors.ts';
import {
  FleetSelectorError,
  parseClustersFlag,
  readFleetConfig,
} from '../../functions/core/fleet/fleet-config.ts';
import { FLEET_WORKFLOW, type FleetReport } from '../../functions/core/fleet/report.ts';
import { describeClusterItems } from './associations-output.ts';
import type { CliIo } from './io.ts';
import { closingLines, printClusterRunReport, whenClustersFailed } from './render.ts';
import { formatTable } from './table.ts';
import { UsageError } from './usage-error.ts';

/** The fleet run finished, but clusters failed or reported failed associations. */
export class FleetClustersFailedError extends NamedError {
  override readonly name = 'FleetClustersFailedError';
}

export interface FleetRunInput {
  config: { inline: Record<string, unknown> };
  clusters?: string;
  dryRun?: true;
}

/**
 * The fleet-associations input for a file with a `fleet:` block (and the region it is limited
 * to), or undefined for an ordinary ClusterConfig. `--clusters` is for fleet configs only, and
 * `--prune` is not one of their options.
 */
export function fleetFileInput(
  file: { text: string; source: string },
  flags: { clusters?: string | undefined; prune?: true | undefined; dryRun?: true | undefined },
): { input: FleetRunInput; region: string | undefined } | undefined {
  const decoded = decodeYaml(file.text);
  const value = 'value' in decoded ? decoded.value : undefined;
  if (!isMapping(value) || !('fleet' in value)) {
    if (flags.clusters !== undefined) {
      throw new UsageError(
        `--clusters selects the clusters of a fleet config, and ${file.source} has no fleet: block; give the block in place of metadata.name, or leave --clusters out`,
      );
    }
    return undefined;
  }
  if (flags.prune) {
    throw new UsageError(
      `--prune is not available for a fleet config (${file.source}); prune one cluster at a time with its own config`,
    );
  }
  const fleet = readFleetConfig(value, file.source);
  if (flags.clusters !== undefined) {
    try {
      parseClustersFlag(flags.clusters);
    } catch (error) {
      if (error instanceof FleetSelectorError) throw new UsageError(error.message);
      throw error;
    }
  }
  const input: FleetRunInput = {
    config: { inline: value },
    ...(flags.clusters !== undefined ? { clusters: flags.clusters } : {}),
    ...(flags.dryRun ? { dryRun: true as const } : {}),
  };
  return { input, region: fleet.region };
}

export function isFleetReport(report: unknown): report is FleetReport {
  const candidate = report as { workflow?: unknown; ignored?: unknown } | null;
  return candidate?.workflow === FLEET_WORKFLOW && candidate.ignored !== true;
}

/**
 * Each cluster's items (a dry run's: the fleet's one plan, each item with its steps), then one
 * line per cluster with its counts, then the fleet's totals, warnings and next steps.
 */
export function describeFleetReport(report: FleetReport): string {
  const items = describeClusterItems(report.clusters, { dryRun: report.dryRun });
  const counted = RESULT_KINDS.filter((kind) => kind !== 'deleted');
  const table = formatTable(
    [
      ['CLUSTER', (cluster) => cluster.clusterName],
      ['RESULT', (cluster) => cluster.result],
      ...counted.map(
        (kind) =>
          [
            kind.toUpperCase(),
            (cluster: FleetReport['clusters'][number]) => String(cluster.counts?.[kind] ?? '-'),
          ] as const,
      ),
      ['REASON', (cluster) => cluster.reason ?? ''],
    ],
    report.clusters,
    `no cluster matched ${report.selector}`,
  );
  const { selected, failed } = report.clusterCounts;
  const lines = [
    `${report.dryRun ? 'dry run of ' : ''}${report.source} on ${selected} cluster${selected === 1 ? '' : 's'} (${report.selector}): ${failed} failed`,
    `associations: ${RESULT_KINDS.map((kind) => `${report.counts[kind]} ${kind}`).join(', ')}`,
    ...closingLines(report),
  ];
  return `${items}${table}${lines.join('\n')}\n`;
}

/** Prints the report; a cluster that failed makes the command fail (exit 1) after printing. */
export function printFleetChanges(report: unknown, format: string | undefined, io: CliIo): void {
  printClusterRunReport(report, format, io, {
    is: isFleetReport,
    describe: describeFleetReport,
    failure: whenClustersFailed((message) => new FleetClustersFailedError(message)),
  });
}
