/**
 * Simulated CloudFormation, read side (AWS Query protocol, version 2010-05-15): the stacks eksctl
 * leaves behind (one IAM role each for `iamserviceaccount` stacks), so the product can tell roles
 * that CloudFormation owns from roles it may edit.
 */
import { createHash } from 'node:crypto';
import { queryResult, SimError, type SimRequest, type XmlValue } from '../protocol.ts';
import type { ServiceContext, ServiceModule } from '../server.ts';
import type { SimulatorState } from '../state.ts';
import type { World } from '../world.ts';
import {
  paginate,
  parseQueryCall,
  type QueryParams,
  unknownAction,
  validationError,
} from './query.ts';

const version = '2010-05-15';

/** CloudFormation pages these lists itself; callers cannot choose a page size. */
export const stackPageSize = 100;

/** World stacks carry no timestamps; every one reads as created at this instant. */
const stackCreationTime = '2024-01-01T00:00:00Z';

const stackStatuses = new Set([
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'CREATE_COMPLETE',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'DELETE_COMPLETE',
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_COMPLETE',
  'UPDATE_FAILED',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE',
  'REVIEW_IN_PROGRESS',
  'IMPORT_IN_PROGRESS',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_IN_PROGRESS',
  'IMPORT_ROLLBACK_FAILED',
  'IMPORT_ROLLBACK_COMPLETE',
]);

type WorldStack = World['stacks'][number];
type Run = (state: SimulatorState) => XmlValue;

export const cloudFormationService: ServiceModule = {
  service: 'cloudformation',
  resolve(request: SimRequest, context: ServiceContext) {
    const { action, params } = parseQueryCall(request, version);
    // Own keys only: an Action such as `constructor` must not reach Object.prototype.
    const parse = Object.hasOwn(actions, action) ? actions[action] : undefined;
    if (!parse) throw unknownAction(action, version);
    const run = parse(params);
    return {
      operation: action,
      mutating: false,
      run: () => queryResult('cloudformation', action, run(context.state), context.requestId),
    };
  },
};

const actions: Record<string, (params: QueryParams) => Run> = {
  ListStacks(params) {
    const filter = params.list('StackStatusFilter');
    for (const status of filter) {
      if (!stackStatuses.has(status)) {
        throw validationError(
          'StackStatusFilter',
          `[${filter.join(', ')}]`,
          'Member must satisfy constraint: [Member must satisfy enum value set]',
        );
      }
    }
    const token = params.string('NextToken');
    return (state) => {
      const stacks = state.world.stacks.filter(
        (stack) => filter.length === 0 || filter.includes(stack.status),
      );
      const page = paginate(stacks, (stack) => stack.name, token, stackPageSize, invalidToken);
      return {
        StackSummaries: page.items.map((stack) => ({
          StackId: stackId(state, stack),
          StackName: stack.name,
          CreationTime: stackCreationTime,
          DeletionTime: stack.status === 'DELETE_COMPLETE' ? stackCreationTime : undefined,
          StackStatus: stack.status,
          DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
        })),
        NextToken: page.next,
      };
    };
  },

  DescribeStacks(params) {
    const name = params.string('StackName');
    const token = params.string('NextToken');
    return (state) => {
      const stacks =
        name === undefined ? state.world.stacks.filter(isLive) : [requireStack(state, name)];
      const page = paginate(stacks, (stack) => stack.name, token, stackPageSize, invalidToken);
      return { Stacks: page.items.map((stack) => stackXml(state, stack)), NextToken: page.next };
    };
  },

  ListStackResources(params) {
    const name = params.required('StackName');
    const token = params.string('NextToken');
    return (state) => {
      const stack = requireStack(state, name);
      const resources = stack.roles.map((role, index) => ({ role, index }));
      // Keyed by position so pages follow the logical ids' numbering (Role1, Role2, ... Role10).
      const page = paginate(
        resources,
        ({ index }) => String(index).padStart(8, '0'),
        token,
        stackPageSize,
        invalidToken,
      );
      const status = stack.status === 'DELETE_COMPLETE' ? 'DELETE_COMPLETE' : 'CREATE_COMPLETE';
      return {
        StackResourceSummaries: page.items.map(({ role, index }) => ({
          LogicalResourceId: `Role${index + 1}`,
          PhysicalResourceId: role,
          ResourceType: 'AWS::IAM::Role',
          LastUpdatedTimestamp: stackCreationTime,
          ResourceStatus: status,
          DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
        })),
        NextToken: page.next,
      };
    };
  },
};

function isLive(stack: WorldStack): boolean {
  return stack.status !== 'DELETE_COMPLETE';
}

/** By name only live stacks are found; by stack id also deleted ones, as CloudFormation does. */
function requireStack(state: SimulatorState, nameOrId: string): WorldStack {
  const stack = nameOrId.startsWith('arn:')
    ? state.world.stacks.find((candidate) => stackId(state, candidate) === nameOrId)
    : state.world.stacks.find((candidate) => candidate.name === nameOrId && isLive(candidate));
  if (!stack) throw new SimError('ValidationError', `Stack with id ${nameOrId} does not exist`);
  return stack;
}

/** Stable per stack name, so ids handed out in one call match the next. */
function stackId(state: SimulatorState, stack: WorldStack): string {
  const hex = createHash('sha256').update(`stack/${stack.name}`).digest('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return `arn:${state.partition}:cloudformation:${state.region}:${state.account}:stack/${stack.name}/${uuid}`;
}

function stackXml(state: SimulatorState, stack: WorldStack): XmlValue {
  return {
    StackId: stackId(state, stack),
    StackName: stack.name,
    CreationTime: stackCreationTime,
    StackStatus: stack.status,
    DisableRollback: false,
    NotificationARNs: [],
    // Stacks that create IAM roles can only be deployed with this acknowledgement.
    Capabilities: stack.roles.length > 0 ? ['CAPABILITY_IAM'] : [],
    Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({
      OutputKey,
      OutputValue,
    })),
    Tags: Object.entries(stack.tags).map(([Key, Value]) => ({ Key, Value })),
    EnableTerminationProtection: false,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}

function invalidToken(): SimError {
  return new SimError('ValidationError', 'Invalid NextToken');
}
