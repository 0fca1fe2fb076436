/**
 * The report a bootstrap run ends with: which cluster, the agent as ensure-addon left it, which
 * config was applied (or that there was none) and what the nested associations run did.
 */
import type { EnsureAddonReport } from '../addon.ts';
import type { ResultCounts } from '../associations/report.ts';
import { FLEET_PREFIX } from '../fleet/fleet-config.ts';
import { CLUSTERS_PREFIX, DEFAULTS_PREFIX } from './config-files.ts';
import type { BootstrapTrigger } from './event.ts';

/** What ensure-addon reported. */
export type AgentOutcome = Omit<EnsureAddonReport, 'workflow' | 'clusterName'>;

/** What find-cluster-config found and where it put the config it will apply. */
export interface ConfigOutcome {
  /**
   * `cluster`: the cluster's own file; `defaults`: the defaults files; `fleet`: fleet configs
   * selecting the cluster (with any defaults files); `none`: nothing found.
   */
  kind: 'cluster' | 'defaults' | 'fleet' | 'none';
  bucket: string;
  /** `s3://` URI of the cluster's own file, or of the defaults or fleet prefix; null when none was found. */
  location: string | null;
  /** `s3://` URIs of every file the applied config came from. */
  files: string[];
  /** `s3://` URI of the config as applied (identity filled in, defaults combined), in the run store. */
  appliedLocation: string | null;
  entryCount: number;
  warnings: string[];
}

/** The part of the nested associations run's report the bootstrap reads. */
export interface AssociationsOutcome {
  counts: ResultCounts;
  reportLocation: string;
  warnings: string[];
  nextSteps: string[];
}

export interface BootstrapReport {
  workflow: 'bootstrap-cluster';
  ignored: false;
  clusterName: string;
  region: string;
  trigger: BootstrapTrigger;
  cluster: { arn: string; version: string; autoMode: boolean; statusChecks: number };
  agent: AgentOutcome;
  config: Omit<ConfigOutcome, 'warnings' | 'bucket'>;
  /** What the nested associations run did; its full report is at `reportLocation`. */
  associations: { counts: ResultCounts; reportLocation: string } | null;
  /** The config's warnings, then the associations run's. */
  warnings: string[];
  nextSteps: string[];
}

/** The output of a run whose input started nothing (a failed CreateCluster, another event). */
export interface IgnoredBootstrapReport {
  workflow: 'bootstrap-cluster';
  ignored: true;
  reason: string;
  clusterName: string | null;
  region: string | null;
}

export interface BootstrapReportInput {
  clusterName: string;
  region: string;
  trigger: BootstrapTrigger;
  cluster: { arn: string; version: string; autoMode: boolean };
  statusChecks: number;
  agent: AgentOutcome;
  config: ConfigOutcome;
  associations: AssociationsOutcome | null;
}

function noConfigStep(input: BootstrapReportInput): string {
  const bucket = `s3://${input.config.bucket}`;
  const rerun = JSON.stringify({ clusterName: input.clusterName, region: input.region });
  return `no config for cluster "${input.clusterName}" was found, so it has the pod identity agent but no associations: upload its eksctl ClusterConfig as ${bucket}/${CLUSTERS_PREFIX}${input.clusterName}.yaml (or defaults for every new cluster under ${bucket}/${DEFAULTS_PREFIX}, or a fleet config that selects it under ${bucket}/${FLEET_PREFIX}) and start bootstrap-cluster with ${rerun}, or upload it under ${bucket}/apply/ to apply it at once`;
}

export function buildBootstrapReport(input: BootstrapReportInput): BootstrapReport {
  const { kind, location, files, appliedLocation, entryCount } = input.config;
  const { addonName, status, version, autoMode, reason, created } = input.agent;
  const applied = input.associations;
  return {
    workflow: 'bootstrap-cluster',
    ignored: false,
    clusterName: input.clusterName,
    region: input.region,
    trigger: input.trigger,
    cluster: { ...input.cluster, statusChecks: input.statusChecks },
    agent: { addonName, status, version, autoMode, reason, created },
    config: { kind, location, files, appliedLocation, entryCount },
    associations:
      applied === null ? null : { counts: applied.counts, reportLocation: applied.reportLocation },
    warnings: [...input.config.warnings, ...(applied?.warnings ?? [])],
    nextSteps: applied === null ? [noConfigStep(input)] : [...applied.nextSteps],
  };
}

/** The run-completed event's detail: small, with pointers to what is large. */
export function runCompletedDetail(
  runId: string,
  report: BootstrapReport,
): Record<string, unknown> {
  return {
    workflow: report.workflow,
    runId,
    clusterName: report.clusterName,
    region: report.region,
    trigger: report.trigger.kind,
    agent: {
      addonName: report.agent.addonName,
      status: report.agent.status,
      version: report.agent.version,
      created: report.agent.created,
    },
    config: { kind: report.config.kind, location: report.config.location },
    associations:
      report.associations === null
        ? null
        : {
            counts: report.associations.counts,
            reportLocation: report.associations.reportLocation,
          },
  };
}
