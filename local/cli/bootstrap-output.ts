/**
 * How the CLI shows the bootstrap-cluster workflow's report: the cluster, the agent, the config
 * applied and what the nested associations run did, then warnings and next steps.
 *
 * The report may come from a deployed execution of another version, so optional parts are read
 * defensively: a missing one prints as absent rather than failing after the run has finished.
 */
import { RESULT_KINDS } from '../../functions/core/associations/report.ts';
import type {
  BootstrapReport,
  IgnoredBootstrapReport,
} from '../../functions/core/bootstrap/report.ts';

export type BootstrapOutput = BootstrapReport | IgnoredBootstrapReport;

export function isBootstrapReport(report: unknown): report is BootstrapOutput {
  return (report as { workflow?: unknown } | null)?.workflow === 'bootstrap-cluster';
}

function describeAgent(agent: BootstrapReport['agent']): string {
  if (agent.status === null) return `add-on "${agent.addonName}": not needed, ${agent.reason}`;
  const action = agent.created ? 'installed by this run' : 'already installed';
  return `add-on "${agent.addonName}": ${agent.status} at ${agent.version} (${action})`;
}

function describeConfig(report: BootstrapReport): string[] {
  const { config, associations } = report;
  if (config.kind === 'none' || associations === null) return ['config: none found'];
  const from = config.kind === 'cluster' ? config.location : (config.files ?? []).join(', ');
  const counts = RESULT_KINDS.map((kind) => `${associations.counts?.[kind] ?? 0} ${kind}`);
  return [
    `config: ${from} (${config.entryCount} association${config.entryCount === 1 ? '' : 's'})`,
    `associations: ${counts.join(', ')}`,
    `    report: ${associations.reportLocation}`,
  ];
}

export function describeBootstrapReport(report: BootstrapOutput): string {
  if (report.ignored) {
    const subject = report.clusterName === null ? 'input' : `cluster "${report.clusterName}"`;
    return `bootstrap ignored the ${subject}: ${report.reason}\n`;
  }
  const lines = [
    `cluster "${report.clusterName}" in ${report.region}: ACTIVE, Kubernetes ${report.cluster.version}`,
    describeAgent(report.agent),
    ...describeConfig(report),
    ...(report.warnings ?? []).map((warning) => `Warning: ${warning}`),
  ];
  const nextSteps = report.nextSteps ?? [];
  if (nextSteps.length > 0) lines.push('Next steps:', ...nextSteps.map((step) => `  - ${step}`));
  return `${lines.join('\n')}\n`;
}
