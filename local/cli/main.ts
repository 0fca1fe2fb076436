/**
 * `eks-pia`: eksctl's pod identity commands, run as this service's workflows.
 * Exit codes: 0 success, 1 the workflow failed, 2 bad usage or bad input (nothing changed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Argument, Command, CommanderError, Option } from 'commander';
import { asError } from '../../functions/core/errors.ts';
import { PROJECT_ROOT } from '../runner/definition.ts';
import { WorkflowFailedError } from '../runner/run-workflow.ts';
import { registerAddonCommands } from './addon.ts';
import { withStoredPages } from './associations-output.ts';
import { COMPLETION_SHELLS, type CompletionShell, completionScript } from './completion.ts';
import { runDemo } from './demo.ts';
import { isDriftReport, printDrift, registerDriftCommand } from './drift.ts';
import { openEngine, recordUntouchedSimulation } from './engine.ts';
import type { Engine, GlobalOptions } from './engine-types.ts';
import { isFleetReport, printFleetChanges } from './fleet.ts';
import { isFleetMigrationReport, printFleetMigration } from './fleet-migration-output.ts';
import type { CliIo } from './io.ts';
import { printMigration, registerMigrateCommand } from './migrate.ts';
import { isMigrationReport } from './migrate-output.ts';
import {
  printChanges,
  type ReportPrinter,
  registerPodIdentityAssociationCommands,
} from './podidentityassociation.ts';
import { progressPrinter } from './progress.ts';
import { executionName } from './remote-engine.ts';
import { examples, inCliTerms, printReport, withWholeClusterReport } from './render.ts';
import { type RunTimeout, runWithin } from './run-timeout.ts';
import { UsageError } from './usage-error.ts';

const ROOT_EXAMPLES = `${examples([
  'eks-pia demo',
  'eks-pia create addon --cluster demo --simulate events/worlds/demo.yaml',
  'eks-pia create podidentityassociation -f events/configs/create-userdocs-flags.yaml --dry-run',
  'eks-pia get podidentityassociation --cluster demo -o json | jq .',
  'eks-pia utils migrate-to-pod-identity --cluster demo --approve --profile prod',
  'eks-pia --engine remote run bootstrap-cluster --input events/inputs/bootstrap-cluster.json',
])}
Exit codes: 0 success, 1 the workflow (or an item) failed, 2 bad usage or bad input (nothing changed),
130/143 interrupted (Ctrl-C / SIGTERM).`;

export const EXIT_OK = 0;
export const EXIT_WORKFLOW_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** Errors that mean the input was wrong and nothing was changed, wherever they were raised. */
const INPUT_ERRORS = new Set([
  'UsageError',
  'WorldFileError',
  'ConfigValidationError',
  'InvalidTaskInputError',
  'PolicyGuardViolation',
  'ClusterNotFoundError',
  // A selector names a cluster that does not exist (or, for drift, is not managed).
  'UnknownClusterError',
  'WorkflowDefinitionError',
  'InvalidMigrationInputError',
  // The first state of each workflow refuses a malformed input before anything is changed.
  'InvalidRequestError',
  'BootstrapInputError',
  'RegionMismatchError',
  'AddonValidationError',
  // create-addon refuses a version EKS does not offer (or an add-on it does not know) before creating.
  'AddonVersionNotFoundError',
  // Checked before any AWS call. (Missing credentials may also end a follow already under way.)
  'AwsProfileNotFoundError',
]);

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  errIsTTY: process.stderr.isTTY === true,
};

/** Commands running in this process, so a signal can record where each one stopped. */
const activeSessions = new Set<CliSession>();

/** The package's version, which `eks-pia --version` and `eks-pia version` print. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  // Only as the first word: `create addon --version V` is the add-on's version, as in eksctl.
  if (argv[0] === '--version' || argv[0] === '-V') {
    io.out(`${packageVersion()}\n`);
    return EXIT_OK;
  }
  const session: CliSession = { engineOpened: false, io };
  const program = buildProgram(io, session);
  activeSessions.add(session);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (!session.engineOpened) recordUntouchedSimulation(program.opts() as GlobalOptions);
    // A run abandoned by --timeout is still going: record the world as it stands now.
    session.engine?.record();
    return exitCodeFor(error, session.inputFields ? { ...io, inputFields: true } : io);
  } finally {
    activeSessions.delete(session);
  }
}

/** Exit codes of a command stopped by a signal, as shells report them (128 + signal number). */
const SIGNAL_EXIT_CODES: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * A signal stops the command: each running command writes its `--state-out` and `--calls-out`
 * as the world stands, so a rerun with `--simulate STATE` resumes from there. Returns the exit
 * code, or undefined when the running engine handles the interrupt itself (the remote engine
 * stops following the execution and says how to find it).
 */
export function interrupt(signal: 'SIGINT' | 'SIGTERM'): number | undefined {
  const sessions = [...activeSessions];
  if (signal === 'SIGINT' && sessions.some((session) => session.engine?.followsInterrupts)) {
    return undefined;
  }
  for (const session of sessions) {
    session.engine?.record();
    session.io.err(
      `Interrupted by ${signal}: what the run changed so far stays; rerunning the command finishes the rest${
        session.engine?.simulator ? ' (--state-out holds the simulated world as it stood)' : ''
      }\n`,
    );
  }
  return SIGNAL_EXIT_CODES[signal] ?? EXIT_WORKFLOW_FAILED;
}

function exitCodeFor(error: unknown, io: CliIo): number {
  const terms = io.inputFields ? (text: string) => text : inCliTerms;
  if (error instanceof CommanderError) {
    // Commander has already printed its message; help and version are successes.
    return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
  }
  const failure = asError(error);
  if (failure instanceof WorkflowFailedError) {
    io.err(
      `Error: ${failure.error}: ${terms(failure.cause)}${failure.state ? `\n  (failed in state "${failure.state}")` : ''}\n`,
    );
    return INPUT_ERRORS.has(failure.error) ? EXIT_BAD_INPUT : EXIT_WORKFLOW_FAILED;
  }
  io.err(`Error: ${terms(failure.message)}\n`);
  return INPUT_ERRORS.has(failure.name) ? EXIT_BAD_INPUT : EXIT_WORKFLOW_FAILED;
}

/** What a command did before failing: a simulator it never reached still answers --calls-out. */
interface CliSession {
  engineOpened: boolean;
  /** The engine of the running command, to record its state on every exit. */
  engine?: Engine;
  io: CliIo;
  /** The command runs a workflow input the user wrote (`run`). */
  inputFields?: boolean;
  /** The run the command waits for, once started: what `--timeout` names and stops following. */
  running?: { executionName: string; stopFollowing: AbortController; endProgress: () => void };
}

/** `--timeout` passed: stops following the run and says which run was left, and what became of it. */
function abandonRun(session: CliSession, workflow: string): string {
  const { engine, running } = session;
  if (engine === undefined || running === undefined) {
    return `the ${workflow} workflow, which had not started yet: nothing was changed`;
  }
  running.stopFollowing.abort();
  running.endProgress();
  return `the ${workflow} workflow ${engine.abandoned(running.executionName)}`;
}

function buildProgram(io: CliIo, session: CliSession): Command {
  const run = (
    command: Command,
    workflow: string,
    input: unknown,
    print: ReportPrinter = printReport,
    timeout?: RunTimeout,
  ) =>
    // Past --timeout the command ends; the run it leaves finishes (or is dropped) on its own.
    runWithin(runAndReport(command, io, session, workflow, input, print), timeout, () =>
      abandonRun(session, workflow),
    );
  const program: Command = new Command('eks-pia')
    .description(
      'EKS Pod Identity associations and IRSA migration, run as Step Functions workflows',
    )
    .option(
      '--region <region>',
      "AWS region (default: AWS_REGION, the profile's region, or the simulated world)",
    )
    .option('--profile <name>', 'AWS profile of the shared config files (default: AWS_PROFILE)')
    .addOption(
      new Option('--engine <engine>', 'where the workflow runs')
        .choices(['local', 'remote'])
        .default('local'),
    )
    .option(
      '--simulate <world>',
      'run against the simulator seeded with this world file (YAML or JSON)',
    )
    .option(
      '--state-out <file>',
      'with --simulate: write the final simulated state (world-file shape)',
    )
    .option(
      '--calls-out <file>',
      'with --simulate: write every API call the simulator served (JSON)',
    )
    .option(
      '--s3-object <s3://bucket/key=file>',
      'with --simulate: put FILE into the simulated S3 at s3://BUCKET/KEY first (repeatable)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']),
    )
    .option('--verbose', 'show task logs and every simulated API call')
    .option(
      '--state-machine-arn <arn>',
      'with --engine remote: start this state machine (default: from the stack outputs)',
    )
    .option(
      '--stack-name <name>',
      'the deployed stack whose outputs name the state machines (remote) and the config bucket (local) (default: EksPodIdentityAutomation)',
    )
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('beforeAll', ({ command }) =>
      command === program ? `eks-pia ${packageVersion()}\n` : '',
    )
    .addHelpText('after', ROOT_EXAMPLES);

  program
    .command('version')
    .description('print the version of eks-pia (also: eks-pia --version)')
    .exitOverride()
    .action(() => io.out(`${packageVersion()}\n`));

  program
    .command('completion')
    .description('print a shell completion script')
    .addArgument(new Argument('<shell>', 'the shell').choices(COMPLETION_SHELLS))
    .exitOverride()
    .addHelpText(
      'after',
      examples([
        'eval "$(eks-pia completion bash)"     # in ~/.bashrc',
        'eval "$(eks-pia completion zsh)"      # in ~/.zshrc',
        'eks-pia completion fish > ~/.config/fish/completions/eks-pia.fish',
      ]),
    )
    .action((shell: CompletionShell) => io.out(completionScript(program, shell)));

  program
    .command('run')
    .description('run a workflow with a console input file (see events/inputs/)')
    .argument('<workflow>', 'workflow name, as in state-machines/<workflow>.asl.json')
    .requiredOption('--input <file>', 'JSON input, as pasted into the Step Functions console')
    .exitOverride()
    .addHelpText(
      'after',
      examples([
        'eks-pia run associations --input events/inputs/associations-create-inline.json --simulate events/worlds/samples.yaml',
        'eks-pia run bootstrap-cluster --input events/eventbridge/cloudtrail-create-cluster.json --simulate events/worlds/samples.yaml',
        'eks-pia --engine remote run migrate-to-pod-identity --input events/inputs/migrate-plan.json',
      ]),
    )
    .action(async (workflow: string, flags: { input: string }, command: Command) => {
      session.inputFields = true;
      // Items that failed fail the command, whichever way the workflow was started.
      await run(command, workflow, readJsonInput(flags.input), (report, format, out) =>
        printerOf(report)(report, format, { ...out, inputFields: true }),
      );
    });

  program
    .command('demo')
    .description('run the product on the bundled simulator world (events/worlds/demo.yaml)')
    .exitOverride()
    .action(async (_flags: unknown, command: Command) => {
      session.engineOpened = true;
      await runDemo(globalsOf(command), io, (engine) => {
        session.engine = engine;
      });
    });

  registerPodIdentityAssociationCommands(program, {
    run,
  });
  registerAddonCommands(program, { run, io });
  registerMigrateCommand(program, {
    run,
  });
  registerDriftCommand(program, { run });
  return program;
}

/**
 * The printer of the command that runs the report's workflow, so `run` prints a report as that
 * command does and ends with its exit code (a failed item, cluster or drift fails it).
 */
function printerOf(report: unknown): ReportPrinter {
  if (isMigrationReport(report)) return printMigration;
  if (isFleetReport(report)) return printFleetChanges;
  if (isFleetMigrationReport(report)) return printFleetMigration;
  if (isDriftReport(report)) return printDrift;
  return printChanges;
}

function globalsOf(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

async function runAndReport(
  command: Command,
  io: CliIo,
  session: CliSession,
  workflow: string,
  input: unknown,
  print: ReportPrinter = printReport,
): Promise<void> {
  const globals = globalsOf(command);
  session.engineOpened = true;
  const progress = progressPrinter(io);
  const engine = await openEngine(globals, progress.line);
  session.engine = engine;
  try {
    // Named here, so --timeout can name it; the local engine's run records are runs/<name>/.
    const running = {
      executionName: executionName(workflow),
      stopFollowing: new AbortController(),
      endProgress: progress.end,
    };
    session.running = running;
    const output = engine.run(workflow, input, {
      executionName: running.executionName,
      signal: running.stopFollowing.signal,
    });
    // A listing, or a report over clusters, too large for the execution's output is completed
    // from the run store.
    const report = await withWholeClusterReport(
      await withStoredPages(await output.finally(progress.end)),
    );
    print(report, globals.output, io);
  } finally {
    await engine.close();
  }
}

function readJsonInput(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --input ${path}: ${asError(error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--input ${path} is not valid JSON: ${asError(error).message}`);
  }
}
