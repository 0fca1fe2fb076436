/**
 * `eks-pia utils migrate-to-pod-identity --cluster C [--approve]
 * [--remove-oidc-provider-trust-relationship] [--timeout 25m]`, eksctl's command, running the
 * migrate-to-pod-identity workflow. Without `--approve` it prints the plan and changes nothing.
 *
 * Ours beyond eksctl: `--discovery auto|kubernetes|iam` (where IRSA service accounts are found),
 * `--namespace` (repeatable or comma-separated) to migrate some namespaces only, and
 * `--allow-stack-drift` to also migrate roles of stacks it may not update (eksctl-named stacks
 * are updated through CloudFormation without it), and `--clusters a,b | prod-* | tag:env=prod`
 * in place of `--cluster` to migrate a fleet (the fleet-migration workflow, one report).
 */
import { type Command, Option } from 'commander';
import { InvalidRequestError } from '../../functions/core/associations/request.ts';
import { NamedError } from '../../functions/core/errors.ts';
import {
  FLEET_MIGRATION_WORKFLOW,
  parseFleetMigrationInput,
} from '../../functions/core/fleet/fleet-migration.ts';
import {
  DISCOVERY_MODES,
  type DiscoveryMode,
} from '../../functions/core/migration/discovery-modes.ts';
import {
  InvalidMigrationInputError,
  type MigrationInput,
  parseMigrationInput,
  WORKFLOW,
} from '../../functions/core/migration/request.ts';
import type { GlobalOptions } from './engine-types.ts';
import { printFleetMigration } from './fleet-migration-output.ts';
import type { CliIo } from './io.ts';
import { failedServiceAccounts, isMigrationReport } from './migrate-output.ts';
import { examples, printReport } from './render.ts';
import { EKSCTL_TIMEOUT, type RunTimeout, readTimeout, timeoutOption } from './run-timeout.ts';
import { UsageError } from './usage-error.ts';

/** An approved run finished, but some service accounts could not be migrated. */
export class MigrationFailedError extends NamedError {
  override readonly name = 'MigrationFailedError';
}

export interface MigrateFlags {
  cluster?: string;
  clusters?: string;
  approve?: true;
  removeOidcProviderTrustRelationship?: true;
  discovery?: DiscoveryMode;
  namespace?: string[];
  allowStackDrift?: true;
  /** `--timeout`, eksctl's: 25m unless given. */
  timeout?: string;
}

export type MigrationPrinter = (report: unknown, format: string | undefined, io: CliIo) => void;

export interface MigrateCommandDeps {
  /**
   * Runs `workflow` on the engine the global flags choose, then prints its output with `print`;
   * stops waiting for it after `timeout` (`--timeout`).
   */
  run(
    command: Command,
    workflow: string,
    input: unknown,
    print: MigrationPrinter,
    timeout?: RunTimeout,
  ): Promise<void>;
}

/**
 * The workflow input for the flags, checked with the workflow's own rules (so a bad flag exits 2
 * before anything runs). Exported for the demo, which plans and then approves.
 */
export function migrationInput(flags: MigrateFlags, region?: string): MigrationInput {
  if (!flags.cluster) throw new UsageError('--cluster must be set');
  const input: MigrationInput = { clusterName: flags.cluster, ...optionInput(flags, region) };
  try {
    parseMigrationInput(input, '');
  } catch (error) {
    if (error instanceof InvalidMigrationInputError) throw new UsageError(error.message);
    throw error;
  }
  return input;
}

/** The flags every cluster's migration takes, as the workflows' inputs name them. */
function optionInput(flags: MigrateFlags, region: string | undefined): Record<string, unknown> {
  const namespaces = (flags.namespace ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
  return {
    ...(region === undefined ? {} : { region }),
    ...(flags.approve ? { approve: true } : {}),
    ...(flags.removeOidcProviderTrustRelationship
      ? { removeOidcProviderTrustRelationship: true }
      : {}),
    ...(flags.discovery ? { discovery: flags.discovery } : {}),
    ...(namespaces.length > 0 ? { namespaces } : {}),
    ...(flags.allowStackDrift ? { allowStackDrift: true } : {}),
  };
}

/** The fleet-migration input for `--clusters`, checked with the workflow's own rules. */
export function fleetMigrationInput(flags: MigrateFlags, region?: string): Record<string, unknown> {
  const input = { clusters: flags.clusters, ...optionInput(flags, region) };
  try {
    parseFleetMigrationInput(input, '');
  } catch (error) {
    if (error instanceof InvalidMigrationInputError || error instanceof InvalidRequestError) {
      throw new UsageError(error.message);
    }
    throw error;
  }
  return input;
}

/** Prints the report, then fails the command (exit 1) when an approved run left service accounts failed. */
export const printMigration: MigrationPrinter = (report, format, io) => {
  printReport(report, format, io);
  if (!isMigrationReport(report) || report.approve !== true) return;
  const failed = failedServiceAccounts(report);
  if (failed > 0) {
    throw new MigrationFailedError(
      `${failed} service account(s) could not be migrated to pod identity; see the report above`,
    );
  }
};

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Adds `utils migrate-to-pod-identity`, creating the `utils` group unless it exists. */
export function registerMigrateCommand(program: Command, deps: MigrateCommandDeps): void {
  const utils =
    program.commands.find((command) => command.name() === 'utils') ??
    program.command('utils').description('various utilities').exitOverride();
  const migrate = utils
    .command('migrate-to-pod-identity')
    .description(
      'migrate the IRSA service accounts of a cluster to EKS Pod Identity associations (a plan unless --approve)',
    )
    .option('--cluster <name>', 'EKS cluster name')
    .option(
      '--clusters <selector>',
      'every cluster of the region it selects, in place of --cluster: names (a,b), a pattern (prod-*) or a tag (tag:env=prod)',
    )
    .option('--approve', 'apply the changes; without it only the plan is shown')
    .option(
      '--remove-oidc-provider-trust-relationship',
      "also remove the role-arn annotations and this cluster's OIDC trust of the migrated service accounts, once their associations exist",
    )
    .addOption(
      new Option('--discovery <mode>', 'where IRSA service accounts are found')
        .choices(DISCOVERY_MODES)
        .default('auto'),
    )
    .option('--namespace <names>', 'only these namespaces (repeatable, comma list)', collect)
    .option(
      '--allow-stack-drift',
      'also migrate roles of CloudFormation stacks not named as eksctl names them (which this service may not update), changing them outside the stack',
    );
  timeoutOption(migrate, EKSCTL_TIMEOUT)
    .addHelpText(
      'after',
      examples([
        'eks-pia utils migrate-to-pod-identity --cluster demo',
        'eks-pia utils migrate-to-pod-identity --cluster demo --approve',
        'eks-pia utils migrate-to-pod-identity --cluster demo --approve --remove-oidc-provider-trust-relationship',
        'eks-pia utils migrate-to-pod-identity --cluster demo --namespace payments,default --discovery kubernetes',
        'eks-pia utils migrate-to-pod-identity --clusters tag:env=prod',
        'eks-pia utils migrate-to-pod-identity --clusters prod-* --approve --timeout 1h',
      ]),
    )
    .exitOverride()
    .action(async (flags: MigrateFlags, command: Command) => {
      const timeout = readTimeout(flags.timeout);
      const { region } = command.optsWithGlobals() as GlobalOptions;
      if (flags.clusters === undefined) {
        await deps.run(command, WORKFLOW, migrationInput(flags, region), printMigration, timeout);
        return;
      }
      if (flags.cluster !== undefined) {
        throw new UsageError(
          '--cluster and --clusters cannot both be set: --cluster names one cluster, --clusters selects several',
        );
      }
      await deps.run(
        command,
        FLEET_MIGRATION_WORKFLOW,
        fleetMigrationInput(flags, region),
        printFleetMigration,
        timeout,
      );
    });
}
