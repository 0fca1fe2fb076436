/**
 * Simulated CloudFormation (AWS Query protocol, version 2010-05-15): the stacks eksctl leaves
 * behind (one IAM role each), their templates, change sets that update them and stack deletion.
 *
 * Kept as CloudFormation behaves where callers trip: a stack in an `*_IN_PROGRESS` state cannot be
 * changed, a change set without changes fails with CloudFormation's reason, IAM resources need
 * the capability acknowledgement, operations settle only after several describe calls, an
 * update that fails rolls the stack back (its roles untouched) with the reason, and a stack with
 * termination protection cannot be deleted. An executed update writes the template's trust
 * policy and managed policies to the stack's roles, checked as IAM checks them.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { SimError, type XmlValue } from '../protocol.ts';
import type { SimulatorState } from '../state.ts';
import type { World } from '../world.ts';
import { checkPolicyArn, maxTagsPerRole, recordTrustWrite, trustPolicy } from './iam.ts';
import { paginate, type QueryAction, queryService, validationError } from './query.ts';
import { isRecord, propertiesOf, roleLogicalIds, type Template } from './template-resources.ts';

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

/** Statuses from which a stack can be updated or deleted (no operation running). */
const stableStatuses = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_COMPLETE',
]);

const noChangesReason =
  "The submitted information didn't contain changes. Submit different information to create a change set.";

interface ChangeSet {
  id: string;
  name: string;
  stackName: string;
  description?: string | undefined;
  template: Template;
  tags: Record<string, string>;
  capabilities: string[];
  changed: string[];
  createdAt: string;
}

/** An update or delete under way; settles after `stackDescribesUntilSettled` describes. */
interface Operation {
  kind: 'update' | 'delete';
  template?: Template;
  tags?: Record<string, string>;
  describes: number;
}

/** Change sets and running operations: transient, so kept beside the state and not dumped. */
interface CloudFormationRuntime {
  changeSets: Map<string, ChangeSet>;
  operations: Map<string, Operation>;
}

const runtimes = new WeakMap<SimulatorState, CloudFormationRuntime>();

function runtimeOf(state: SimulatorState): CloudFormationRuntime {
  let runtime = runtimes.get(state);
  if (!runtime) {
    runtime = { changeSets: new Map(), operations: new Map() };
    runtimes.set(state, runtime);
  }
  return runtime;
}

const actions: Record<string, QueryAction> = {
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
      for (const stack of stacks) advance(state, stack);
      const page = paginate(stacks, (stack) => stack.name, token, stackPageSize, invalidToken);
      return { Stacks: page.items.map((stack) => stackXml(state, stack)), NextToken: page.next };
    };
  },

  ListStackResources(params) {
    const name = params.required('StackName');
    const token = params.string('NextToken');
    return (state) => {
      const stack = requireStack(state, name);
      const logicalIds = roleLogicalIds(templateOf(stack));
      const resources = stack.roles.map((role, index) => ({
        role,
        index,
        logicalId: logicalIds[index] ?? `Role${index + 1}`,
      }));
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
        StackResourceSummaries: page.items.map(({ role, logicalId }) => ({
          LogicalResourceId: logicalId,
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

  GetTemplate(params) {
    const name = params.required('StackName');
    const stage = params.string('TemplateStage') ?? 'Original';
    if (stage !== 'Original' && stage !== 'Processed') {
      throw validationError(
        'TemplateStage',
        stage,
        'Member must satisfy enum value set: [Original, Processed]',
      );
    }
    return (state) => {
      const stack = requireStack(state, name);
      return {
        TemplateBody: JSON.stringify(templateOf(stack), null, 2),
        StagesAvailable: ['Original', 'Processed'],
      };
    };
  },

  CreateChangeSet(params) {
    const stackName = params.required('StackName');
    const changeSetName = params.required('ChangeSetName');
    if (!/^[a-zA-Z][-a-zA-Z0-9]*$/.test(changeSetName) || changeSetName.length > 128) {
      throw validationError(
        'ChangeSetName',
        changeSetName,
        'Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*',
      );
    }
    const type = params.string('ChangeSetType') ?? 'UPDATE';
    if (type !== 'UPDATE') {
      throw new SimError(
        'ValidationError',
        `the simulator creates change sets of type UPDATE only, not ${type}`,
      );
    }
    const body = params.string('TemplateBody');
    const usePrevious = params.string('UsePreviousTemplate') === 'true';
    if (body === undefined && !usePrevious) {
      throw new SimError(
        'ValidationError',
        'Either Template URL or Template Body must be specified.',
      );
    }
    const parsed = body === undefined ? undefined : parseTemplate(body);
    const capabilities = params.list('Capabilities');
    const tags = params.tags('Tags');
    const description = params.string('Description');
    return (state) => {
      const stack = requireStack(state, stackName);
      advance(state, stack);
      requireStable(stack);
      const template = parsed ?? structuredClone(templateOf(stack));
      const roleIds = roleLogicalIds(template);
      if (roleIds.length !== stack.roles.length) {
        throw new SimError(
          'ValidationError',
          `the simulator updates the roles a stack has; this template has ${roleIds.length} AWS::IAM::Role resource(s) where stack ${stack.name} has ${stack.roles.length}`,
        );
      }
      const needed = requiredCapability(template);
      if (needed !== undefined && !capabilities.includes(needed)) {
        if (!(needed === 'CAPABILITY_IAM' && capabilities.includes('CAPABILITY_NAMED_IAM'))) {
          throw new SimError(
            'InsufficientCapabilitiesException',
            `Requires capabilities : [${needed}]`,
          );
        }
      }
      const runtime = runtimeOf(state);
      if (
        [...runtime.changeSets.values()].some(
          (candidate) => candidate.stackName === stack.name && candidate.name === changeSetName,
        )
      ) {
        throw new SimError('AlreadyExistsException', `ChangeSet ${changeSetName} already exists`);
      }
      const newTags =
        tags.length > 0 ? Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value])) : stack.tags;
      const changed = roleIds.filter(
        (logicalId) =>
          !isDeepStrictEqual(
            propertiesOf(template, logicalId),
            propertiesOf(templateOf(stack), logicalId),
          ),
      );
      if (!isDeepStrictEqual(newTags, stack.tags)) {
        for (const logicalId of roleIds) if (!changed.includes(logicalId)) changed.push(logicalId);
      }
      const otherResources = !isDeepStrictEqual(
        withoutRoles(template),
        withoutRoles(templateOf(stack)),
      );
      const id = `arn:${state.partition}:cloudformation:${state.region}:${state.account}:changeSet/${changeSetName}/${uuidOf(state.newId('', `changeset/${stack.name}/${changeSetName}`, 32))}`;
      runtime.changeSets.set(id, {
        id,
        name: changeSetName,
        stackName: stack.name,
        description,
        template,
        tags: newTags,
        capabilities,
        changed: changed.length === 0 && otherResources ? ['(template)'] : changed,
        createdAt: state.now().toISOString(),
      });
      state.reset(`cloudformation:changeset:${id}`);
      return { Id: id, StackId: stackId(state, stack) };
    };
  },

  DescribeChangeSet(params) {
    const name = params.required('ChangeSetName');
    const stackName = params.string('StackName');
    return (state) => {
      const changeSet = requireChangeSet(state, name, stackName);
      const stack = state.world.stacks.find((candidate) => candidate.name === changeSet.stackName);
      const describes = state.count(`cloudformation:changeset:${changeSet.id}`);
      const settle = state.world.behaviour.stackDescribesUntilSettled;
      const empty = changeSet.changed.length === 0;
      const status =
        describes >= settle
          ? empty
            ? 'FAILED'
            : 'CREATE_COMPLETE'
          : describes === 1
            ? 'CREATE_PENDING'
            : 'CREATE_IN_PROGRESS';
      return {
        ChangeSetName: changeSet.name,
        ChangeSetId: changeSet.id,
        StackId: stack ? stackId(state, stack) : undefined,
        StackName: changeSet.stackName,
        Description: changeSet.description,
        CreationTime: changeSet.createdAt,
        ExecutionStatus: status === 'CREATE_COMPLETE' ? 'AVAILABLE' : 'UNAVAILABLE',
        Status: status,
        StatusReason: status === 'FAILED' ? noChangesReason : undefined,
        Capabilities: changeSet.capabilities,
        Tags: Object.entries(changeSet.tags).map(([Key, Value]) => ({ Key, Value })),
        Changes:
          status === 'CREATE_COMPLETE'
            ? changeSet.changed.map((logicalId) => ({
                Type: 'Resource',
                ResourceChange: {
                  Action: 'Modify',
                  LogicalResourceId: logicalId,
                  PhysicalResourceId:
                    stack?.roles[roleLogicalIds(changeSet.template).indexOf(logicalId)],
                  ResourceType: 'AWS::IAM::Role',
                  Replacement: 'False',
                },
              }))
            : [],
      };
    };
  },

  ExecuteChangeSet(params) {
    const name = params.required('ChangeSetName');
    const stackName = params.string('StackName');
    return (state) => {
      const changeSet = requireChangeSet(state, name, stackName);
      const stack = requireStack(state, changeSet.stackName);
      const settled =
        state.peek(`cloudformation:changeset:${changeSet.id}`) >=
        state.world.behaviour.stackDescribesUntilSettled;
      if (!settled || changeSet.changed.length === 0) {
        const status = !settled ? 'CREATE_IN_PROGRESS' : 'FAILED';
        throw new SimError(
          'InvalidChangeSetStatus',
          `ChangeSet [${changeSet.id}] cannot be executed in its current status of [${status}]`,
        );
      }
      requireStable(stack);
      const runtime = runtimeOf(state);
      for (const [id, candidate] of runtime.changeSets) {
        if (candidate.stackName === stack.name) runtime.changeSets.delete(id);
      }
      stack.status = 'UPDATE_IN_PROGRESS';
      delete stack.statusReason;
      runtime.operations.set(stack.name, {
        kind: 'update',
        template: changeSet.template,
        tags: changeSet.tags,
        describes: 0,
      });
      return {};
    };
  },

  DeleteChangeSet(params) {
    const name = params.required('ChangeSetName');
    const stackName = params.string('StackName');
    return (state) => {
      const changeSet = requireChangeSet(state, name, stackName);
      runtimeOf(state).changeSets.delete(changeSet.id);
      return {};
    };
  },

  DeleteStack(params) {
    const name = params.required('StackName');
    return (state) => {
      const stack = state.world.stacks.find(
        (candidate) =>
          (name.startsWith('arn:')
            ? stackId(state, candidate) === name
            : candidate.name === name) &&
          (name.startsWith('arn:') || isLive(candidate)),
      );
      // Deleting a stack that does not exist (any more) succeeds, as CloudFormation answers.
      if (!stack || stack.status === 'DELETE_COMPLETE' || stack.status === 'DELETE_IN_PROGRESS')
        return {};
      if (stack.terminationProtection) {
        throw new SimError(
          'ValidationError',
          `Stack [${stack.name}] cannot be deleted while TerminationProtection is enabled`,
        );
      }
      if (stack.status.endsWith('_IN_PROGRESS')) {
        throw new SimError(
          'ValidationError',
          `Stack [${stack.name}] cannot be deleted while in status ${stack.status}`,
        );
      }
      stack.status = 'DELETE_IN_PROGRESS';
      delete stack.statusReason;
      runtimeOf(state).operations.set(stack.name, { kind: 'delete', describes: 0 });
      return {};
    };
  },

  UpdateTerminationProtection(params) {
    const name = params.required('StackName');
    const enable = params.required('EnableTerminationProtection') === 'true';
    return (state) => {
      const stack = requireStack(state, name);
      stack.terminationProtection = enable;
      return { StackId: stackId(state, stack) };
    };
  },
};

export const cloudFormationService = queryService('cloudformation', version, actions);

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
  const uuid = uuidOf(createHash('sha256').update(`stack/${stack.name}`).digest('hex'));
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
    Capabilities:
      stack.roles.length > 0 ? [requiredCapability(templateOf(stack)) ?? 'CAPABILITY_IAM'] : [],
    Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({
      OutputKey,
      OutputValue,
    })),
    Tags: Object.entries(stack.tags).map(([Key, Value]) => ({ Key, Value })),
    StackStatusReason: stack.statusReason,
    EnableTerminationProtection: stack.terminationProtection,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}

function invalidToken(): SimError {
  return new SimError('ValidationError', 'Invalid NextToken');
}

function uuidOf(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Every world stack has one from the start (state.ts); an empty one only for a stack made later. */
function templateOf(stack: WorldStack): Template {
  return stack.template ?? { Resources: {} };
}

function withoutRoles(template: Template): unknown {
  const roles = new Set(roleLogicalIds(template));
  const resources = Object.fromEntries(
    Object.entries((template.Resources as Record<string, unknown> | undefined) ?? {}).filter(
      ([logicalId]) => !roles.has(logicalId),
    ),
  );
  return { ...template, Resources: resources };
}

function parseTemplate(body: string): Template {
  let value: unknown;
  try {
    value = parseYaml(body);
  } catch (error) {
    throw new SimError('ValidationError', `Template format error: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SimError('ValidationError', 'Template format error: JSON not well-formed.');
  }
  const resources = (value as Template).Resources;
  if (typeof resources !== 'object' || resources === null || Object.keys(resources).length === 0) {
    throw new SimError(
      'ValidationError',
      'Template format error: At least one Resources member must be defined.',
    );
  }
  return value as Template;
}

/** A role with a fixed RoleName needs CAPABILITY_NAMED_IAM; any other IAM resource CAPABILITY_IAM. */
function requiredCapability(template: Template): string | undefined {
  const ids = roleLogicalIds(template);
  if (ids.length === 0) return undefined;
  return ids.some((logicalId) => propertiesOf(template, logicalId).RoleName !== undefined)
    ? 'CAPABILITY_NAMED_IAM'
    : 'CAPABILITY_IAM';
}

function requireStable(stack: WorldStack): void {
  if (!stableStatuses.has(stack.status)) {
    throw new SimError(
      'ValidationError',
      `Stack:${stack.name} is in ${stack.status} state and can not be updated.`,
    );
  }
}

function requireChangeSet(
  state: SimulatorState,
  nameOrId: string,
  stackName: string | undefined,
): ChangeSet {
  const changeSets = [...runtimeOf(state).changeSets.values()];
  const found = nameOrId.startsWith('arn:')
    ? changeSets.find((candidate) => candidate.id === nameOrId)
    : changeSets.find(
        (candidate) =>
          candidate.name === nameOrId &&
          stackName !== undefined &&
          (candidate.stackName === stackName ||
            stackId(state, requireStack(state, candidate.stackName)) === stackName),
      );
  if (!found) {
    throw new SimError('ChangeSetNotFound', `ChangeSet [${nameOrId}] does not exist`, 404);
  }
  return found;
}

/**
 * One describe of a stack with an operation under way: after `stackDescribesUntilSettled`
 * describes the operation finishes (an update passes through its cleanup or rollback state first).
 */
function advance(state: SimulatorState, stack: WorldStack): void {
  const runtime = runtimeOf(state);
  const operation = runtime.operations.get(stack.name);
  if (!operation) return;
  operation.describes += 1;
  const settle = state.world.behaviour.stackDescribesUntilSettled;
  if (operation.describes < settle) return;
  if (operation.kind === 'delete') {
    if (operation.describes === settle) {
      state.world.roles = state.world.roles.filter((role) => !stack.roles.includes(role.name));
      stack.status = 'DELETE_COMPLETE';
      runtime.operations.delete(stack.name);
    }
    return;
  }
  if (operation.describes === settle) {
    const failure = updateFailure(state, stack, operation);
    if (failure !== undefined) {
      stack.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
      stack.statusReason = `The following resource(s) failed to update: [${roleLogicalIds(templateOf(stack)).join(', ')}]. ${failure}`;
    } else {
      applyUpdate(state, stack, operation);
      stack.status = 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS';
    }
    return;
  }
  stack.status =
    stack.status === 'UPDATE_ROLLBACK_IN_PROGRESS' ? 'UPDATE_ROLLBACK_COMPLETE' : 'UPDATE_COMPLETE';
  runtime.operations.delete(stack.name);
}

/** Why the update fails: the world's injected failure, or IAM refusing a role's new trust policy. */
function updateFailure(
  state: SimulatorState,
  stack: WorldStack,
  operation: Operation,
): string | undefined {
  const injected = state.world.behaviour.stackUpdateFailures[stack.name];
  if (injected !== undefined) return injected;
  const template = operation.template ?? templateOf(stack);
  const tags = operation.tags ?? stack.tags;
  for (const [index, logicalId] of roleLogicalIds(template).entries()) {
    const properties = propertiesOf(template, logicalId);
    const role = state.role(stack.roles[index] ?? '');
    try {
      // CloudFormation changes the role through IAM's own API, so IAM's checks and quotas hold.
      trustPolicy(state, JSON.stringify(properties.AssumeRolePolicyDocument ?? {}));
      const items = Array.isArray(properties.ManagedPolicyArns) ? properties.ManagedPolicyArns : [];
      const managed = items.map((item) => policyArnOf(state, item));
      for (const arn of managed) if (arn !== undefined) checkPolicyArn(state, arn);
      const quota = state.world.quotas.attachedPoliciesPerRole;
      // An item left unresolved still names a policy of its own.
      const distinct = new Set(managed.map((arn, index) => arn ?? JSON.stringify(items[index])));
      if (distinct.size > quota) {
        throw new SimError('LimitExceeded', `Cannot exceed quota for PoliciesPerRole: ${quota}`);
      }
      // Stack tags reach the role as TagRole would put them.
      const roleTags = role ? roleTagsAfterUpdate(role.tags, stack.tags, tags) : tags;
      if (Object.keys(roleTags).length > maxTagsPerRole) {
        throw new SimError(
          'LimitExceeded',
          `Cannot exceed quota for TagsPerRole: ${maxTagsPerRole}`,
        );
      }
    } catch (error) {
      return `Resource handler returned message: "${(error as Error).message}" (Service: Iam, Status Code: ${(error as SimError).status ?? 400})`;
    }
  }
  return undefined;
}

/**
 * A ManagedPolicyArns item as IAM receives it: a string, or eksctl's
 * `{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/..."}` with the pseudo parameters filled
 * in. Any other intrinsic function is CloudFormation's to resolve: undefined, left unchecked.
 */
function policyArnOf(state: SimulatorState, item: unknown): string | undefined {
  if (typeof item === 'string') return item;
  const sub = isRecord(item) ? item['Fn::Sub'] : undefined;
  if (typeof sub !== 'string') return undefined;
  const pseudo: Record<string, string> = {
    'AWS::Partition': state.partition,
    'AWS::AccountId': state.account,
    'AWS::Region': state.region,
  };
  const resolved = sub.replace(/\$\{([\w:]+)\}/g, (whole, name: string) => pseudo[name] ?? whole);
  // A template parameter or another pseudo parameter: CloudFormation's to resolve, not judged here.
  return resolved.includes('${') ? undefined : resolved;
}

/** Stack tags propagate to the resources: ones dropped from the stack leave the role too. */
function roleTagsAfterUpdate(
  roleTags: Readonly<Record<string, string>>,
  previousStackTags: Readonly<Record<string, string>>,
  stackTags: Readonly<Record<string, string>>,
): Record<string, string> {
  const kept = Object.entries(roleTags).filter(
    ([key]) => !(key in previousStackTags) || key in stackTags,
  );
  return { ...Object.fromEntries(kept), ...stackTags };
}

/** The template's roles become the stack's roles: trust, managed policies, and the stack's tags. */
function applyUpdate(state: SimulatorState, stack: WorldStack, operation: Operation): void {
  const template = operation.template ?? templateOf(stack);
  const previousTags = stack.tags;
  const tags = operation.tags ?? stack.tags;
  roleLogicalIds(template).forEach((logicalId, index) => {
    const role = state.role(stack.roles[index] ?? '');
    if (!role) return;
    const properties = propertiesOf(template, logicalId);
    const previousTrust = role.assumeRolePolicyDocument;
    role.assumeRolePolicyDocument = structuredClone(
      properties.AssumeRolePolicyDocument as Record<string, unknown>,
    );
    // A trust written through CloudFormation reaches EKS as late as one written directly.
    if (!isDeepStrictEqual(previousTrust, role.assumeRolePolicyDocument)) {
      recordTrustWrite(state, state.roleArn(role), previousTrust);
    }
    const managed = Array.isArray(properties.ManagedPolicyArns)
      ? properties.ManagedPolicyArns.map((item) => policyArnOf(state, item))
      : undefined;
    const resolved = managed?.filter((arn): arn is string => arn !== undefined);
    if (managed !== undefined && resolved?.length === managed.length) {
      role.attachedPolicies = [...new Set(resolved)];
    } else if (managed === undefined) {
      role.attachedPolicies = [];
    }
    role.tags = roleTagsAfterUpdate(role.tags, previousTags, tags);
  });
  stack.template = template;
  stack.tags = { ...tags };
}
