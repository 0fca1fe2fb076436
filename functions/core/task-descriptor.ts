import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fullWorstCase, type StatedWorstCase, type WorstCase } from './timeout-budget.ts';
import { listTasks, taskDir, WorkflowDefinitionError } from './workflow-files.ts';
import * as z from './zod.ts';

/**
 * What infra, the local runner and the README's permission tables know about a task beyond its
 * input and output, as readTaskDescriptor and loadTaskDescriptor return it from the task's
 * `functions/<group>/<task>/contract.ts` (which exports it as a ContractDescriptor).
 */
export interface TaskDescriptor {
  /**
   * Every AWS API call the task's code can make, spelled as the IAM action it needs
   * (`eks:DescribeCluster`, `s3:ListBucket` for ListObjectsV2), `[]` for none. A test holds it
   * to the SDK commands the task's bundle holds and to what its grants allow.
   */
  readonly awsCalls: readonly string[];
  /**
   * The permission sets its function's role gets, by name (`run-documents:write`, ...): each is
   * defined once in infra/grants.ts, which says what it allows and why; `[]` for none.
   */
  readonly grants: readonly string[];
  /** The task's Lambda timeout and the worst case it was chosen from (functions/core/timeout-budget.ts). */
  readonly timeout: TaskTimeout;
  /**
   * The PascalCase name of the role the task shares with other tasks. The task that creates an
   * EKS access entry creates it for the role it runs as (functions/aws/identity.ts); the tasks
   * that then call the Kubernetes API must run as that role for the entry to be theirs.
   * Absent: the task has a role of its own.
   */
  readonly sharedRole?: string;
  /**
   * The task calls a cluster's Kubernetes API (functions/aws/kubernetes.ts), so it runs in the
   * stack's VPC when one is given, to reach private cluster endpoints. Absent: false.
   */
  readonly kubernetesApi?: boolean;
}

/** A task's Lambda timeout and the worst case it was chosen from. */
export interface TaskTimeout {
  readonly timeoutSeconds: number;
  readonly worstCase: WorstCase;
}

/**
 * A task's descriptor as its contract writes it, `export const descriptor: ContractDescriptor`:
 * the timeout beside its worst case, and of the worst case only what differs from most tasks'
 * (StatedWorstCase). The readers below complete it into a TaskDescriptor, so that a contract can
 * write it as plain data: the handler imports the contract, and esbuild leaves out of the Lambda
 * bundle the plain data it never reads (the contract imports this module for its type only).
 */
export interface ContractDescriptor extends Omit<TaskDescriptor, 'awsCalls' | 'timeout'> {
  /**
   * TaskDescriptor's `awsCalls`, where the calls of code several tasks run can stand as one list
   * (functions/core/shared-descriptors.ts); the readers list them flat, sorted.
   */
  readonly awsCalls: readonly (string | readonly string[])[];
  readonly timeoutSeconds: TaskTimeout['timeoutSeconds'];
  readonly worstCase: StatedWorstCase;
}

/** Lambda's own ceiling for a function's timeout. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

const CONTRACT_FILE = 'contract.ts';

/** No entry listed twice; the message names the first repeated one. */
const distinct = z.superRefine((entries: readonly string[], context) => {
  const repeated = entries.find((entry, index) => entries.indexOf(entry) !== index);
  if (repeated !== undefined) {
    context.addIssue({ code: 'custom', message: `${repeated} is listed twice` });
  }
});

const contractDescriptorSchema: z.ZodMiniType<TaskDescriptor, ContractDescriptor> = z.pipe(
  z.strictObject({
    awsCalls: z.pipe(
      z.pipe(
        z.array(z.union([z.string(), z.array(z.string())])),
        z.transform((calls) => calls.flat().sort()),
      ),
      z
        .array(
          z
            .string()
            .check(
              z.regex(
                /^[a-z0-9-]+:[A-Z][A-Za-z0-9]*$/,
                'an IAM action, service prefix and API name (eks:DescribeCluster)',
              ),
            ),
        )
        .check(distinct),
    ),
    grants: z
      .array(
        z
          .string()
          .check(
            z.regex(
              /^[a-z][a-z0-9-]*(:[a-z][a-z0-9-]*)?$/,
              'a grant name of infra/grants.ts, kebab-case with an optional :variant (run-documents:write)',
            ),
          ),
      )
      .check(distinct),
    timeoutSeconds: z.int().check(z.minimum(1), z.maximum(LAMBDA_MAX_TIMEOUT_SECONDS)),
    worstCase: z.strictObject({
      sequentialCalls: z.int().check(z.minimum(0)),
      throttledCalls: z.optional(z.int().check(z.minimum(0))),
      waitSeconds: z.optional(z.number().check(z.minimum(0))),
      why: z.string().check(z.minLength(1)),
    }),
    sharedRole: z.optional(
      z
        .string()
        .check(z.regex(/^[A-Z][A-Za-z0-9]*$/, 'a PascalCase name (it names the role construct)')),
    ),
    kubernetesApi: z.optional(z.boolean()),
  }),
  z.transform(({ awsCalls, grants, timeoutSeconds, worstCase, ...placement }) => ({
    awsCalls,
    grants,
    timeout: { timeoutSeconds, worstCase: fullWorstCase(worstCase) },
    ...placement,
  })),
);

/** Path of a task's contract, `<functionsDir>/<group>/<task>/contract.ts`; throws when the task is absent. */
export function contractFile(functionsDir: string, task: string): string {
  return path.join(taskDir(functionsDir, task), CONTRACT_FILE);
}

function existingContractFile(functionsDir: string, task: string): string {
  const file = contractFile(functionsDir, task);
  if (!existsSync(file)) {
    throw new WorkflowDefinitionError(
      `${file} is missing: every task's contract exports its descriptor (the AWS calls it makes ` +
        'and the grants that allow them, its Lambda timeout and the worst case it covers, its ' +
        'shared role, whether it calls the Kubernetes API)',
    );
  }
  return file;
}

function checkedDescriptor(file: string, contract: unknown): TaskDescriptor {
  const descriptor: unknown =
    typeof contract === 'object' && contract !== null && 'descriptor' in contract
      ? contract.descriptor
      : undefined;
  if (descriptor === undefined) {
    throw new WorkflowDefinitionError(
      `${file} exports no descriptor: add \`export const descriptor: ContractDescriptor = {...}\` ` +
        '(functions/core/task-descriptor.ts)',
    );
  }
  const result = contractDescriptorSchema.safeParse(descriptor);
  if (!result.success) {
    throw new WorkflowDefinitionError(`${file}: descriptor: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/**
 * A task's descriptor, read synchronously, for infra (a CDK construct tree is built in one
 * synchronous pass). The contract is required through the CommonJS loader, which compiles
 * TypeScript wherever tsx is registered for it (`tsx`, `node --import tsx`: the CDK app and the
 * tests); code that may run with tsx's ESM hooks only (the CLI) uses loadTaskDescriptor.
 */
export function readTaskDescriptor(functionsDir: string, task: string): TaskDescriptor {
  const file = existingContractFile(functionsDir, task);
  let contract: unknown;
  try {
    contract = createRequire(import.meta.url)(file);
  } catch (error) {
    throw new WorkflowDefinitionError(
      `${file} could not be loaded (run under tsx, which compiles TypeScript for require)`,
      { cause: error },
    );
  }
  return checkedDescriptor(file, contract);
}

/** A task's descriptor, imported as ESM (the local runner, which loads the handlers alike). */
export async function loadTaskDescriptor(
  functionsDir: string,
  task: string,
): Promise<TaskDescriptor> {
  const file = existingContractFile(functionsDir, task);
  return checkedDescriptor(file, await import(pathToFileURL(file).href));
}

/**
 * The tasks under a functions folder that share a role, by role name (descriptor `sharedRole`),
 * each role's tasks sorted.
 */
export function sharedTaskRoles(functionsDir: string): Record<string, string[]> {
  const roles: Record<string, string[]> = {};
  for (const task of listTasks(functionsDir).keys()) {
    const { sharedRole } = readTaskDescriptor(functionsDir, task);
    if (sharedRole !== undefined) roles[sharedRole] = [...(roles[sharedRole] ?? []), task];
  }
  return roles;
}

/** The tasks under a functions folder that call a cluster's Kubernetes API, sorted. */
export function kubernetesApiTasks(functionsDir: string): string[] {
  return [...listTasks(functionsDir).keys()].filter(
    (task) => readTaskDescriptor(functionsDir, task).kubernetesApi === true,
  );
}
