/**
 * Where a CLI command's workflow runs: in this process against the simulator (`--simulate`), in
 * this process against the caller's AWS account (`--engine local`), or as the deployed state
 * machine (`--engine remote`).
 */
import { writeFileSync } from 'node:fs';
import { stringify as stringifyYaml } from 'yaml';
import { configureAwsClients } from '../../functions/aws/clients.ts';
import { logger } from '../../functions/aws/lambda.ts';
import { CONFIG_BUCKET_OUTPUT, STACK_NAME } from '../../infra/stack-outputs.ts';
import { runWorkflow } from '../runner/run-workflow.ts';
import { connectToSimulator } from '../runner/simulated-aws.ts';
import {
  loadWorldFile,
  putFileObject,
  startSimulator,
  type World,
  WorldFileError,
} from '../simulator/index.ts';
import { checkProfile } from './aws-access.ts';
import type { Engine, GlobalOptions } from './engine-types.ts';
import { configuredRegion, NO_REGION } from './region.ts';
import { openRemoteEngine, readDeployedStack } from './remote-engine.ts';
import { UsageError } from './usage-error.ts';

/** Account used for the local ARNs of tasks and state machines when no simulator names one. */
const LOCAL_ACCOUNT = '000000000000';

export async function openEngine(
  options: GlobalOptions,
  log: (line: string) => void,
): Promise<Engine> {
  if (options.profile !== undefined) {
    if (options.simulate) {
      throw new UsageError(
        '--profile chooses AWS credentials; a simulated run (--simulate) uses none',
      );
    }
    // The SDK reads AWS_PROFILE for credentials and region, in every client this process builds.
    process.env.AWS_PROFILE = options.profile;
  }
  // A profile the shared files lack would surface as missing credentials, or a missing region.
  if (!options.simulate)
    await checkProfile(options.profile !== undefined ? '--profile' : 'AWS_PROFILE');
  if (options.engine === 'remote') {
    if (options.simulate || options.stateOut || options.callsOut) {
      throw new UsageError(
        '--simulate, --state-out and --calls-out run the workflow in this process; they do not combine with --engine remote',
      );
    }
    return openRemoteEngine(
      {
        region: options.region,
        stateMachineArn: options.stateMachineArn,
        stackName: options.stackName,
        pollIntervalMs: options.pollIntervalMs,
      },
      log,
    );
  }
  if (options.stateMachineArn) {
    throw new UsageError(
      '--state-machine-arn chooses the deployed state machine; add --engine remote',
    );
  }
  if (options.stackName && options.simulate) {
    throw new UsageError(
      '--stack-name names the deployed stack; a simulated run (--simulate) has its own config bucket',
    );
  }
  if ((options.stateOut || options.callsOut) && !options.simulate) {
    throw new UsageError(
      '--state-out and --calls-out describe a simulated run; add --simulate WORLD',
    );
  }
  if (options.s3Object?.length && !options.simulate) {
    throw new UsageError(
      '--s3-object seeds the simulated world; add --simulate WORLD (on AWS, upload with `aws s3 cp`)',
    );
  }
  // Task logs are structured JSON for CloudWatch; on a terminal the progress lines say enough.
  // The logger was built when its module loaded, so its level is set on it, not in the environment.
  logger.holdLogLevel(options.verbose ? undefined : 'SILENT');
  // Metrics are EMF lines for CloudWatch; here they would only mix into the command's output.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  if (options.simulate) return openSimulated(options, options.simulate, log);

  const region = options.region ?? (await configuredRegion());
  if (!region) throw new UsageError(NO_REGION);
  process.env.AWS_REGION = region;
  configureAwsClients({ region });
  return {
    region,
    simulator: undefined,
    run: async (workflow, input, hooks) => {
      // The tasks keep their run records in the deployed stack's config bucket, as in the cloud.
      process.env.CONFIG_BUCKET ??= await deployedConfigBucket(
        options.stackName ?? STACK_NAME,
        region,
      );
      return runWorkflow(workflow, input, {
        region,
        account: LOCAL_ACCOUNT,
        onProgress: log,
        ...hooks,
      });
    },
    record: () => undefined,
    abandoned: (name) =>
      inProcessRunAbandoned(
        name,
        `what it changed so far stays${
          process.env.CONFIG_BUCKET === undefined
            ? ''
            : ` (its run records: s3://${process.env.CONFIG_BUCKET}/runs/${name}/)`
        }, and rerunning the command finishes the rest`,
      ),
    close: async () => undefined,
  };
}

/** A run of this process (the local engine, on AWS or simulated) ends with the command. */
function inProcessRunAbandoned(name: string, outcome: string): string {
  return `(run ${name}), which ran in this process and stops with it: ${outcome}`;
}

async function openSimulated(
  options: GlobalOptions,
  worldPath: string,
  log: (line: string) => void,
): Promise<Engine> {
  const world = loadWorldFile(worldPath);
  seedObjects(world, options.s3Object ?? []);
  if (options.region && options.region !== world.region) {
    throw new UsageError(
      `--region ${options.region} differs from the simulated world's region ${world.region}`,
    );
  }
  const simulator = await startSimulator(
    world,
    options.verbose ? { log: (line) => log(`  [sim] ${line}`) } : {},
  );
  const disconnect = connectToSimulator(simulator);
  const record = () => {
    if (options.stateOut) writeDocument(options.stateOut, simulator.dump());
    if (options.callsOut) writeDocument(options.callsOut, simulator.calls);
  };
  return {
    region: world.region,
    simulator,
    run: (workflow, input, hooks) =>
      runWorkflow(workflow, input, {
        region: world.region,
        account: world.account,
        partition: world.partition,
        shortenWaits: true,
        onProgress: log,
        ...hooks,
      }),
    record,
    abandoned: (name) =>
      inProcessRunAbandoned(
        name,
        options.stateOut
          ? `what it changed so far is in ${options.stateOut} (--state-out), and rerunning the command with --simulate ${options.stateOut} finishes the rest`
          : 'the simulated world it changed is not kept (--state-out keeps it)',
      ),
    close: async () => {
      try {
        record();
      } finally {
        disconnect();
        await simulator.close();
      }
    },
  };
}

/** `--s3-object s3://BUCKET/KEY=FILE`: the object's content is the file's. */
function seedObjects(world: World, specs: readonly string[]): void {
  for (const spec of specs) {
    const equals = spec.indexOf('=');
    if (!spec.startsWith('s3://') || equals < 0) {
      throw new UsageError(
        `invalid argument "${spec}" for "--s3-object" flag: write s3://BUCKET/KEY=FILE, e.g. s3://eks-pia-configs-111122223333/apply/demo.yaml=events/configs/apply-team-payments.yaml`,
      );
    }
    try {
      putFileObject(world, spec.slice(0, equals), spec.slice(equals + 1), '--s3-object');
    } catch (error) {
      if (error instanceof WorldFileError) throw new UsageError(error.message);
      throw error;
    }
  }
}

/** The config bucket of the deployed stack, from its `ConfigBucketName` output. */
async function deployedConfigBucket(stackName: string, region: string): Promise<string> {
  const { outputs, unsettledStatus } = await readDeployedStack(stackName, region);
  const bucket = outputs.get(CONFIG_BUCKET_OUTPUT);
  if (bucket !== undefined) return bucket;
  throw new UsageError(
    `stack ${stackName} in ${region} has no output ${CONFIG_BUCKET_OUTPUT}${unsettledStatus ? ` (stack status: ${unsettledStatus})` : ''}: ` +
      'deploy it with `npx cdk deploy`, pass --stack-name if it was deployed under another name, or set CONFIG_BUCKET',
  );
}

/**
 * A command refused before it reached the simulator (bad flags, bad config) still answers
 * `--calls-out` (no call was served) and `--state-out` (the world as given), so whoever asked can
 * check that nothing changed.
 */
export function recordUntouchedSimulation(options: GlobalOptions): void {
  if (!options.simulate) return;
  if (options.callsOut) writeDocument(options.callsOut, []);
  if (!options.stateOut) return;
  try {
    const world = loadWorldFile(options.simulate);
    seedObjects(world, options.s3Object ?? []);
    writeDocument(options.stateOut, world);
  } catch (error) {
    // An unreadable world or object is what the command already failed on: no state to write.
    if (!(error instanceof WorldFileError || error instanceof UsageError)) throw error;
  }
}

function writeDocument(path: string, value: unknown): void {
  const text = /\.ya?ml$/i.test(path)
    ? stringifyYaml(value)
    : `${JSON.stringify(value, null, 2)}\n`;
  writeFileSync(path, text);
}
