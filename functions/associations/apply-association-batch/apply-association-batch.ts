import pMap from 'p-map';
import { namesSameRole, parseRoleArn } from '../../core/arn.ts';
import type { DesiredAssociation } from '../../core/associations/desired.ts';
import type {
  ExistingAssociation,
  ExistingRole,
  ExistingServiceAccount,
} from '../../core/associations/existing.ts';
import {
  findGuardrailViolations,
  type GuardrailReaders,
  type GuardrailSettings,
  type GuardrailViolation,
  GuardrailViolationsError,
  lookUpForGuardrails,
} from '../../core/associations/guardrails.ts';
import {
  decideItem,
  decisionReadsRolePolicies,
  type ItemDecision,
  type ItemOperation,
  needsKubernetes,
  roleNameToInspect,
  roleUsageKey,
  roleUsedElsewhere,
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
  PlanDocument,
  PlanItem,
  RefusedEntry,
} from '../../core/associations/run-plan.ts';
import { asError } from '../../core/errors.ts';
import { readOncePerKey } from '../../core/read-once.ts';
import { ASSOCIATION_DOCUMENTS, runDocumentKey } from '../../core/run-documents.ts';
import { podIdentityTrustStatus } from '../../core/trust-policy.ts';
import { type ExecuteDeps, executeItem } from './execute-item.ts';

/**
 * Items of one batch handled at once. IAM's account-wide rate limits are the bottleneck, and
 * the SDK's adaptive retries absorb short bursts; more would only trade latency for throttles.
 */
export const ITEM_CONCURRENCY = 5;

export interface ApplyAssociationBatchInput {
  runId: string;
  batch: number;
  dryRun: boolean;
  /**
   * The run's cluster and operation as the workflow's state carries them, out of reach of anyone
   * who can write to the run store: the batch document must say the same.
   */
  clusterName?: string | undefined;
  operation?: AssociationRequest['operation'] | undefined;
}

export interface BatchResult {
  batch: number;
  itemCount: number;
  counts: ResultCounts;
}

/**
 * The batch's document (its slice of the run's request and plan) breaks the guardrails
 * load-association-request checked the request against, or names another batch, cluster or operation than the
 * workflow runs: a document under `runs/` was changed after the request was validated (or,
 * meanwhile, a role lost its opt-in tag or a customer managed policy it attaches was given more).
 * The batch changes nothing.
 */
export class RunDocumentTamperedError extends GuardrailViolationsError {
  override readonly name = 'RunDocumentTamperedError';

  constructor(
    runId: string,
    batch: number,
    problem: { violations: readonly GuardrailViolation[] } | { mismatch: string },
  ) {
    const document = runDocumentKey(runId, ASSOCIATION_DOCUMENTS.batch(batch).name);
    if ('mismatch' in problem) {
      super(
        `the batch document of run ${runId} (${document}) ${problem.mismatch}, so it was changed after plan-associations wrote it; this batch changed nothing. Start a new run from the config`,
        [],
      );
      return;
    }
    super(
      `the batch document of run ${runId} (${document}) breaks the guardrails although load-association-request accepted the request, so it was changed after it was validated (or, meanwhile, a role lost its opt-in tag or a customer managed policy it attaches was given more); this batch changed nothing. Start a new run from the config; violations:`,
      problem.violations,
    );
  }
}

type PolicyFields = 'attachedPolicyArns' | 'inlinePolicies';

export interface ApplyAssociationBatchDeps {
  /** The deployment's guardrails, checked again on what this batch is about to do. */
  guardrails: GuardrailSettings;
  /** Customer managed policy documents, read again as IAM has them now. */
  policyDocument: GuardrailReaders['policyDocument'];
  /** The batch's slice of the request and the plan: the one run document a batch reads. */
  loadBatch(runId: string, batch: number): Promise<BatchDocument>;
  /**
   * The plan's whole `roleUsage`; read only when an association uses a role its batch document
   * does not cover (it was moved to another role after planning).
   */
  loadRoleUsage(runId: string): Promise<PlanDocument['roleUsage']>;
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
  findEksctlRoleStack(
    clusterName: string,
    namespace: string,
    serviceAccount: string,
  ): Promise<{ stackName: string } | undefined>;
  /** The service account's labels, or undefined when it does not exist. */
  serviceAccountLabels(
    clusterName: string,
    namespace: string,
    name: string,
  ): Promise<Record<string, string> | undefined>;
  executor(clusterName: string): ExecuteDeps;
  saveResults(runId: string, batch: number, results: ItemResult[]): Promise<string>;
}

/**
 * Decides each item of the batch against live state read now (not at plan time, so a retried or
 * repeated run sees what earlier attempts did) and, unless it is a dry run, carries it out.
 * Items fail one by one with their reason; the batch itself fails only when its documents cannot
 * be read or written.
 */
export async function applyAssociationBatch(
  input: ApplyAssociationBatchInput,
  deps: ApplyAssociationBatchDeps,
): Promise<BatchResult> {
  const plan = await deps.loadBatch(input.runId, input.batch);
  const { request, items } = plan;
  const mismatch = stateMismatch(input, plan);
  if (mismatch !== undefined)
    throw new RunDocumentTamperedError(input.runId, input.batch, { mismatch });
  // Configs commonly name one shared role for many service accounts, and IAM's limits are
  // account-wide: each role is read once for the batch. A read stays true for the batch because an
  // item changes only a role created for its own service account, which no other item acts on.
  const givenRoles = readOncePerKey(deps.getRoleTrust);
  await recheckGuardrails(input, request, deps.guardrails, givenRoles, deps.policyDocument);
  const executor = deps.executor(request.clusterName);
  const roles: BatchRoles = {
    given: givenRoles,
    state: roleStateReader(givenRoles, readOncePerKey(deps.getRolePolicies)),
    usedElsewhere: roleUsageOf(input.runId, plan, deps),
  };
  const results = await pMap(
    items,
    (item) => processItem(item, request, plan, input.dryRun, deps, executor, roles),
    {
      concurrency: ITEM_CONCURRENCY,
    },
  );
  await deps.saveResults(input.runId, input.batch, results);
  return { batch: input.batch, itemCount: results.length, counts: countResults(results) };
}

/** What the batch document says that the workflow's state says otherwise, if anything. */
function stateMismatch(input: ApplyAssociationBatchInput, plan: BatchDocument): string | undefined {
  if (plan.batch !== input.batch) return `holds batch ${plan.batch}`;
  // plan-associations writes no batch for a get: its run lists and changes nothing.
  if (plan.request.operation === 'get') return 'is a get request, which has no items to apply';
  if (input.clusterName !== undefined && plan.request.clusterName !== input.clusterName)
    return `names cluster ${plan.request.clusterName}, not ${input.clusterName}`;
  if (input.operation !== undefined && plan.request.operation !== input.operation)
    return `names operation ${plan.request.operation}, not ${input.operation}`;
  return undefined;
}

/**
 * Whether another association of the cluster uses a role, from the batch document's share of the
 * plan's role usage, or (a role it does not cover) from the whole of it, read once per batch.
 */
function roleUsageOf(
  runId: string,
  plan: BatchDocument,
  deps: ApplyAssociationBatchDeps,
): BatchRoles['usedElsewhere'] {
  const usage = plan.roleUsage;
  if (usage === undefined) return async () => false;
  const covered = new Set(usage.roles);
  let whole: Promise<PlanDocument['roleUsage']> | undefined;
  return async (roleArn, self) => {
    if (covered.has(roleUsageKey(roleArn)))
      return roleUsedElsewhere(roleArn, usage.associations, self);
    whole ??= deps.loadRoleUsage(runId);
    const all = await whole;
    // No usage to go by: keep the role rather than delete it from under someone.
    return all === undefined ? true : roleUsedElsewhere(roleArn, all, self);
  };
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
    const givenRole = await checkGivenRole(desired, existing, request.account, roles.given);
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
    const roleName = roleNameToInspect({ operation, desired, existing });
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
        ? await deps.findEksctlRoleStack(request.clusterName, item.namespace, item.serviceAccount)
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
 * Defence in depth: the run documents live in a bucket, and a document changed between
 * load-association-request and here would otherwise be carried out as written. The batch's own entries are
 * checked again (with the roles' tags and the customer managed policies' documents as IAM has
 * them now) before anything changes.
 *
 * The batch reads its entries from its own document, not from the request, so that document is
 * what is checked: the entries checked are exactly the entries carried out, which is the guarantee
 * the check gave when it read the batch's entries out of the whole request (a request changed
 * before planning reaches the batch documents and is caught here; one changed after planning is
 * never read by a batch). A digest of the request in the batch document would add nothing: it
 * would sit in the same bucket as what it vouches for, and whoever can rewrite one can rewrite
 * both. What the document cannot vouch for itself, the batch, cluster and operation, is compared
 * with the workflow's state before this (`stateMismatch`).
 */
async function recheckGuardrails(
  input: ApplyAssociationBatchInput,
  request: BatchRequest,
  guardrails: GuardrailSettings,
  givenRoles: GivenRoleReader,
  policyDocument: GuardrailReaders['policyDocument'],
): Promise<void> {
  // Role tags come from the batch's one read of each role, which the items' checks reuse.
  const lookups = await lookUpForGuardrails(request, guardrails, {
    roleTags: async (roleName) => (await givenRoles(roleName))?.tags,
    policyDocument,
  });
  const violations = findGuardrailViolations(request, guardrails, lookups);
  if (violations.length > 0)
    throw new RunDocumentTamperedError(input.runId, input.batch, { violations });
}

type GivenRoleReader = ApplyAssociationBatchDeps['getRoleTrust'];

/** The batch's role reads, each role read once (see {@link readOncePerRole}). */
interface BatchRoles {
  /** Roles given by ARN: their tags for the guardrails, their trust for the item checks. */
  given: GivenRoleReader;
  /** The roles the items' decisions inspect; their policies only when asked for. */
  state(roleName: string, withPolicies: boolean): Promise<ExistingRole | undefined>;
  /** Whether an association other than `self` uses the role (`roleUsedElsewhere`). */
  usedElsewhere(
    roleArn: string,
    self: { namespace: string; serviceAccount: string },
  ): Promise<boolean>;
}

/**
 * The role a decision inspects, from the batch's one GetRole of it (shared with the guardrails and
 * the given-role checks: a role many entries name is read once per batch), and its policies, listed
 * once per batch and only for a decision that compares them (`decisionReadsRolePolicies`): a role
 * the entry names by ARN is never reconciled, so what it grants is not this batch's to read. The
 * policies of a role not read are left empty, which no decision then looks at.
 */
function roleStateReader(
  given: GivenRoleReader,
  policies: ApplyAssociationBatchDeps['getRolePolicies'],
): BatchRoles['state'] {
  return async (roleName, withPolicies) => {
    const role = await given(roleName);
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
  readRole: GivenRoleReader,
): Promise<{ missing?: string; warnings: string[] }> {
  if (desired?.role.kind !== 'existing') return { warnings: [] };
  if (existing && namesSameRole(existing.roleArn, desired.role.roleArn)) return { warnings: [] };
  const arn = parseRoleArn(desired.role.roleArn);
  // Another account's role is EKS's to refuse ("Cross-account pass role is not allowed").
  if (!arn || arn.account !== account) return { warnings: [] };
  const role = await readRole(arn.name);
  if (!role) {
    return {
      missing: `IAM role ${desired.role.roleArn} does not exist; create it with a trust policy for pods.eks.amazonaws.com, or fix roleARN`,
      warnings: [],
    };
  }
  const trust = podIdentityTrustStatus(role.trustPolicy);
  return trust.present
    ? { warnings: [] }
    : {
        missing:
          `IAM role ${desired.role.roleArn} does not trust pods.eks.amazonaws.com ` +
          `(its trust policy allows no ${trust.missingActions.join(' or ')} to that service), so EKS ` +
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
  // stateMismatch refuses a get batch before any item is reached.
  if (operation === 'get') throw new RangeError('a get request has no items to apply');
  return operation;
}

function withWarnings(result: ItemResult, warnings: string[]): ItemResult {
  return warnings.length === 0
    ? result
    : { ...result, warnings: [...(result.warnings ?? []), ...warnings] };
}
