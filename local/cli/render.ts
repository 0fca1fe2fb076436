/**
 * Prints a workflow's report: JSON or YAML as asked, otherwise a few readable lines per workflow.
 */
import { stringify as stringifyYaml } from 'yaml';
import type { EnsureAddonReport } from '../../functions/core/addon.ts';
import { describeAssociationsReport, isAssociationsReport } from './associations-output.ts';
import { describeBootstrapReport, isBootstrapReport } from './bootstrap-output.ts';
import type { CliIo } from './main.ts';
import { describeMigrationReport, isMigrationReport } from './migrate-output.ts';

function isEnsureAddonReport(report: unknown): report is EnsureAddonReport {
  return (report as { workflow?: unknown } | null)?.workflow === 'ensure-addon';
}

export function printReport(report: unknown, format: string | undefined, io: CliIo): void {
  if (format === 'json') {
    io.out(`${JSON.stringify(report, null, 2)}\n`);
  } else if (format === 'yaml') {
    io.out(stringifyYaml(report));
  } else if (isEnsureAddonReport(report)) {
    io.out(`${describeAddonReport(report)}\n`);
  } else if (isAssociationsReport(report)) {
    io.out(describeAssociationsReport(report));
  } else if (isMigrationReport(report)) {
    io.out(describeMigrationReport(report));
  } else if (isBootstrapReport(report)) {
    io.out(describeBootstrapReport(report));
  } else {
    io.out(stringifyYaml(report));
  }
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
