/**
 * eksctl's add-on commands: `create addon` (one add-on from flags, or the add-ons of a config
 * file with their pod identity associations), `update addon -f` (declarative: the add-on's
 * associations become the listed ones) and `get addon` with eksctl's columns.
 *
 * A config file runs the associations workflow with scope `addons`; `create addon` from flags
 * alone runs ensure-addon (installs and waits until ACTIVE), unless
 * `--auto-apply-pod-identity-associations` asks for the add-on's recommended associations.
 */

import { paginateListAddons } from '@aws-sdk/client-eks';
import type { Command } from 'commander';
import { stringify as stringifyYaml } from 'yaml';
import { describeAddonState } from '../../functions/aws/addons.ts';
import { configureAwsClients, eksClient } from '../../functions/aws/clients.ts';
import { addonCatalogue, describeCluster } from '../../functions/aws/eks.ts';
import { ClusterNotFoundError, compareAddonVersions } from '../../functions/core/addon.ts';
import { type ClusterConfig, isClusterName } from '../../functions/core/config/index.ts';
import { loadWorldFile } from '../simulator/index.ts';
import { awsAccessError } from './aws-access.ts';
import { openEngine } from './engine.ts';
import type { GlobalOptions } from './engine-types.ts';
import type { CliIo } from './io.ts';
import {
  fileInput,
  type PodIdentityAssociationCommandDeps,
  printChanges,
  readConfigFile,
  takeRegionFromFile,
  verbGroup,
} from './podidentityassociation.ts';
import { examples } from './render.ts';
import { readTimeout, timeoutOption } from './run-timeout.ts';
import { formatTable } from './table.ts';
import { UsageError } from './usage-error.ts';

interface AddonFlags {
  configFile?: string;
  cluster?: string;
  name?: string;
  version?: string;
  autoApplyPodIdentityAssociations?: true;
  dryRun?: true;
  timeout?: string;
}

/** One row of `get addon`, with eksctl's JSON keys. */
export interface AddonSummaryRow {
  Name: string;
  Version: string;
  NewerVersion: string;
  IAMRole: string;
  Status: string;
  ConfigurationValues: string;
  Namespace: string;
  PodIdentityAssociations: { Namespace: string; ServiceAccount: string; RoleARN: string }[];
  Issues: number;
}

const COLUMNS: readonly [string, (row: AddonSummaryRow) => string][] = [
  ['NAME', (row) => row.Name],
  ['VERSION', (row) => row.Version],
  ['STATUS', (row) => row.Status],
  ['ISSUES', (row) => String(row.Issues)],
  ['IAMROLE', (row) => row.IAMRole],
  ['UPDATE AVAILABLE', (row) => row.NewerVersion],
  ['CONFIGURATION VALUES', (row) => row.ConfigurationValues.trim().replace(/\s*\n\s*/g, ' ')],
  ['NAMESPACE', (row) => row.Namespace],
  [
    'POD IDENTITY ASSOCIATION ROLES',
    (row) => row.PodIdentityAssociations.map((a) => a.RoleARN).join(','),
  ],
];

/** eksctl's `get addon` table. */
export function formatAddonTable(rows: readonly AddonSummaryRow[]): string {
  return formatTable(COLUMNS, rows, 'No addons found');
}

async function addonRows(
  clusterName: string,
  only: string | undefined,
): Promise<AddonSummaryRow[]> {
  const cluster = await describeCluster(clusterName);
  if (!cluster)
    throw new ClusterNotFoundError(
      `cluster "${clusterName}" does not exist; check --cluster and --region`,
    );
  const names: string[] = [];
  if (only !== undefined) names.push(only);
  else {
    for await (const page of paginateListAddons({ client: eksClient() }, { clusterName }))
      names.push(...(page.addons ?? []));
  }
  const rows: AddonSummaryRow[] = [];
  for (const name of names.sort()) {
    const addon = await describeAddonState(clusterName, name);
    if (!addon) {
      if (only !== undefined)
        throw new UsageError(`addon ${only} not found on cluster "${clusterName}"`);
      continue;
    }
    const { candidates, defaultNamespace } = await addonCatalogue(name, cluster.version);
    const newer = candidates
      .map((candidate) => candidate.version)
      .filter((version) => compareAddonVersions(version, addon.version) > 0)
      .sort((a, b) => compareAddonVersions(b, a));
    rows.push({
      Name: name,
      Version: addon.version,
      NewerVersion: newer.join(','),
      IAMRole: addon.serviceAccountRoleArn ?? '',
      Status: addon.status,
      ConfigurationValues: addon.configurationValues ?? '',
      Namespace: addon.associations[0]?.namespace ?? defaultNamespace ?? 'kube-system',
      PodIdentityAssociations: addon.associations.map((association) => ({
        Namespace: association.namespace,
        ServiceAccount: association.serviceAccount,
        RoleARN: association.roleArn,
      })),
      Issues: addon.healthIssues ?? 0,
    });
  }
  return rows;
}

/** The region of a config written from flags: --region, else the environment, else the world's. */
function regionForFlags(globals: GlobalOptions): string {
  const region =
    globals.region ??
    (globals.simulate ? loadWorldFile(globals.simulate).region : undefined) ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('no region: pass --region or set AWS_REGION');
  return region;
}

function requireCluster(cluster: string | undefined): string {
  if (!cluster) throw new UsageError('--cluster must be set');
  if (!isClusterName(cluster)) throw new UsageError(`"${cluster}" is not a valid EKS cluster name`);
  return cluster;
}

export function registerAddonCommands(
  program: Command,
  deps: PodIdentityAssociationCommandDeps & { io: CliIo },
): void {
  const startFile = async (
    command: Command,
    flags: AddonFlags,
    operation: 'create' | 'update',
  ): Promise<void> => {
    const path = flags.configFile as string;
    const timeout = readTimeout(flags.timeout);
    if (flags.cluster !== undefined)
      throw new UsageError(
        'cannot use --cluster when --config-file/-f is set; the cluster is metadata.name',
      );
    if (flags.version !== undefined)
      throw new UsageError(
        'cannot use --version when --config-file/-f is set; set addons[].version',
      );
    const config: ClusterConfig = readConfigFile(path, operation, 'addons');
    takeRegionFromFile(command, config, path);
    if (flags.autoApplyPodIdentityAssociations) {
      config.addonsConfig = { ...config.addonsConfig, autoApplyPodIdentityAssociations: true };
    }
    const input = fileInput(operation, config, path, {
      dryRun: flags.dryRun,
      scope: 'addons',
      addonName: flags.name,
    });
    await deps.run(command, 'associations', input, printChanges, timeout);
  };

  const create = verbGroup(program, 'create', 'create resources')
    .command('addon')
    .alias('addons')
    .description(
      'create EKS add-ons: the add-ons of a config file with their pod identity associations (-f), or one add-on from flags (the pod identity agent by default), waiting until it is ACTIVE',
    )
    .option('-f, --config-file <file>', 'eksctl ClusterConfig whose addons: section to create')
    .option('--cluster <name>', 'EKS cluster name')
    .option('--name <addon>', 'add-on name (with -f: only this add-on of the file)')
    .option(
      '--version <version>',
      "add-on version; latest or none: EKS's default for the cluster's Kubernetes version",
    )
    .option(
      '--auto-apply-pod-identity-associations',
      "create the add-on's recommended pod identity associations (roles from its recommended managed policies)",
    )
    .option('--dry-run', 'show what would change without changing anything')
    .exitOverride()
    .addHelpText(
      'after',
      examples([
        'eks-pia create addon --cluster demo',
        'eks-pia create addon --cluster demo --name eks-pod-identity-agent --version v1.3.4-eksbuild.1',
        'eks-pia create addon --cluster demo --name aws-ebs-csi-driver --auto-apply-pod-identity-associations',
        'eks-pia create addon -f events/configs/create-addons.yaml --simulate events/worlds/demo.yaml',
      ]),
    );
  timeoutOption(create);
  create.action(async (flags: AddonFlags, command: Command) => {
    if (flags.configFile !== undefined) return startFile(command, flags, 'create');
    const timeout = readTimeout(flags.timeout);
    const clusterName = requireCluster(flags.cluster);
    const addonName = flags.name ?? 'eks-pod-identity-agent';
    if (!flags.autoApplyPodIdentityAssociations && !flags.dryRun) {
      await deps.run(
        command,
        'ensure-addon',
        {
          clusterName,
          addonName,
          ...(flags.version ? { addonVersion: flags.version } : {}),
        },
        (report, format, io) => printChanges(report, format, io),
        timeout,
      );
      return;
    }
    const globals = command.optsWithGlobals() as GlobalOptions;
    const config = {
      apiVersion: 'eksctl.io/v1alpha5',
      kind: 'ClusterConfig',
      metadata: { name: clusterName, region: regionForFlags(globals) },
      addons: [{ name: addonName, ...(flags.version ? { version: flags.version } : {}) }],
      addonsConfig: {
        autoApplyPodIdentityAssociations: flags.autoApplyPodIdentityAssociations === true,
      },
    };
    await deps.run(
      command,
      'associations',
      {
        operation: 'create',
        scope: 'addons',
        config: { inline: config },
        ...(flags.dryRun ? { dryRun: true } : {}),
      },
      printChanges,
      timeout,
    );
  });

  const update = verbGroup(program, 'update', 'update resources')
    .command('addon')
    .alias('addons')
    .description(
      'update EKS add-ons from a config file: version, configuration values and, declaratively, their pod identity associations (and the roles eks-pia created for removed ones)',
    )
    .requiredOption(
      '-f, --config-file <file>',
      'eksctl ClusterConfig whose addons: section to apply',
    )
    .option('--name <addon>', 'only this add-on of the file')
    .option('--dry-run', 'show what would change without changing anything')
    .exitOverride();
  timeoutOption(update);
  update.action(async (flags: AddonFlags, command: Command) => startFile(command, flags, 'update'));

  verbGroup(program, 'get', 'show resources')
    .command('addon')
    .alias('addons')
    .description(
      "list a cluster's EKS add-ons with eksctl's columns, including their pod identity association roles",
    )
    .option('--cluster <name>', 'EKS cluster name')
    .option('--name <addon>', 'only this add-on')
    .exitOverride()
    .action(async (flags: AddonFlags, command: Command) => {
      const clusterName = requireCluster(flags.cluster);
      const globals = command.optsWithGlobals() as GlobalOptions;
      const engine = await openEngine(globals, (line) => deps.io.err(`${line}\n`));
      try {
        if (globals.engine === 'remote') configureAwsClients({ region: engine.region });
        const rows = await addonRows(clusterName, flags.name).catch((error: unknown) => {
          throw (
            awsAccessError(
              error,
              `read the add-ons of cluster ${clusterName} in ${engine.region}`,
            ) ?? error
          );
        });
        if (globals.output === 'json') deps.io.out(`${JSON.stringify(rows, null, 2)}\n`);
        else if (globals.output === 'yaml') deps.io.out(stringifyYaml(rows));
        else deps.io.out(formatAddonTable(rows));
      } finally {
        await engine.close();
      }
    });
}
