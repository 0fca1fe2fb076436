/**
 * `eks-pia create|get|update|delete podidentityassociation` (eksctl's commands, flags and
 * messages, spec §1.3–§1.4, with the bugs of §10 fixed) and our declarative
 * `eks-pia apply podidentityassociation -f FILE [--prune]`, all running the `associations`
 * workflow.
 *
 * This module only turns flags into the workflow's input and checks what eksctl checks before
 * anything runs; the config rules themselves live in functions/core/config and are called, not
 * copied. A config file is validated here with the same core the workflow uses, so a bad file
 * exits 2 before an engine (or the simulator) is even started.
 *
 * Fixed eksctl bugs: `--permission-policy-arns` and `--tags` are refused with `-f` (eksctl's
 * list said `permission-policy-arn`); `--tags a=1,b=2` keeps every pair; and
 * `--disable-session-tags=false` means false.
 */
import { Buffer } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import {
  type ClusterConfig,
  isClusterName,
  MAX_CONFIG_BYTES,
  type Operation,
  parseClusterConfig,
  type Scope,
  validateAssociationInput,
  WELL_KNOWN_POLICY_NAMES,
  type WellKnownPolicyName,
} from '../../functions/core/config/index.ts';
import { asError, NamedError } from '../../functions/core/errors.ts';
import { FLEET_WORKFLOW } from '../../functions/core/fleet/report.ts';
import {
  failedItemCount,
  formatAssociationList,
  isAssociationsReport,
  isGetReport,
} from './associations-output.ts';
import { isBootstrapReport } from './bootstrap-output.ts';
import type { GlobalOptions } from './engine-types.ts';
import { fleetFileInput, printFleetChanges } from './fleet.ts';
import type { CliIo } from './io.ts';
import { examples, printReport } from './render.ts';
import { type RunTimeout, readTimeout, timeoutOption } from './run-timeout.ts';
import { UsageError } from './usage-error.ts';

const WORKFLOW = 'associations';
/** Step Functions refuses an execution input above 256 KiB. */
const MAX_WORKFLOW_INPUT_BYTES = 256 * 1024;

/** The workflow finished, but some associations could not be created, updated or deleted. */
export class AssociationItemsFailedError extends NamedError {
  override readonly name = 'AssociationItemsFailedError';
}

export type ReportPrinter = (report: unknown, format: string | undefined, io: CliIo) => void;

export interface PodIdentityAssociationCommandDeps {
  /**
   * Runs `workflow` on the engine the global flags choose, then prints its output with `print`;
   * stops waiting for it after `timeout` (`--timeout`), if given.
   */
  run(
    command: Command,
    workflow: string,
    input: unknown,
    print: ReportPrinter,
    timeout?: RunTimeout,
  ): Promise<void>;
}

// --- the workflow's input shapes ---------------------------------------------------------------

type ChangeOperation = Exclude<Operation, 'get'>;

/** A whole ClusterConfig, validated here and again by the workflow. */
export interface ConfigFileInput {
  operation: ChangeOperation;
  config: { inline: ClusterConfig };
  /** `podidentityassociation -f` reads only the associations, `addon -f` only the add-ons. */
  scope: Exclude<Scope, 'all'>;
  addonName?: string;
  dryRun?: true;
  prune?: true;
}

/** One association given by flags, with the config file's field names. */
export interface AssociationFromFlags {
  namespace: string;
  serviceAccountName: string;
  roleARN?: string;
  roleName?: string;
  permissionsBoundaryARN?: string;
  permissionPolicyARNs?: string[];
  wellKnownPolicies?: Partial<Record<WellKnownPolicyName, true>>;
  createServiceAccount?: true;
  tags?: Record<string, string>;
  targetRoleARN?: string;
  disableSessionTags?: boolean;
  policy?: string;
}

export interface FlagsInput {
  operation: 'create' | 'update' | 'delete';
  clusterName: string;
  region?: string;
  association: AssociationFromFlags;
  dryRun?: true;
}

export interface GetInput {
  operation: 'get';
  clusterName: string;
  region?: string;
  namespace?: string;
  serviceAccountName?: string;
}

// --- flag values -------------------------------------------------------------------------------

interface CommonFlags {
  configFile?: string;
  cluster?: string;
  namespace?: string;
  serviceAccountName?: string;
  timeout?: string;
  dryRun?: true;
}

interface CreateFlags extends CommonFlags {
  roleArn?: string;
  roleName?: string;
  permissionBoundaryArn?: string;
  permissionsBoundaryArn?: string;
  permissionPolicyArns?: string[];
  wellKnownPolicies?: string[];
  createServiceAccount?: true;
  tags?: string[];
  targetRoleArn?: string;
  disableSessionTags?: string | true;
  policy?: string;
}

interface UpdateFlags extends CommonFlags {
  roleArn?: string;
  targetRoleArn?: string;
  /** `true` for the bare flag, the text for `--disable-session-tags=VALUE`, false for `--no-...`. */
  disableSessionTags?: string | boolean;
  policy?: string;
}

interface GetFlags extends CommonFlags {
  chunkSize?: string;
}

interface ApplyFlags {
  configFile: string;
  prune?: true;
  clusters?: string;
  dryRun?: true;
  timeout?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Comma lists, possibly given several times (`--tags a=1 --tags b=2`), like pflag's slices. */
function listItems(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(',')).filter((item) => item !== '');
}

/** `--well-known-policies autoscaler,EXTERNALDNS` → `{autoScaler: true, externalDNS: true}`. */
function parseWellKnownPolicies(
  values: readonly string[] | undefined,
): Partial<Record<WellKnownPolicyName, true>> {
  const policies: Partial<Record<WellKnownPolicyName, true>> = {};
  for (const item of listItems(values)) {
    const name = WELL_KNOWN_POLICY_NAMES.find(
      (known) => known.toLowerCase() === item.trim().toLowerCase(),
    );
    if (name === undefined) throw new UsageError(`invalid wellKnownPolicy: ${item}`);
    policies[name] = true;
  }
  return policies;
}

/** `--tags k1=v1,k2=v2` → every pair (eksctl kept only the last one). */
function parseTags(values: readonly string[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of listItems(values)) {
    const equals = pair.indexOf('=');
    if (equals < 0) {
      throw new UsageError(
        `invalid argument "${pair}" for "--tags" flag: each tag must be written as key=value (--tags k1=v1,k2=v2)`,
      );
    }
    const key = pair.slice(0, equals);
    if (Object.hasOwn(tags, key)) {
      throw new UsageError(`--tags gives the tag "${key}" more than once; give each key once`);
    }
    tags[key] = pair.slice(equals + 1);
  }
  return tags;
}

const TRUE_WORDS = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/** A boolean flag's value as Go's strconv.ParseBool (which pflag uses) reads it. */
function parseBoolFlag(flag: string, value: string | boolean): boolean {
  if (typeof value === 'boolean') return value;
  if (TRUE_WORDS.has(value)) return true;
  if (FALSE_WORDS.has(value)) return false;
  throw new UsageError(`invalid argument "${value}" for "--${flag}" flag: use true or false`);
}

// --- checks eksctl makes before anything runs ----------------------------------------------------

/** The long names of the flags given on the command line, recorded while commander parses. */
function recordGivenFlags(command: Command): Set<string> {
  const given = new Set<string>();
  for (const option of command.options) {
    command.on(`option:${option.name()}`, () => given.add(option.name()));
  }
  return given;
}

function refuseWithConfigFile(given: ReadonlySet<string>, refused: readonly string[]): void {
  const flag = refused.find((name) => given.has(name));
  if (flag !== undefined) {
    throw new UsageError(`cannot use --${flag} when --config-file/-f is set`);
  }
}

const CREATE_FLAGS_REFUSED_WITH_FILE = [
  'cluster',
  'namespace',
  'service-account-name',
  'role-arn',
  'role-name',
  'permission-boundary-arn',
  'permissions-boundary-arn',
  'permission-policy-arns',
  'well-known-policies',
  'create-service-account',
  'tags',
  'target-role-arn',
  'disable-session-tags',
  'policy',
];
const UPDATE_FLAGS_REFUSED_WITH_FILE = [
  'cluster',
  'namespace',
  'service-account-name',
  'role-arn',
  'target-role-arn',
  'disable-session-tags',
  'no-disable-session-tags',
  'policy',
];
const DELETE_FLAGS_REFUSED_WITH_FILE = ['cluster', 'namespace', 'service-account-name'];
const GET_FLAGS_REFUSED_WITH_FILE = ['cluster'];

function requireCluster(cluster: string | undefined): string {
  if (!cluster) throw new UsageError('--cluster must be set');
  if (!isClusterName(cluster)) {
    throw new UsageError(
      `--cluster "${cluster}" is not a valid EKS cluster name; use 1 to 100 letters, digits, hyphens and underscores, starting with a letter or digit`,
    );
  }
  return cluster;
}

function requireServiceAccount(flags: CommonFlags): {
  namespace: string;
  serviceAccountName: string;
} {
  if (!flags.namespace) throw new UsageError('--namespace is required');
  if (!flags.serviceAccountName) throw new UsageError('--service-account-name is required');
  return { namespace: flags.namespace, serviceAccountName: flags.serviceAccountName };
}

/** `-f -` reads the config from standard input, as eksctl does. */
export const STDIN_PATH = '-';

/** A config file's text (`-` reads standard input), refused above the config size limit. */
export function readConfigText(path: string): { text: string; source: string } {
  const source = path === STDIN_PATH ? 'standard input' : path;
  try {
    const size = path === STDIN_PATH ? undefined : statSync(path).size;
    const tooLarge = (bytes: number) =>
      new UsageError(
        `--config-file ${source} is ${bytes} bytes; config files are limited to 1 MiB (${MAX_CONFIG_BYTES} bytes), so split the associations across several files`,
      );
    if (size !== undefined && size > MAX_CONFIG_BYTES) throw tooLarge(size);
    const bytes = readFileSync(path === STDIN_PATH ? 0 : path);
    if (bytes.length > MAX_CONFIG_BYTES) throw tooLarge(bytes.length);
    return { text: bytes.toString('utf8'), source };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read --config-file ${source}: ${asError(error).message}`);
  }
}

export function readConfigFile(
  path: string,
  operation: Operation,
  scope: Exclude<Scope, 'all'> = 'associations',
): ClusterConfig {
  const { text, source } = readConfigText(path);
  return parseClusterConfig(text, { operation, scope, source });
}

function rootOf(command: Command): Command {
  let root = command;
  while (root.parent) root = root.parent;
  return root;
}

/**
 * With `-f` the region is the file's `metadata.region`, as in eksctl. A different `--region`
 * is refused rather than silently ignored; with neither `--region` nor `--simulate`, the
 * file's region is where the local engine calls AWS.
 */
export function takeRegionFromFile(
  command: Command,
  config: { metadata: { region: string } },
  path: string,
): void {
  const globals = command.optsWithGlobals() as GlobalOptions;
  const fileRegion = config.metadata.region;
  if (globals.region !== undefined && globals.region !== fileRegion) {
    throw new UsageError(
      `--region ${globals.region} differs from metadata.region ${fileRegion} in ${path}; with --config-file/-f the region comes from the file`,
    );
  }
  if (globals.region === undefined && globals.simulate === undefined) {
    rootOf(command).setOptionValueWithSource('region', fileRegion, 'config');
  }
}

export function fileInput(
  operation: ChangeOperation,
  config: ClusterConfig,
  path: string,
  options: {
    dryRun?: true | undefined;
    prune?: true;
    scope?: ConfigFileInput['scope'];
    addonName?: string | undefined;
  },
): ConfigFileInput {
  const input: ConfigFileInput = {
    operation,
    config: { inline: config },
    scope: options.scope ?? 'associations',
    ...(options.addonName ? { addonName: options.addonName } : {}),
    ...(options.dryRun ? { dryRun: true as const } : {}),
    ...(options.prune ? { prune: true as const } : {}),
  };
  return withinWorkflowInputLimit(input, path);
}

/** The input, unless Step Functions would refuse it as larger than an execution input may be. */
function withinWorkflowInputLimit<Input>(input: Input, path: string): Input {
  const bytes = Buffer.byteLength(JSON.stringify(input), 'utf8');
  if (bytes > MAX_WORKFLOW_INPUT_BYTES) {
    throw new UsageError(
      `--config-file ${path} is too large to hand to the workflow inline: the input would be ${bytes} bytes and Step Functions accepts at most ${MAX_WORKFLOW_INPUT_BYTES} (256 KiB); split the associations across several files, or put the file in the config bucket and run the workflow with {"config": {"s3": {"bucket": ..., "key": ...}}}`,
    );
  }
  return input;
}

function withRegion(command: Command): { region?: string } {
  const { region } = command.optsWithGlobals() as GlobalOptions;
  return region === undefined ? {} : { region };
}

// --- building the input of each command ----------------------------------------------------------

/** The input of one change given by flags, checked as the workflow checks it. */
function flagsInput(
  operation: FlagsInput['operation'],
  clusterName: string,
  region: string | undefined,
  association: AssociationFromFlags,
  dryRun: true | undefined,
): FlagsInput {
  validateAssociationInput(association, operation);
  return {
    operation,
    clusterName,
    ...(region === undefined ? {} : { region }),
    association,
    ...(dryRun ? { dryRun } : {}),
  };
}

function createInputFromFlags(flags: CreateFlags, region: string | undefined): FlagsInput {
  const policyArns = listItems(flags.permissionPolicyArns);
  const wellKnown = parseWellKnownPolicies(flags.wellKnownPolicies);
  const tags = parseTags(flags.tags);
  const disableSessionTags =
    flags.disableSessionTags === undefined
      ? undefined
      : parseBoolFlag('disable-session-tags', flags.disableSessionTags);
  if (flags.permissionBoundaryArn !== undefined && flags.permissionsBoundaryArn !== undefined) {
    throw new UsageError(
      '--permission-boundary-arn and --permissions-boundary-arn are the same flag; give it once',
    );
  }
  const boundary = flags.permissionBoundaryArn ?? flags.permissionsBoundaryArn;

  const clusterName = requireCluster(flags.cluster);
  const { namespace, serviceAccountName } = requireServiceAccount(flags);
  const hasWellKnown = Object.keys(wellKnown).length > 0;
  if (!flags.roleArn && policyArns.length === 0 && !hasWellKnown) {
    throw new UsageError(
      'at least one of the following flags must be specified: --role-arn, --permission-policy-arns, --well-known-policies',
    );
  }
  if (flags.roleArn) {
    if (policyArns.length > 0) {
      throw new UsageError('--permission-policy-arns cannot be specified when --role-arn is set');
    }
    if (hasWellKnown) {
      throw new UsageError('--well-known-policies cannot be specified when --role-arn is set');
    }
  }
  if (flags.policy !== undefined && disableSessionTags !== true) {
    throw new UsageError('--disable-session-tags must be set to true when using --policy');
  }

  const association: AssociationFromFlags = {
    namespace,
    serviceAccountName,
    ...(flags.roleArn ? { roleARN: flags.roleArn } : {}),
    ...(flags.roleName ? { roleName: flags.roleName } : {}),
    ...(boundary ? { permissionsBoundaryARN: boundary } : {}),
    ...(policyArns.length > 0 ? { permissionPolicyARNs: policyArns } : {}),
    ...(hasWellKnown ? { wellKnownPolicies: wellKnown } : {}),
    ...(flags.createServiceAccount ? { createServiceAccount: true as const } : {}),
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
    ...(flags.targetRoleArn ? { targetRoleARN: flags.targetRoleArn } : {}),
    ...(disableSessionTags !== undefined ? { disableSessionTags } : {}),
    ...(flags.policy !== undefined ? { policy: flags.policy } : {}),
  };
  return flagsInput('create', clusterName, region, association, flags.dryRun);
}

function updateInputFromFlags(
  flags: UpdateFlags,
  negatedSessionTags: boolean,
  region: string | undefined,
): FlagsInput {
  // eksctl: `--no-disable-session-tags` wins over `--disable-session-tags`.
  const disableSessionTags = negatedSessionTags
    ? false
    : flags.disableSessionTags === undefined
      ? undefined
      : parseBoolFlag('disable-session-tags', flags.disableSessionTags);
  const clusterName = requireCluster(flags.cluster);
  const { namespace, serviceAccountName } = requireServiceAccount(flags);
  if (!flags.roleArn) throw new UsageError('--role-arn is required');
  if (flags.policy !== undefined && disableSessionTags === false) {
    throw new UsageError('--disable-session-tags must be set to true when using --policy');
  }
  const association: AssociationFromFlags = {
    namespace,
    serviceAccountName,
    roleARN: flags.roleArn,
    // eksctl forwards an empty --target-role-arn "" as is: EKS then removes the target role.
    ...(flags.targetRoleArn !== undefined ? { targetRoleARN: flags.targetRoleArn } : {}),
    ...(disableSessionTags !== undefined ? { disableSessionTags } : {}),
    ...(flags.policy !== undefined ? { policy: flags.policy } : {}),
  };
  return flagsInput('update', clusterName, region, association, flags.dryRun);
}

function deleteInputFromFlags(flags: CommonFlags, region: string | undefined): FlagsInput {
  const clusterName = requireCluster(flags.cluster);
  const association = requireServiceAccount(flags);
  return flagsInput('delete', clusterName, region, association, flags.dryRun);
}

function getInput(clusterName: string, region: string | undefined, flags: GetFlags): GetInput {
  if (flags.serviceAccountName && !flags.namespace) {
    throw new UsageError('--namespace must be set in order to specify --service-account-name');
  }
  return {
    operation: 'get',
    clusterName,
    ...(region === undefined ? {} : { region }),
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    ...(flags.serviceAccountName ? { serviceAccountName: flags.serviceAccountName } : {}),
  };
}

// --- running and printing ----------------------------------------------------------------------

/** Prints the report, then fails the command (exit 1) when some item failed, as eksctl does. */
export const printChanges: ReportPrinter = (report, format, io) => {
  printReport(report, format, io);
  const failed = failedItemsOf(report);
  if (failed > 0) {
    throw new AssociationItemsFailedError(
      `${failed} pod identity association(s) could not be changed; see the report above`,
    );
  }
};

/** Failed items of a report that changes associations; a bootstrap run carries its nested run's. */
function failedItemsOf(report: unknown): number {
  if (isBootstrapReport(report))
    return report.ignored ? 0 : (report.associations?.counts.failed ?? 0);
  if (isAssociationsReport(report) && !isGetReport(report)) return failedItemCount(report);
  return 0;
}

/** `get -o json|yaml` prints the bare list, as eksctl does; the table comes from the report. */
const printGet: ReportPrinter = (report, format, io) => {
  if (
    isAssociationsReport(report) &&
    isGetReport(report) &&
    (format === 'json' || format === 'yaml')
  ) {
    io.out(formatAssociationList(report, format));
  } else {
    printReport(report, format, io);
  }
};

export function verbGroup(program: Command, verb: string, description: string): Command {
  return (
    program.commands.find((command) => command.name() === verb) ??
    program.command(verb).description(description).exitOverride()
  );
}

function podIdentityAssociationCommand(
  group: Command,
  description: string,
  usage: readonly string[],
): Command {
  return group
    .command('podidentityassociation')
    .alias('podidentityassociations')
    .description(description)
    .option('-f, --config-file <file>', 'eksctl ClusterConfig (YAML or JSON)')
    .option('--cluster <name>', 'EKS cluster name')
    .exitOverride()
    .addHelpText('after', examples(usage));
}

/**
 * The input of a change command: from its config file (after refusing flags that make no sense
 * with one, and taking the region from the file), else from its flags.
 */
function changeInput(
  command: Command,
  flags: { configFile?: string | undefined; dryRun?: true | undefined },
  operation: ChangeOperation,
  refusal: { given: ReadonlySet<string>; refused: readonly string[] },
  fromFlags: () => FlagsInput,
): ConfigFileInput | FlagsInput {
  if (flags.configFile === undefined) return fromFlags();
  refuseWithConfigFile(refusal.given, refusal.refused);
  const config = readConfigFile(flags.configFile, operation);
  takeRegionFromFile(command, config, flags.configFile);
  return fileInput(operation, config, flags.configFile, flags);
}

/** Adds the pod identity association commands under `create`, `get`, `update`, `delete`, `apply`. */
export function registerPodIdentityAssociationCommands(
  program: Command,
  deps: PodIdentityAssociationCommandDeps,
): void {
  const start = async (
    command: Command,
    input: unknown,
    print: ReportPrinter,
    timeout: RunTimeout | undefined,
  ): Promise<void> => {
    await deps.run(command, WORKFLOW, input, print, timeout);
  };

  /**
   * create, update and delete differ only in their flags and how those become an input: each
   * names one service account by flags, takes `--dry-run` and `--timeout`, refuses its flag list
   * next to `-f`, reads a file or its flags, and prints the change report. The timeout is parsed
   * first so a bad one is reported before bad flags.
   */
  const changeCommand = <Flags extends CommonFlags>(spec: {
    operation: ChangeOperation;
    description: string;
    /** Adds the flags only this command takes, in the order help lists them. */
    flags?: (command: Command) => Command;
    examples: readonly string[];
    refused: readonly string[];
    fromFlags: (flags: Flags, region: string | undefined, given: ReadonlySet<string>) => FlagsInput;
  }): void => {
    const { operation, refused } = spec;
    const group = verbGroup(program, operation, `${operation} resources`);
    const command = podIdentityAssociationCommand(group, spec.description, spec.examples)
      .option('--namespace <namespace>', 'namespace of the service account')
      .option('--service-account-name <name>', 'name of the service account');
    spec.flags?.(command);
    command.option('--dry-run', 'show what would change without changing anything');
    timeoutOption(command);
    const given = recordGivenFlags(command);
    command.action(async (flags: Flags, invoked: Command) => {
      const timeout = readTimeout(flags.timeout);
      const input = changeInput(invoked, flags, operation, { given, refused }, () =>
        spec.fromFlags(flags, withRegion(invoked).region, given),
      );
      await start(invoked, input, printChanges, timeout);
    });
  };

  changeCommand({
    operation: 'create',
    description:
      'create pod identity associations (and their IAM roles) from a config file or from flags',
    flags: (command) =>
      command
        .option('--role-arn <arn>', 'existing IAM role for the association')
        .option('--role-name <name>', 'name of the IAM role to create')
        .option('--permission-boundary-arn <arn>', 'permissions boundary of the created role')
        .option('--permissions-boundary-arn <arn>', 'same as --permission-boundary-arn')
        .option(
          '--permission-policy-arns <arns>',
          'managed policies for the created role (comma list)',
          collect,
        )
        .option(
          '--well-known-policies <names>',
          `well-known policies for the created role (comma list of ${WELL_KNOWN_POLICY_NAMES.join(', ')})`,
          collect,
        )
        .option('--create-service-account', 'create the namespace and service account if missing')
        .option('--tags <pairs>', 'tags for the role and the association (k1=v1,k2=v2)', collect)
        .option('--target-role-arn <arn>', 'role in another account to chain into')
        .option(
          '--disable-session-tags [bool]',
          'turn off session tags (needed with --policy); --disable-session-tags=false keeps them',
        )
        .option('--policy <json>', 'session policy (JSON) that narrows the role for these pods'),
    examples: [
      'eks-pia create podidentityassociation --cluster demo --namespace default --service-account-name s3-reader --well-known-policies autoScaler --create-service-account',
      'eks-pia create podidentityassociation --cluster demo --namespace default --service-account-name web --role-arn arn:aws:iam::111122223333:role/web',
      'eks-pia create podidentityassociation -f events/configs/create-userdocs-flags.yaml --dry-run',
      'cat config.yaml | eks-pia create podidentityassociation -f -',
    ],
    refused: CREATE_FLAGS_REFUSED_WITH_FILE,
    fromFlags: createInputFromFlags,
  });

  const get = podIdentityAssociationCommand(
    verbGroup(program, 'get', 'show resources'),
    'list pod identity associations with their roles, owners and whether eks-pia manages them',
    [
      'eks-pia get podidentityassociation --cluster demo',
      'eks-pia get podidentityassociation --cluster demo --namespace payments -o yaml',
      'eks-pia get podidentityassociation --cluster demo -o json | jq -r ".[].RoleARN"',
    ],
  )
    .option('--namespace <namespace>', 'only this namespace')
    .option('--service-account-name <name>', 'only this service account (needs --namespace)')
    .option('--chunk-size <n>', 'accepted for eksctl compatibility; every page is always read');
  timeoutOption(get);
  const getGiven = recordGivenFlags(get);
  get.action(async (flags: GetFlags, command: Command) => {
    const timeout = readTimeout(flags.timeout);
    if (flags.chunkSize !== undefined && !/^\d+$/.test(flags.chunkSize)) {
      throw new UsageError(
        `invalid argument "${flags.chunkSize}" for "--chunk-size" flag: must be a whole number`,
      );
    }
    let input: GetInput;
    if (flags.configFile !== undefined) {
      refuseWithConfigFile(getGiven, GET_FLAGS_REFUSED_WITH_FILE);
      const config = readConfigFile(flags.configFile, 'get');
      takeRegionFromFile(command, config, flags.configFile);
      input = getInput(config.metadata.name, config.metadata.region, flags);
    } else {
      input = getInput(requireCluster(flags.cluster), withRegion(command).region, flags);
    }
    await start(command, input, printGet, timeout);
  });

  changeCommand<UpdateFlags>({
    operation: 'update',
    description:
      'update the role, target role, session tags or session policy of pod identity associations',
    flags: (command) =>
      command
        .option('--role-arn <arn>', 'IAM role for the association')
        .option('--target-role-arn <arn>', 'role in another account to chain into ("" removes it)')
        .option('--disable-session-tags [bool]', 'turn off session tags (=false turns them on)')
        .option('--no-disable-session-tags', 'turn session tags back on')
        .option('--policy <json>', 'session policy (JSON); needs session tags off'),
    examples: [
      'eks-pia update podidentityassociation --cluster demo --namespace default --service-account-name web --role-arn arn:aws:iam::111122223333:role/web-v2',
      'eks-pia update podidentityassociation -f events/configs/update-userdocs-roles.yaml --dry-run',
    ],
    refused: UPDATE_FLAGS_REFUSED_WITH_FILE,
    fromFlags: (flags, region, given) =>
      updateInputFromFlags(flags, given.has('no-disable-session-tags'), region),
  });

  changeCommand({
    operation: 'delete',
    description:
      'delete pod identity associations, and the roles and service accounts eks-pia created for them',
    examples: [
      'eks-pia delete podidentityassociation --cluster demo --namespace default --service-account-name web',
      'eks-pia delete podidentityassociation -f events/configs/delete-userdocs-associations.yaml',
    ],
    refused: DELETE_FLAGS_REFUSED_WITH_FILE,
    fromFlags: deleteInputFromFlags,
  });

  const apply = verbGroup(
    program,
    'apply',
    'make the cluster match a config file (ours; eksctl has no apply)',
  )
    .command('podidentityassociation')
    .alias('podidentityassociations')
    .description(
      'create what the file adds, update what differs, leave the rest; with --prune, delete the associations eks-pia created that the file no longer lists',
    )
    .requiredOption('-f, --config-file <file>', 'eksctl ClusterConfig (YAML or JSON)')
    .option('--prune', 'delete associations eks-pia created for the cluster that the file omits')
    .option(
      '--clusters <selector>',
      'for a fleet config (one with a fleet: block): the clusters to apply it to, in place of the block: a,b / prod-* / tag:env=prod',
    )
    .option('--dry-run', 'show what would change without changing anything')
    .exitOverride()
    .addHelpText(
      'after',
      examples([
        'eks-pia apply podidentityassociation -f events/configs/apply-team-payments.yaml --dry-run',
        'eks-pia apply podidentityassociation -f events/configs/apply-team-payments.yaml --prune',
        'eks-pia apply podidentityassociation -f fleet.yaml --clusters "prod-*,tag:env=prod" --dry-run',
      ]),
    );
  timeoutOption(apply);
  apply.action(async (flags: ApplyFlags, command: Command) => {
    const timeout = readTimeout(flags.timeout);
    const file = readConfigText(flags.configFile);
    const fleet = fleetFileInput(file, flags);
    if (fleet !== undefined) {
      if (fleet.region !== undefined) {
        takeRegionFromFile(command, { metadata: { region: fleet.region } }, flags.configFile);
      }
      await deps.run(
        command,
        FLEET_WORKFLOW,
        withinWorkflowInputLimit(fleet.input, flags.configFile),
        printFleetChanges,
        timeout,
      );
      return;
    }
    const config = parseClusterConfig(file.text, {
      operation: 'apply',
      scope: 'associations',
      source: file.source,
    });
    takeRegionFromFile(command, config, flags.configFile);
    const input = fileInput('apply', config, flags.configFile, flags);
    await start(command, input, printChanges, timeout);
  });
}
