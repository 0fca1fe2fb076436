/**
 * The first of a batch's two tasks: checks the batch's document before anything of the batch
 * changes, and does the batch's CloudFormation part, so that apply-association-batch carries
 * neither the guardrails nor the CloudFormation client (each bundle stays within its budget).
 */
import pMap from 'p-map';
import type { SealedDocument } from '../../aws/run-store.ts';
import { parseRoleArn } from '../../core/arn.ts';
import {
  type BatchPreparation,
  batchRoleUsage,
  type EksctlStackFinding,
  ITEM_CONCURRENCY,
  type PreparedRole,
  preparedAssociations,
  preparedRole,
  RunDocumentTamperedError,
} from '../../core/associations/batch-check.ts';
import type { ExistingAssociation, ExistingRole } from '../../core/associations/existing.ts';
import {
  findGuardrailViolations,
  type GuardrailReaders,
  type GuardrailSettings,
  lookUpForGuardrails,
  rolesToLookUp,
  settleCurrentRoleConditions,
} from '../../core/associations/guardrails.ts';
import {
  decisionReadsEksctlStack,
  roleNameToInspect,
  roleRemoval,
} from '../../core/associations/plan.ts';
import type { AssociationRequest } from '../../core/associations/request.ts';
import type { BatchDocument, PlanItem, RoleUsage } from '../../core/associations/run-plan.ts';
import { issueLine } from '../../core/config/index.ts';
import {
  type EksctlRoleStack,
  eksctlRoleStackNotOwned,
  type FindEksctlRoleStack,
} from '../../core/eksctl-stacks.ts';
import { asError } from '../../core/errors.ts';
import { readOncePerKey } from '../../core/read-once.ts';

export interface PrepareAssociationBatchInput {
  runId: string;
  batch: number;
  dryRun: boolean;
  /**
   * The run's cluster and operation as the workflow's state carries them, out of reach of anyone
   * who can write to the run store: the batch document must say the same.
   */
  clusterName: string;
  operation: AssociationRequest['operation'];
}

type RoleReader = (
  roleName: string,
) => Promise<Pick<ExistingRole, 'name' | 'tags' | 'trustPolicy'> | undefined>;

/** The batch cluster's association of an id, as EKS describes it, or undefined when there is none. */
type AssociationReader = (associationId: string) => Promise<ExistingAssociation | undefined>;

export interface PrepareAssociationBatchDeps {
  /** The deployment's guardrails, checked again on what the batch is about to do. */
  guardrails: GuardrailSettings;
  /** Customer managed policy documents, read again as IAM has them now. */
  policyDocument: GuardrailReaders['policyDocument'];
  /** The batch's document, and the run store's seal of what was read. */
  loadBatch(
    runId: string,
    batch: number,
  ): Promise<{ value: BatchDocument; sealed: SealedDocument }>;
  /** The run's whole role usage document (see batchRoleUsage). */
  loadRoleUsage(runId: string): Promise<RoleUsage>;
  /** A role's name, tags and trust policy (and more), or undefined when there is no such role. */
  getRoleTrust: RoleReader;
  describeAssociation(
    clusterName: string,
    associationId: string,
  ): Promise<ExistingAssociation | undefined>;
  findEksctlRoleStack: FindEksctlRoleStack;
  /**
   * Deletes the stack (and so its role) when it bears the cluster's tag and its tags, read again,
   * show it is `owner`'s association's; waits until it is gone.
   */
  deleteEksctlRoleStack(
    stackName: string,
    clusterName: string,
    owner: { namespace: string; serviceAccount: string },
  ): Promise<void>;
}

/**
 * Refuses a document the run did not plan (RunDocumentTamperedError, nothing changed), then looks
 * up eksctl's role stack of each association whose decision reads one (delete, and update and
 * apply of an association that exists when the stack can change the decision) and, unless it is a
 * dry run or an all-or-nothing run with refused entries, deletes the stacks that a delete removes.
 * A stack that cannot be looked up or deleted fails its item in apply-association-batch, not the
 * batch.
 */
export async function prepareAssociationBatch(
  input: PrepareAssociationBatchInput,
  deps: PrepareAssociationBatchDeps,
): Promise<BatchPreparation> {
  const { value: document, sealed } = await deps.loadBatch(input.runId, input.batch);
  const mismatch = stateMismatch(input, document);
  if (mismatch !== undefined)
    throw new RunDocumentTamperedError(input.runId, input.batch, { mismatch });
  // One GetRole per role and one describe per association for the batch: the guardrails' tags and
  // current roles, whether a stack matters, the deletes' ownership checks, and the trust of the
  // roles entries name, which apply-association-batch then does not read again.
  const roles = readOncePerKey(deps.getRoleTrust);
  const described = new Map<string, ExistingAssociation>();
  const associations = readOncePerKey(async (associationId) => {
    const association = await deps.describeAssociation(input.clusterName, associationId);
    if (association) described.set(associationId, association);
    return association;
  });
  await recheckGuardrails(input, document, deps, { roles, associations });
  const removes = !input.dryRun && (document.refused ?? []).length === 0;
  const usedElsewhere = batchRoleUsage(document, () => deps.loadRoleUsage(input.runId));
  const findings = await pMap(
    document.items,
    (item) => eksctlStackOf(item, document, removes, { deps, roles, associations, usedElsewhere }),
    { concurrency: ITEM_CONCURRENCY },
  );
  return {
    document: sealed,
    eksctlStacks: findings.filter((finding) => finding !== undefined),
    roles: await givenRoles(document, deps.guardrails, roles),
    associations: preparedAssociations([...described.values()]),
  };
}

/**
 * The roles the batch's entries name by roleARN that the guardrail check just read, as
 * apply-association-batch checks them before passing one to EKS (see PreparedRole); each was read
 * once already, so this reads nothing.
 */
async function givenRoles(
  document: BatchDocument,
  guardrails: GuardrailSettings,
  roles: RoleReader,
): Promise<PreparedRole[]> {
  const checked = new Set(rolesToLookUp(document.request, guardrails));
  const named = document.request.entries.flatMap((entry) =>
    entry.role.kind === 'existing' && checked.has(entry.role.roleArn) ? [entry.role.roleArn] : [],
  );
  const names = [...new Set(named.flatMap((arn) => parseRoleArn(arn)?.name ?? []))];
  return pMap(names, async (name) => preparedRole(name, await roles(name)));
}

/** What the batch document says that the workflow's state says otherwise, if anything. */
function stateMismatch(
  input: PrepareAssociationBatchInput,
  document: BatchDocument,
): string | undefined {
  if (document.batch !== input.batch) return `holds batch ${document.batch}`;
  // plan-associations writes no batch for a get: its run lists and changes nothing.
  if (document.request.operation === 'get') return 'is a get request, which has no items to apply';
  if (document.request.clusterName !== input.clusterName)
    return `names cluster ${document.request.clusterName}, not ${input.clusterName}`;
  if (document.request.operation !== input.operation)
    return `names operation ${document.request.operation}, not ${input.operation}`;
  return undefined;
}

/**
 * Defence in depth: the run documents live in a bucket, and a document changed between
 * load-association-request and here would otherwise be carried out as written. The batch's own
 * entries are checked again (with the roles' tags and the customer managed policies' documents as
 * IAM has them now) before anything changes.
 *
 * The batch document is what is checked: the entries checked are exactly the entries carried
 * out, which is the guarantee the check gave when it read the batch's entries out of the whole
 * request (a request changed before planning reaches the batch documents and is caught here). A
 * digest of the request in the document would add nothing: it would sit in the same bucket as
 * what it vouches for. The seal of the document checked here travels instead through the
 * workflow's state, which no writer of the run store reaches, so apply-association-batch acts on
 * this document or on none. What the document cannot vouch for itself, the batch, cluster and
 * operation, is compared with the workflow's state before this (`stateMismatch`).
 *
 * A roleARN the guardrails allow only as the association's current role (guardrails.ts,
 * CurrentRoleCondition) is settled here on what EKS says now, not on the request's record of
 * what plan-associations settled: the association the document's item names is described, and
 * counts only when EKS says it is this cluster's association of the entry's namespace and service
 * account (the item's associationId is the document's word).
 */
async function recheckGuardrails(
  input: PrepareAssociationBatchInput,
  document: BatchDocument,
  deps: PrepareAssociationBatchDeps,
  { roles, associations }: { roles: RoleReader; associations: AssociationReader },
): Promise<void> {
  const { request } = document;
  const lookups = await lookUpForGuardrails(request, deps.guardrails, {
    roleTags: async (roleName) => (await roles(roleName))?.tags,
    policyDocument: deps.policyDocument,
  });
  const violations = await settleCurrentRoleConditions(
    findGuardrailViolations(request, deps.guardrails, lookups),
    (namespace, serviceAccount) => currentRole(document, namespace, serviceAccount, associations),
  );
  if (violations.length > 0) {
    throw new RunDocumentTamperedError(input.runId, input.batch, {
      violations: violations.map(issueLine),
    });
  }
}

/** The role of an entry's association, as EKS describes the one the batch's item names. */
async function currentRole(
  document: BatchDocument,
  namespace: string,
  serviceAccount: string,
  associations: AssociationReader,
): Promise<string | undefined> {
  const item = document.items.find(
    (candidate) =>
      candidate.kind === 'entry' &&
      candidate.namespace === namespace &&
      candidate.serviceAccount === serviceAccount,
  );
  if (item?.kind !== 'entry' || item.associationId === undefined) return undefined;
  const association = await associations(item.associationId);
  if (association?.namespace !== namespace || association.serviceAccount !== serviceAccount) {
    return undefined;
  }
  return association.roleArn;
}

interface StackReaders {
  deps: PrepareAssociationBatchDeps;
  roles: RoleReader;
  associations: AssociationReader;
  usedElsewhere: ReturnType<typeof batchRoleUsage>;
}

/**
 * The item's eksctl role stack, looked up where apply-association-batch's decision reads one:
 * update and apply of an association the plan found, when the stack can change the decision
 * (`stackMatters`), and delete (a stack left by an earlier, interrupted delete included). A delete's stack is deleted here when `roleRemoval` (the rule
 * decideItem follows) says so, as read now: the association is not an add-on's, its role is not
 * one eks-pia created for it, the stack's tags show it is this association's (its name may be
 * another's), and no other association uses the stack's own role. What decided it goes to
 * apply-association-batch with the finding, so that its decision is the same, dry run included.
 */
async function eksctlStackOf(
  item: PlanItem,
  document: BatchDocument,
  removes: boolean,
  { deps, roles, associations, usedElsewhere }: StackReaders,
): Promise<EksctlStackFinding | undefined> {
  const { request } = document;
  const operation = request.operation;
  // Prune and create never act on eksctl's stacks.
  if (item.kind !== 'entry' || operation === 'create' || operation === 'get') return undefined;
  if (operation !== 'delete' && item.associationId === undefined) return undefined;
  const { namespace, serviceAccount } = item;
  const finding: EksctlStackFinding = { namespace, serviceAccount };
  try {
    // A delete's decision always reads the stack; an update's or apply's, only when it can change it.
    if (
      operation !== 'delete' &&
      !(await stackMatters(item, request, operation, { roles, associations }))
    ) {
      return undefined;
    }
    const found = await deps.findEksctlRoleStack(request.clusterName, namespace, serviceAccount);
    if (found === undefined) return undefined;
    finding.stackName = found.stackName;
    if (operation !== 'delete') return finding;
    Object.assign(
      finding,
      await stackOwnership(found, { namespace, serviceAccount }, usedElsewhere),
    );
    if (!removes) return finding;
    const existing =
      item.associationId === undefined ? undefined : await associations(item.associationId);
    // apply-association-batch refuses to delete an add-on's association, and so keeps its stack.
    if (existing?.ownerArn) return finding;
    const desired = request.entries[item.entryIndex];
    const roleName = roleNameToInspect({ operation, desired, existing });
    const removal = roleRemoval(
      {
        operation,
        clusterName: request.clusterName,
        role: roleName === undefined ? undefined : await roles(roleName),
        roleInUseElsewhere:
          existing !== undefined &&
          usedElsewhere !== undefined &&
          (await usedElsewhere(existing.roleArn, item)),
        eksctlStack: {
          stackName: found.stackName,
          notOwned: finding.notOwned,
          roleArn: finding.roleArn,
          roleInUseElsewhere: finding.roleInUseElsewhere,
        },
      },
      namespace,
      serviceAccount,
    );
    if (removal.kind !== 'stack') return finding;
    await deps.deleteEksctlRoleStack(removal.stackName, request.clusterName, {
      namespace,
      serviceAccount,
    });
    finding.deleted = true;
    return finding;
  } catch (error) {
    finding.failure = asError(error).message;
    return finding;
  }
}

/**
 * Whether an update or apply item's decision can hang on eksctl's role stack
 * (`decisionReadsEksctlStack`), from the association and its role as read now: one
 * DescribePodIdentityAssociation (shared with the guardrails' current-role check) and the role's
 * GetRole (shared with the batch's other reads of it) instead of two DescribeStacks, and none at
 * all for an entry that names the role its association has, which is every entry of a rerun. An
 * association changed between this read and apply-association-batch's is decided there without the
 * stack, as one whose stack appeared in between is.
 */
async function stackMatters(
  item: Extract<PlanItem, { kind: 'entry' }>,
  request: BatchDocument['request'],
  operation: 'update' | 'apply',
  { roles, associations }: Pick<StackReaders, 'roles' | 'associations'>,
): Promise<boolean> {
  const existing =
    item.associationId === undefined ? undefined : await associations(item.associationId);
  const desired = request.entries[item.entryIndex];
  const roleName = roleNameToInspect({ operation, desired, existing });
  return decisionReadsEksctlStack(
    { operation, clusterName: request.clusterName, desired, existing },
    async () => (roleName === undefined ? undefined : roles(roleName)),
  );
}

/**
 * Whether a delete may remove the stack found under the association's name: its tags must show it
 * is this association's, and no other association may use the role the stack itself names. That
 * role is the stack's, not the association's: the association may be gone (an interrupted delete
 * left the stack), or may use another role while the stack's role serves someone else.
 */
async function stackOwnership(
  stack: EksctlRoleStack,
  self: { namespace: string; serviceAccount: string },
  usedElsewhere: StackReaders['usedElsewhere'],
): Promise<Pick<EksctlStackFinding, 'notOwned' | 'roleArn' | 'roleInUseElsewhere'>> {
  const notOwned = eksctlRoleStackNotOwned(stack, self.namespace, self.serviceAccount);
  if (notOwned !== undefined) return { notOwned };
  const { roleArn } = stack;
  // Without the role, or the plan's role usage, whether it serves another cannot be told.
  if (roleArn === undefined) return {};
  if (usedElsewhere === undefined) return { roleArn };
  return { roleArn, roleInUseElsewhere: await usedElsewhere(roleArn, self) };
}
