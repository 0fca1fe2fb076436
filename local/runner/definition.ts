/**
 * Reads a workflow's ASL file and fills its `${...}` substitutions the way CDK's
 * `definitionSubstitutions` does in the cloud, so the same file runs in both places.
 *
 * Convention shared with infra/: `${<TaskName>FunctionArn}` names the Lambda task whose handler is
 * `functions/<group>/<task-name>/handler.ts`, and `${<Workflow>StateMachineArn}` names the nested workflow
 * `state-machines/<workflow>.asl.json`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  fillPlaceholders,
  readWorkflowDefinition,
  taskOfPlaceholder,
  WorkflowDefinitionError,
  workflowFile,
  workflowOfPlaceholder,
} from '../../functions/core/workflow-files.ts';

export const PROJECT_ROOT = join(import.meta.dirname, '..', '..');
export const STATE_MACHINES_DIR = join(PROJECT_ROOT, 'state-machines');
export const FUNCTIONS_DIR = join(PROJECT_ROOT, 'functions');

export interface LocalAccount {
  region: string;
  account: string;
  partition?: string;
}

/** A state of any type, as far as the runner needs to look into it. */
export interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ItemsPath?: string;
  InputPath?: string | null;
  ItemProcessor?: AslDefinition;
  Iterator?: AslDefinition;
  Branches?: AslDefinition[];
  [field: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [field: string]: unknown;
}

export function functionArn(task: string, where: LocalAccount): string {
  return `arn:${where.partition ?? 'aws'}:lambda:${where.region}:${where.account}:function:eks-pia-${task}`;
}

export function stateMachineArn(workflow: string, where: LocalAccount): string {
  return `arn:${where.partition ?? 'aws'}:states:${where.region}:${where.account}:stateMachine:eks-pia-${workflow}`;
}

/** The task name of a function ARN made by `functionArn`, or undefined for any other resource. */
export function taskOfResource(resource: string): string | undefined {
  return /:function:eks-pia-([a-z0-9-]+)$/.exec(resource)?.[1];
}

export function workflowOfStateMachineArn(arn: string): string | undefined {
  return /:stateMachine:eks-pia-([a-z0-9-]+)$/.exec(arn)?.[1];
}

/**
 * Loads `state-machines/<workflow>.asl.json` with every placeholder filled: task and nested-workflow
 * ARNs from the convention, anything else from `substitutions` (an unknown one is an error, as
 * it would be at deploy time).
 */
export function loadDefinition(
  workflow: string,
  where: LocalAccount,
  substitutions: Record<string, string> = {},
  directory = STATE_MACHINES_DIR,
): AslDefinition {
  const file = workflowFile(directory, workflow);
  if (!existsSync(file))
    throw new WorkflowDefinitionError(`no workflow named "${workflow}" (expected ${file})`);
  const { text } = readWorkflowDefinition(file);
  const filled = fillPlaceholders(text, (name) => {
    const task = taskOfPlaceholder(name);
    if (task) return functionArn(task, where);
    const nested = workflowOfPlaceholder(name);
    if (nested) return stateMachineArn(nested, where);
    return substitutions[name];
  });
  if (filled.missing.length > 0) {
    throw new WorkflowDefinitionError(
      `${file} needs substitutions the run did not provide: ${filled.missing.join(', ')}`,
    );
  }
  return JSON.parse(filled.text) as AslDefinition;
}

/** Every state of a definition, including those inside Map and Parallel states, by name. */
export function allStates(definition: AslDefinition): Map<string, AslState> {
  const states = new Map<string, AslState>();
  const visit = (machine: AslDefinition) => {
    for (const [name, state] of Object.entries(machine.States)) {
      if (states.has(name)) {
        // Local overrides are keyed by state name, so a repeated name would be ambiguous.
        throw new WorkflowDefinitionError(`state name "${name}" is used twice in one workflow`);
      }
      states.set(name, state);
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) visit(processor);
      for (const branch of state.Branches ?? []) visit(branch);
    }
  };
  visit(definition);
  return states;
}

/**
 * A shipped workflow's states as written, placeholders left unfilled: enough to follow the events
 * of a deployed execution. Undefined for a workflow this checkout does not ship.
 */
export function workflowStates(
  workflow: string,
  directory = STATE_MACHINES_DIR,
): AslDefinition | undefined {
  const file = workflowFile(directory, workflow);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readWorkflowDefinition(file).text) as AslDefinition;
}
