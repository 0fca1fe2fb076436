import pMap from 'p-map';
import { namesSameRole, parseRoleArn } from '../../core/arn.ts';
import {
  type BatchPreparation,
  batchRoleUsage,
  type EksctlStackFinding,
  ITEM_CONCURRENCY,
  type PreparedRole,
  preparedRole,
} from '../../core/associations/batch-check.ts';
import type { DesiredAssociation } from '../../core/associations/desired.ts';
import type {
  ExistingAssociation,
  ExistingRole,
  ExistingServiceAccount,
} from '../../core/associations/existing.ts';
import {
  decideItem,
  decisionReadsRolePolicies,
  type EksctlStackState,
  type ItemDecision,
  type ItemOperation,
  needsKubernetes,
  roleNameToInspect,
  roleToCreate,
} from '../../core/associations/plan.ts';
import {
  countResults,
  type ItemResult,
  itemResult,
  type ResultCounts,
} from '../../core/associations/report.ts';
import type { AssociationRequest } from '../../core/associations/request.ts';
import type {
  BatchDocument,
  BatchRequest,
  PlanItem,
  RefusedEntry,
  RoleUsage,
} from '../../core/associations/run-plan.ts';
import { asError, NamedError } from '../../core/errors.ts';
import { readOncePerKey } from '../../core/read-once.ts';
import { type ExecuteDeps, executeItem } from './execute-item.ts';

export interface ApplyAssociationBatchInput {
  runId: string;
  batch: number;
  dryRun: boolean;
  /** What prepare-association-batch checked and found, from the workflow's state. */
  prepared: BatchPreparation;
}

export interface BatchResult {
  batch: number;
  itemCount: number;
  counts: ResultCounts;
}

/**
 * eksctl's role stack of the item could not be looked up, or the stack a delete removes was not
 * deleted by prepare-association-batch (it failed, or found otherwise when it read the item's state
 * a moment before): the item fails before its association is deleted, and a rerun decides afresh.
 */
export class EksctlStackNotHandledError extends NamedError {
  override readonly name = 'EksctlStackNotHandledError';
}

type PolicyFields = 'attachedPolicyArns' | 'inlinePolicies';

export interface ApplyAssociationBatchDeps {
  /**
   * The batch's slice of the request and the plan, as prepare-association-batch checked it (by
   * its seal): a document changed since is refused (RunDocumentChangedError), changing nothing.
   */
  loadBatch(sealed: BatchPreparation['document'], batch: number): Promise<BatchDocument>;
  /**
   * The run's whole role usage document; read only when an association uses a role its batch
   * document does not cover (it was moved to another role after planning).
   */
  loadRoleUsage(runId: string): Promise<RoleUsage>;
  describeAssociation(
    clusterName: string,
    associationId: string,
  ): Promise<ExistingAssociation | undefined>;
  /**
   * A role's name, ARN, path, tags, boundary and trust policy from one GetRole call, or undefined
   * when there is no such role.
   */
  getRoleTrust(roleName: string): Promise<Omit<ExistingRole, PolicyFields> | undefined>;
  /** A role's managed and inline policies, or undefined when there is no such role. */
  getRolePolicies(roleName: string): Promise<Pick<ExistingRole, PolicyFields> | undefined>;
  /** The service account's labels, or undefined when it does not exist. */
  serviceAccountLabels(
    clusterName: string,
    namespace: string,
    name: string,
  ): Promise<Record<string, string> | undefined>;
  /** What the items' steps do to the cluster; the eksctl stack step is `deleteEksctlStack`'s. */
  executor(clusterName: string): Omit<ExecuteDeps, 'deleteEksctlStack'>;
  saveResults(runId: string, batch: number, results: ItemResult[]): Promise<string>;
}

/**
 * Decides each item of the batch against live state read now (not at plan time, so a retried or
 * repeated run sees what earlier attempts did) and, unless it is a dry run, carries it out.
 * Items fail one by one with their reason; the batch itself fails only when its documents cannot
 * be read or written, or its document is not the one prepare-association-batch checked.
 */
export async function applyAssociationBatch(
  input: ApplyAssociationBatchInput,
  deps: ApplyAssociationBatchDeps,
): Promise<BatchResult> {
  // The check (the batch, cluster and operation against the workflow's state, the guardrails) holds
  // for the document it read; one written since is refused whole, before any item is looked at.
  const plan = await deps.loadBatch(input.prepared.document, input.batch);
  const { request, items } = plan;
  // Configs commonly name one shared role for many service accounts, and IAM's limits are
  // account-wide: each role is read once for the batch, and not at all when
  // prepare-association-batch's guardrail check has just read it. A read stays true for the batch
  // because an item changes only a role created for its own service account, which no other item
  // acts on.
  const roleReads = readOncePerKey(deps.getRoleTrust);
  const prepared = new Map(input.prepared.roles.map((role) => [role.name, role]));
  // The associations the check just described are not described again.
  const described = new Map(
    input.prepared.associations.map((association) => [association.associationId, association]),
  );
  const itemDeps: ApplyAssociationBatchDeps = {
    ...deps,
    describeAssociation: (clusterName, associationId) =>
      described.has(associationId)
        ? Promise.resolve(described.get(associationId))
        : deps.describeAssociation(clusterName, associationId),
  };
  const stacks = input.prepared.eksctlStacks;
  const executor: ExecuteDeps = {
    ...deps.executor(request.clusterName),
    deleteEksctlStack: async (stackName, owner) => deleteStackStep(stacks, stackName, owner),
  };
  const roles: BatchRoles = {
    given: async (roleName) =>
      prepared.get(roleName) ?? preparedRole(roleName, await roleReads(roleName)),
    state: roleStateReader(roleReads, readOncePerKey(deps.getRolePolicies)),
    usedElsewhere:
      batchRoleUsage(plan, () => deps.loadRoleUsage(input.runId)) ?? (async () => false),
    eksctlStack: async (namespace, serviceAccount) =>
      eksctlStackOf(stacks, namespace, serviceAccount),
  };
  const results = await pMap(
    items,
    (item) => processItem(item, request, plan, input.dryRun, itemDeps, executor, roles),
    {
      concurrency: ITEM_CONCURRENCY,
    },
  );
  await deps.saveResults(input.runId, input.batch, results);
  return { batch: input.batch, itemCount: results.length, counts: countResults(results) };
}

/**
 * The item's eksctl role stack as prepare-association-batch found it, with what decided (for a
 * delete) whether to delete it. A stack it could not look up, or whose failure came before it
 * could decide (nothing says the stack is not the association's, nor whether its role is used
 * elsewhere), fails the item rather than let the decision guess.
 */
function eksctlStackOf(
  stacks: readonly EksctlStackFinding[],
  namespace: string,
  serviceAccount: string,
): EksctlStackState | undefined {
  const finding = stacks.find(
    (candidate) => candidate.namespace === namespace && candidate.serviceAccount === serviceAccount,
  );
  if (finding === undefined) return undefined;
  const { stackName, notOwned, roleArn, roleInUseElsewhere, failure } = finding;
  if (
    stackName === undefined ||
    (failure !== undefined && notOwned === undefined && roleInUseElsewhere === undefined)
  ) {
    throw new EksctlStackNotHandledError(
      `could not look up eksctl's role stack${stackName === undefined ? '' : ` "${stackName}"`}: ${failure ?? 'no reason given'}`,
    );
  }
  return { stackName, notOwned, roleArn, roleInUseElsewhere };
}

/**
 * The delete-stack step of an item: prepare-association-batch deleted the stack before this task
 * began (it has the CloudFormation access), so the step only confirms that it did, for this item
 * (two items' stacks may have the same name).
 */
function deleteStackStep(
  stacks: readonly EksctlStackFinding[],
  stackName: string,
  owner: { namespace: string; serviceAccount: string },
): void {
  const finding = stacks.find(
    (candidate) =>
      candidate.stackName === stackName &&
      candidate.namespace === owner.namespace &&
      candidate.serviceAccount === owner.serviceAccount,
  );
  if (finding?.deleted === true) return;
  throw new EksctlStackNotHandledError(
    finding?.failure ??
      `stack "${stackName}" was not deleted: what prepare-association-batch read of the association a moment earlier called for keeping it; run again`,
  );
}

async function processItem(
  item: PlanItem,
  request: BatchRequest,
  plan: BatchDocument,
  dryRun: boolean,
  deps: ApplyAssociationBatchDeps,
  executor: ExecuteDeps,
  roles: BatchRoles,
): Promise<ItemResult> {
  let decision: ItemDecision;
  const lookupWarnings: string[] = [];
  if (plan.refused !== undefined && plan.refused.length > 0) {
    return refusedResult(item, plan.refused, request.operation);
  }
  try {
    const desired = item.kind === 'entry' ? request.entries[item.entryIndex] : undefined;
    const operation: ItemOperation =
      item.kind === 'prune' ? 'prune' : entryOperation(request.operation);
    const associationId = item.kind === 'prune' ? item.existing.associationId : item.associationId;
    const existing = associationId
      ? await deps.describeAssociation(request.clusterName, associationId)
      : undefined;
    if (item.kind === 'prune' && !existing) {
      return {
        namespace: item.namespace,
        serviceAccount: item.serviceAccount,
        action: 'missing',
        result: 'skipped',
        reason: `pod identity association "${item.namespace}/${item.serviceAccount}" was already deleted`,
      };
    }
    // A delete passes no role to EKS, so the role its entry may name is not checked: the item is
    // decided by the rule prepare-association-batch already followed to delete eksctl's stack.
    const givenRole =
      operation === 'delete'
        ? { warnings: [] }
        : await checkGivenRole(desired, existing, request.account, roles.given);
    if (givenRole.missing) {
      return {
        namespace: item.namespace,
        serviceAccount: item.serviceAccount,
        action: existing ? 'update' : 'create',
        result: 'failed',
        reason: givenRole.missing,
      };
    }
    lookupWarnings.push(...givenRole.warnings);
    const roleName =
      roleNameToInspect({ operation, desired, existing }) ??
      (dryRun ? foundRoleToCreate(plan, { operation, desired, existing }) : undefined);
    const role = roleName
      ? await roles.state(roleName, decisionReadsRolePolicies(operation, desired))
      : undefined;
    const roleInUseElsewhere =
      existing !== undefined &&
      plan.roleUsage !== undefined &&
      (await roles.usedElsewhere(existing.roleArn, item));
    const serviceAccount = needsKubernetes(operation, desired, existing !== undefined)
      ? await lookUpServiceAccount(request.clusterName, item, deps, lookupWarnings, dryRun)
      : undefined;
    // Only update and delete act on eksctl's role stacks, as eksctl's own commands do.
    const eksctlStack =
      operation === 'delete' ||
      (existing !== undefined && operation !== 'create' && operation !== 'prune')
        ? await roles.eksctlStack(item.namespace, item.serviceAccount)
        : undefined;
    const live = {
      clusterName: request.clusterName,
      existing,
      role,
      eksctlStack,
      roleInUseElsewhere,
      serviceAccount,
    };
    decision =
      operation === 'prune' && existing
        ? decideItem({ ...live, operation, existing })
        : decideItem({
            ...live,
            operation: operation as Exclude<ItemOperation, 'prune'>,
            desired: desired as DesiredAssociation,
          });
  } catch (error) {
    return {
      namespace: item.namespace,
      serviceAccount: item.serviceAccount,
      action: 'missing',
      result: 'failed',
      reason: `could not read the current state of "${item.namespace}/${item.serviceAccount}": ${asError(error).message}`,
    };
  }
  if (dryRun) return withWarnings(itemResult(decision, { dryRun: true }), lookupWarnings);
  const outcome = await executeItem(decision, executor);
  return withWarnings(itemResult(decision, { dryRun: false, outcome }), lookupWarnings);
}

/**
 * The role a dry run's create would make, when plan-associations found a role of that name in the
 * account: the run's CreateRole would meet it (see roleToCreate), so the dry run reads it to say
 * whether it would be adopted or refused.
 */
function foundRoleToCreate(
  plan: BatchDocument,
  item: Parameters<typeof roleToCreate>[0],
): string | undefined {
  const name = roleToCreate(item);
  return name !== undefined && plan.rolesFound?.includes(name) ? name : undefined;
}

type RoleReader = ApplyAssociationBatchDeps['getRoleTrust'];

/** What {@link checkGivenRole} judges a role by, from the role as read. */
/** The batch's role reads, each role read at most once. */
interface BatchRoles {
  /**
   * A role given by ARN, as the item checks judge it: as prepare-association-batch read it for
   * the guardrails, else read here.
   */
  given(roleName: string): Promise<PreparedRole>;
  /** The roles the items' decisions inspect; their policies only when asked for. */
  state(roleName: string, withPolicies: boolean): Promise<ExistingRole | undefined>;
  /** Whether an association other than `self` uses the role (`roleUsedElsewhere`). */
  usedElsewhere(
    roleArn: string,
    self: { namespace: string; serviceAccount: string },
  ): Promise<boolean>;
  /** eksctl's role stack of the association, as prepare-association-batch looked it up. */
  eksctlStack(namespace: string, serviceAccount: string): Promise<EksctlStackState | undefined>;
}

/**
 * The role a decision inspects, from the batch's one GetRole of it (shared with the given-role
 * checks that prepare-association-batch did not answer), and its policies, listed
 * once per batch and only for a decision that compares them (`decisionReadsRolePolicies`): a role
 * the entry names by ARN is never reconciled, so what it grants is not this batch's to read. The
 * policies of a role not read are left empty, which no decision then looks at.
 */
function roleStateReader(
  read: RoleReader,
  policies: ApplyAssociationBatchDeps['getRolePolicies'],
): BatchRoles['state'] {
  return async (roleName, withPolicies) => {
    const role = await read(roleName);
    if (!role) return undefined;
    if (!withPolicies) return { ...role, attachedPolicyArns: [], inlinePolicies: [] };
    const listed = await policies(role.name);
    return listed && { ...role, ...listed };
  };
}

/**
 * A role given by ARN is checked before EKS is asked, for a new association and for an update
 * that moves an association to it. EKS answers a missing role the way it answers a role IAM has
 * not propagated yet, so the create would retry for two minutes before failing; and EKS refuses a
 * role that does not trust pods.eks.amazonaws.com ("Trust policy of the role provided is
 * invalid"). Both fail the item here, before any change, with what to fix.
 */
async function checkGivenRole(
  desired: DesiredAssociation | undefined,
  existing: ExistingAssociation | undefined,
  account: string,
  readRole: BatchRoles['given'],
): Promise<{ missing?: string; warnings: string[] }> {
  if (desired?.role.kind !== 'existing') return { warnings: [] };
  if (existing && namesSameRole(existing.roleArn, desired.role.roleArn)) return { warnings: [] };
  const arn = parseRoleArn(desired.role.roleArn);
  // Another account's role is EKS's to refuse ("Cross-account pass role is not allowed").
  if (!arn || arn.account !== account) return { warnings: [] };
  const role = await readRole(arn.name);
  if (!role.exists) {
    return {
      missing: `IAM role ${desired.role.roleArn} does not exist; create it with a trust policy for pods.eks.amazonaws.com, or fix roleARN`,
      warnings: [],
    };
  }
  return role.missingTrustActions.length === 0
    ? { warnings: [] }
    : {
        missing:
          `IAM role ${desired.role.roleArn} does not trust pods.eks.amazonaws.com ` +
          `(its trust policy allows no ${role.missingTrustActions.join(' or ')} to that service), so EKS ` +
          'refuses it; add a statement allowing sts:AssumeRole and sts:TagSession to the service ' +
          'principal pods.eks.amazonaws.com, or name a role that has one',
        warnings: [],
      };
}

/**
 * Unreachable Kubernetes API (a private endpoint, missing access) is not a reason to fail an
 * item that only wanted to know whether eks-pia created the service account: the account is then
 * treated as not ours and kept, with a warning.
 */
async function lookUpServiceAccount(
  clusterName: string,
  item: PlanItem,
  deps: ApplyAssociationBatchDeps,
  warnings: string[],
  dryRun: boolean,
): Promise<ExistingServiceAccount | undefined> {
  try {
    const labels = await deps.serviceAccountLabels(
      clusterName,
      item.namespace,
      item.serviceAccount,
    );
    return labels ? { labels } : undefined;
  } catch (error) {
    // A dry run grants itself no Kubernetes access, so a 401 there says nothing about the run
    // that would follow (which grants it first); its steps already hedge on the account.
    if (!(dryRun && asError(error).name === 'KubernetesAuthError')) {
      warnings.push(
        `could not read service account ${item.namespace}/${item.serviceAccount}: ${asError(error).message}`,
      );
    }
    return undefined;
  }
}

/** Nothing of an all-or-nothing run is changed when one of its entries cannot be carried out. */
function refusedResult(
  item: PlanItem,
  refused: readonly RefusedEntry[],
  operation: AssociationRequest['operation'],
): ItemResult {
  const own = refused.find(
    (entry) => entry.namespace === item.namespace && entry.serviceAccount === item.serviceAccount,
  );
  if (own) {
    return {
      namespace: item.namespace,
      serviceAccount: item.serviceAccount,
      action: 'refused',
      result: 'failed',
      reason: own.reason,
    };
  }
  const others = refused.map((entry) => `"${entry.namespace}/${entry.serviceAccount}"`).join(', ');
  return {
    namespace: item.namespace,
    serviceAccount: item.serviceAccount,
    action: 'unchanged',
    result: 'skipped',
    reason: `not ${operation === 'delete' ? 'deleted' : 'updated'}: ${operation} is all-or-nothing, and ${others} cannot be ${operation === 'delete' ? 'deleted' : 'updated'}; fix ${refused.length === 1 ? 'that entry' : 'those entries'} (or remove ${refused.length === 1 ? 'it' : 'them'} from the request) and run again`,
  };
}

function entryOperation(
  operation: AssociationRequest['operation'],
): Exclude<ItemOperation, 'prune'> {
  // prepare-association-batch refuses a get batch, and this task only the document it checked.
  if (operation === 'get') throw new RangeError('a get request has no items to apply');
  return operation;
}

function withWarnings(result: ItemResult, warnings: string[]): ItemResult {
  return warnings.length === 0
    ? result
    : { ...result, warnings: [...(result.warnings ?? []), ...warnings] };
}
