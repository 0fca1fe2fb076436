/**
 * The fleet-migration workflow: eksctl's `utils migrate-to-pod-identity` for every cluster of the
 * region a selector picks, a plan unless approved, one report for the fleet. Its input is the
 * migrate-to-pod-identity input with `clusters` (the fleet's selector) in place of `clusterName`.
 */
import type { AddonMigrationResultKind } from '../migration/addons.ts';
import type { MigrationCounts, ServiceAccountResultKind } from '../migration/report.ts';
import {
  fleetMigrationSchema,
  type MigrationRequest,
  migrationOptions,
  parseMigrationShape,
} from '../migration/request.ts';
import { withoutStartedBy } from '../nested-runs.ts';
import { describeSelector, type FleetSelection } from './fleet-config.ts';
import { clustersField } from './fleet-input.ts';
import { failureReason } from './report.ts';

export const FLEET_MIGRATION_WORKFLOW = 'fleet-migration';

/** The options every selected cluster's migrate-to-pod-identity run gets, as its input takes them. */
export type FleetMigrationOptions = Omit<MigrationRequest, 'clusterName' | 'namespaces'> & {
  /** Left out for every namespace: the migration input refuses an empty list. */
  namespaces?: string[];
};

export interface FleetMigrationRun {
  /** The selector in a line, for the report. */
  selector: string;
  selection: FleetSelection;
  migration: FleetMigrationOptions;
}

/**
 * The validated input: `clusters` read as the CLI's `--clusters` (`a,b`, `prod-*`,
 * `tag:env=prod`), the options by the migration's own rules, every problem listed at once
 * (InvalidMigrationInputError, or InvalidRequestError at `clusters`).
 */
export function parseFleetMigrationInput(
  input: unknown,
  deploymentRegion: string,
): FleetMigrationRun {
  const parsed = parseMigrationShape(
    fleetMigrationSchema,
    withoutStartedBy(input),
    FLEET_MIGRATION_WORKFLOW,
    '"clusters": "a,b" | "prod-*" | "tag:env=prod"',
  );
  const selector = clustersField(parsed.clusters);
  const { namespaces, ...options } = migrationOptions(parsed, deploymentRegion);
  return {
    selector: describeSelector(selector),
    selection: { selector, region: options.region },
    migration: { ...options, ...(namespaces.length > 0 ? { namespaces } : {}) },
  };
}

/** What one Map iteration leaves: the cluster's migration summary, or why its run failed. */
export interface FleetMigrationIteration {
  clusterName: string;
  migration?: { headline: string; counts: MigrationCounts; reportLocation: string };
  failure?: { Error?: string; Cause?: string };
}

export interface FleetMigrationClusterOutcome {
  clusterName: string;
  /**
   * `planned`: the plan would migrate something; `migrated`: the approved run did; `nothing to
   * migrate`: no IRSA service account or add-on left to move; `failed`: the run failed, or an
   * item of it did.
   */
  result: 'planned' | 'migrated' | 'nothing to migrate' | 'failed';
  /** eksctl's first line for the cluster: what would be, or was, migrated. */
  headline: string | null;
  counts: MigrationCounts | null;
  reportLocation: string | null;
  reason: string | null;
}

export interface FleetMigrationReport {
  workflow: typeof FLEET_MIGRATION_WORKFLOW;
  runId: string;
  approve: boolean;
  removeOidcProviderTrustRelationship: boolean;
  selector: string;
  clusterCounts: {
    selected: number;
    planned: number;
    migrated: number;
    nothingToMigrate: number;
    failed: number;
  };
  /** Summed over every cluster whose run completed. */
  counts: MigrationCounts;
  clusters: FleetMigrationClusterOutcome[];
  reportLocation: string;
  warnings: string[];
  nextSteps: string[];
}

const ITEM_RESULTS = [
  'migrated',
  'unchanged',
  'planned',
  'skipped',
  'failed',
] as const satisfies readonly ServiceAccountResultKind[] & readonly AddonMigrationResultKind[];

function zeroCounts(): MigrationCounts {
  const zero = () => Object.fromEntries(ITEM_RESULTS.map((kind) => [kind, 0]));
  return {
    serviceAccounts: zero() as MigrationCounts['serviceAccounts'],
    addons: zero() as MigrationCounts['addons'],
    roles: { trustAdded: 0, oidcTrustRemoved: 0, failed: 0 },
  };
}

function addCounts(total: MigrationCounts, counts: MigrationCounts): void {
  for (const kind of ITEM_RESULTS) {
    total.serviceAccounts[kind] += counts.serviceAccounts[kind] ?? 0;
    total.addons[kind] += counts.addons[kind] ?? 0;
  }
  total.roles.trustAdded += counts.roles.trustAdded;
  total.roles.oidcTrustRemoved += counts.roles.oidcTrustRemoved;
  total.roles.failed += counts.roles.failed;
}

function failedItems(counts: MigrationCounts): string[] {
  return [
    [counts.serviceAccounts.failed, 'service account'],
    [counts.addons.failed, 'add-on'],
    [counts.roles.failed, 'role'],
  ].flatMap(([count, what]) =>
    Number(count) > 0 ? [`${count} ${what}${count === 1 ? '' : 's'}`] : [],
  );
}

function outcomeOf(
  iteration: FleetMigrationIteration,
  approve: boolean,
): FleetMigrationClusterOutcome {
  const run = iteration.migration;
  if (run === undefined) {
    return {
      clusterName: iteration.clusterName,
      result: 'failed',
      headline: null,
      counts: null,
      reportLocation: null,
      reason: failureReason(iteration.failure ?? {}),
    };
  }
  const base = {
    clusterName: iteration.clusterName,
    headline: run.headline,
    counts: run.counts,
    reportLocation: run.reportLocation,
  };
  const failed = failedItems(run.counts);
  if (failed.length > 0) {
    return {
      ...base,
      result: 'failed',
      reason: `${failed.join(', ')} failed; see ${run.reportLocation}`,
    };
  }
  const moving = approve ? 'migrated' : 'planned';
  const moves = run.counts.serviceAccounts[moving] + run.counts.addons[moving];
  return { ...base, result: moves > 0 ? moving : 'nothing to migrate', reason: null };
}

export function buildFleetMigrationReport(input: {
  runId: string;
  selector: string;
  migration: Pick<FleetMigrationOptions, 'approve' | 'removeOidcProviderTrustRelationship'>;
  iterations: readonly FleetMigrationIteration[];
  warnings: readonly string[];
  reportLocation: string;
}): FleetMigrationReport {
  const { approve, removeOidcProviderTrustRelationship } = input.migration;
  const clusters = input.iterations.map((iteration) => outcomeOf(iteration, approve));
  const counts = zeroCounts();
  for (const cluster of clusters) if (cluster.counts) addCounts(counts, cluster.counts);
  const having = (result: FleetMigrationClusterOutcome['result']) =>
    clusters.filter((cluster) => cluster.result === result);
  const failed = having('failed');
  const planned = having('planned');
  const nextSteps: string[] = [];
  if (clusters.length === 0) {
    nextSteps.push(
      `no cluster matched ${input.selector}; check the selector against the region's clusters and their tags`,
    );
  }
  if (failed.length > 0) {
    nextSteps.push(
      `fix what failed on ${failed.map((cluster) => cluster.clusterName).join(', ')} (see each cluster's report) and start the run again: what is already migrated stays so`,
    );
  }
  if (planned.length > 0) {
    nextSteps.push(
      `nothing was changed: review the plan of ${planned.map((cluster) => cluster.clusterName).join(', ')} (each cluster's report), then start the run again with approve and clusters: "${planned.map((cluster) => cluster.clusterName).join(',')}", so that exactly the clusters reviewed are migrated (a pattern or a tag is matched again when the run starts)`,
    );
  }
  if (approve && !removeOidcProviderTrustRelationship && having('migrated').length > 0) {
    nextSteps.push(
      "once the migrated workloads run on Pod Identity (restart them; see each cluster's report), run again with removeOidcProviderTrustRelationship to remove their IRSA annotations and OIDC trust",
    );
  }
  return {
    workflow: FLEET_MIGRATION_WORKFLOW,
    runId: input.runId,
    approve,
    removeOidcProviderTrustRelationship,
    selector: input.selector,
    clusterCounts: {
      selected: clusters.length,
      planned: planned.length,
      migrated: having('migrated').length,
      nothingToMigrate: having('nothing to migrate').length,
      failed: failed.length,
    },
    counts,
    clusters,
    reportLocation: input.reportLocation,
    warnings: [...input.warnings],
    nextSteps,
  };
}
