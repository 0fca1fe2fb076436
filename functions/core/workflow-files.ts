import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NamedError } from './errors.ts';

/**
 * The contract between the ASL files, the infrastructure and the local runner (all three read it
 * here, so neither infra/ nor local/ depends on the other for it).
 *
 * A workflow is `state-machines/<workflow>.asl.json` (kebab-case name). Inside it, a Lambda task
 * is the placeholder `${<Task>FunctionArn}` and a nested workflow is `${<Workflow>StateMachineArn}`,
 * both PascalCase; the task's handler is `functions/<group>/<task>/handler.ts` (kebab-case folder,
 * in the group of the workflow that uses it, or `shared/`). Any
 * other `${Name}` must be supplied as an extra substitution. The same placeholders are filled by
 * CloudFormation (`DefinitionSubstitutions`) in the cloud and by the local runner on a laptop.
 */

/** A workflow file, or what it references, cannot be turned into infrastructure. */
export class WorkflowDefinitionError extends NamedError {
  override readonly name = 'WorkflowDefinitionError';
}

/** The Resource of a Task state that runs a nested workflow and waits for it. */
export const NESTED_RUN_RESOURCE = /^arn:aws[a-z-]*:states:::states:startExecution\.sync:2$/;

const WORKFLOW_FILE_SUFFIX = '.asl.json';
const KEBAB_CASE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
// Same syntax CloudFormation accepts for DefinitionSubstitutions keys.
const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;
const FUNCTION_ARN_PLACEHOLDER = /^([A-Z][A-Za-z0-9]*)FunctionArn$/;
const STATE_MACHINE_ARN_PLACEHOLDER = /^([A-Z][A-Za-z0-9]*)StateMachineArn$/;

/** What one ASL file references, by the names used for folders and files. */
export interface WorkflowReferences {
  /** Lambda tasks as kebab-case folder names under `functions/<group>/`, sorted, e.g. `check-addon`. */
  readonly tasks: readonly string[];
  /** Nested workflows as kebab-case file names under `state-machines/`, sorted. */
  readonly nestedWorkflows: readonly string[];
  /** Every distinct `${...}` placeholder name in the definition, sorted. */
  readonly placeholders: readonly string[];
}

/** One workflow file, read and scanned. */
export interface WorkflowDefinition extends WorkflowReferences {
  /** Kebab-case workflow name: the file name without `.asl.json`. */
  readonly workflow: string;
  readonly file: string;
  /** The definition as written, placeholders unfilled. */
  readonly text: string;
  /** The definition parsed. */
  readonly asl: Readonly<Record<string, unknown>>;
}

/** `CheckAddon` → `check-addon`: every capital letter starts a word. */
export function kebabCase(pascalCaseName: string): string {
  return pascalCaseName.replace(/[A-Z]/g, (letter, offset: number) =>
    offset === 0 ? letter.toLowerCase() : `-${letter.toLowerCase()}`,
  );
}

/** `check-addon` → `CheckAddon`. */
export function pascalCase(kebabCaseName: string): string {
  return kebabCaseName
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** The placeholder a workflow uses for a task's function ARN: `check-addon` → `CheckAddonFunctionArn`. */
export function functionArnPlaceholder(task: string): string {
  return `${pascalCase(task)}FunctionArn`;
}

/** The placeholder a workflow uses for a nested workflow: `associations` → `AssociationsStateMachineArn`. */
export function stateMachineArnPlaceholder(workflow: string): string {
  return `${pascalCase(workflow)}StateMachineArn`;
}

/**
 * The groups tasks live in, `functions/<group>/<task>/`: each workflow's own tasks go in its
 * group, and a task that several workflows use goes in `shared/`. The lookup below does not need
 * this table (it finds a task in any group); the layout test checks the real tree against it.
 */
export const TASK_GROUP_OF_WORKFLOW: Readonly<Record<string, string>> = {
  associations: 'associations',
  'migrate-to-pod-identity': 'migration',
  'bootstrap-cluster': 'bootstrap',
  'ensure-addon': 'addons',
  'fleet-associations': 'fleet',
  'fleet-migration': 'fleet',
  'drift-check': 'drift',
};

/** The group of the tasks that more than one workflow uses. */
export const SHARED_TASK_GROUP = 'shared';

const HANDLER_FILE = 'handler.ts';

/**
 * Every task under a functions folder, by name, with its folder: a task is a folder
 * `<functionsDir>/<group>/<task>/` holding a `handler.ts`. Task names are unique across groups
 * (the ASL names a task without its group), so a name found in two groups is an error.
 */
export function listTasks(functionsDir: string): Map<string, string> {
  const folders = new Map<string, string>();
  if (!existsSync(functionsDir)) return folders;
  for (const group of readdirSync(functionsDir, { withFileTypes: true })) {
    if (!group.isDirectory()) continue;
    const groupDir = path.join(functionsDir, group.name);
    for (const task of readdirSync(groupDir, { withFileTypes: true })) {
      const taskDir = path.join(groupDir, task.name);
      if (!task.isDirectory() || !existsSync(path.join(taskDir, HANDLER_FILE))) continue;
      const other = folders.get(task.name);
      if (other !== undefined) {
        throw new WorkflowDefinitionError(
          `task ${task.name} is in two groups, ${other} and ${taskDir}: ` +
            'a task name must be unique under functions/, since the workflows name tasks without their group',
        );
      }
      folders.set(task.name, taskDir);
    }
  }
  return new Map([...folders].sort(([a], [b]) => a.localeCompare(b)));
}

/** The folder of a task (`<functionsDir>/<group>/<task>`), or undefined when no group has it. */
export function findTaskDir(functionsDir: string, task: string): string | undefined {
  return listTasks(functionsDir).get(task);
}

/** Where a task's handler is looked for, for messages: any group's `<task>/handler.ts`. */
export function handlerPattern(functionsDir: string, task: string): string {
  return path.join(functionsDir, '*', task, HANDLER_FILE);
}

/** The folder of a task; throws when no group under functionsDir has it. */
export function taskDir(functionsDir: string, task: string): string {
  const dir = findTaskDir(functionsDir, task);
  if (dir === undefined) {
    throw new WorkflowDefinitionError(`${handlerPattern(functionsDir, task)} does not exist`);
  }
  return dir;
}

/** Path of a task's handler module, `<functionsDir>/<group>/<task>/handler.ts`; throws when absent. */
export function handlerEntry(functionsDir: string, task: string): string {
  return path.join(taskDir(functionsDir, task), HANDLER_FILE);
}

/** Path of a workflow's definition file. */
export function workflowFile(stateMachinesDir: string, workflow: string): string {
  return path.join(stateMachinesDir, `${workflow}${WORKFLOW_FILE_SUFFIX}`);
}

/** The task a placeholder names (`CheckAddonFunctionArn` → `check-addon`), if it names one. */
export function taskOfPlaceholder(name: string): string | undefined {
  const task = FUNCTION_ARN_PLACEHOLDER.exec(name)?.[1];
  return task === undefined ? undefined : kebabCase(task);
}

/** The nested workflow a placeholder names (`EnsureAddonStateMachineArn` → `ensure-addon`), if any. */
export function workflowOfPlaceholder(name: string): string | undefined {
  const workflow = STATE_MACHINE_ARN_PLACEHOLDER.exec(name)?.[1];
  return workflow === undefined ? undefined : kebabCase(workflow);
}

/**
 * Replaces every placeholder with what `resolve` gives for its name, as CloudFormation's
 * DefinitionSubstitutions do; names `resolve` leaves undefined are returned as missing.
 */
export function fillPlaceholders(
  definition: string,
  resolve: (name: string) => string | undefined,
): { text: string; missing: string[] } {
  const missing = new Set<string>();
  const text = definition.replace(PLACEHOLDER, (placeholder, name: string) => {
    const value = resolve(name);
    if (value === undefined) missing.add(name);
    return value ?? placeholder;
  });
  return { text, missing: [...missing].sort() };
}

/** Lists the task and nested-workflow placeholders in an ASL definition. */
export function scanWorkflowReferences(definition: string): WorkflowReferences {
  const placeholders = new Set<string>();
  const tasks = new Set<string>();
  const nestedWorkflows = new Set<string>();
  for (const [, name] of definition.matchAll(PLACEHOLDER)) {
    if (name === undefined) continue;
    placeholders.add(name);
    const task = taskOfPlaceholder(name);
    if (task !== undefined) tasks.add(task);
    const nested = workflowOfPlaceholder(name);
    if (nested !== undefined) nestedWorkflows.add(nested);
  }
  return {
    tasks: [...tasks].sort(),
    nestedWorkflows: [...nestedWorkflows].sort(),
    placeholders: [...placeholders].sort(),
  };
}

/**
 * The environment variable that names, on each task's function, the workflows whose definitions
 * invoke it (comma-separated), so its log lines can say which workflow they belong to: Step
 * Functions passes a task nothing but its payload.
 */
export const TASK_WORKFLOWS_VARIABLE = 'TASK_WORKFLOWS';

/** Each task referenced in the folder's workflows, with the workflows that reference it (sorted). */
export function workflowsByTask(stateMachinesDir: string): Map<string, string[]> {
  const byTask = new Map<string, string[]>();
  for (const workflow of listWorkflows(stateMachinesDir)) {
    const { tasks } = readWorkflowDefinition(workflowFile(stateMachinesDir, workflow));
    for (const task of tasks) byTask.set(task, [...(byTask.get(task) ?? []), workflow]);
  }
  return byTask;
}

/** Names of the workflows in a folder (kebab-case, sorted); none when the folder does not exist. */
export function listWorkflows(stateMachinesDir: string): string[] {
  if (!existsSync(stateMachinesDir)) return [];
  return readdirSync(stateMachinesDir)
    .filter((fileName) => fileName.endsWith(WORKFLOW_FILE_SUFFIX))
    .map((fileName) => fileName.slice(0, -WORKFLOW_FILE_SUFFIX.length))
    .sort();
}

/** Reads a workflow file, checks it is JSON with a kebab-case name, and scans its references. */
export function readWorkflowDefinition(file: string): WorkflowDefinition {
  const fileName = path.basename(file);
  if (!fileName.endsWith(WORKFLOW_FILE_SUFFIX)) {
    throw new WorkflowDefinitionError(
      `${file}: workflow files are named <workflow>${WORKFLOW_FILE_SUFFIX}`,
    );
  }
  const workflow = fileName.slice(0, -WORKFLOW_FILE_SUFFIX.length);
  if (!KEBAB_CASE.test(workflow)) {
    throw new WorkflowDefinitionError(
      `${file}: workflow names must be kebab-case (for example migrate-to-pod-identity), ` +
        `because a nested workflow is found from its \${<PascalCase>StateMachineArn} placeholder`,
    );
  }
  if (!existsSync(file)) {
    throw new WorkflowDefinitionError(`${file} does not exist`);
  }
  const text = readFileSync(file, 'utf8');
  let asl: unknown;
  try {
    asl = JSON.parse(text);
  } catch (error) {
    throw new WorkflowDefinitionError(`${file} is not valid JSON`, { cause: error });
  }
  if (typeof asl !== 'object' || asl === null || Array.isArray(asl)) {
    throw new WorkflowDefinitionError(`${file} must hold one JSON object (StartAt, States, ...)`);
  }
  return {
    workflow,
    file,
    text,
    asl: asl as Record<string, unknown>,
    ...scanWorkflowReferences(text),
  };
}
