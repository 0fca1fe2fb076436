import pMap from 'p-map';
import { parseRoleArn } from '../../core/arn.ts';
import type { DesiredAssociation } from '../../core/associations/desired.ts';
import type { ExistingAssociation, ExistingRole } from '../../core/associations/existing.ts';
import { checkCurrentRoleConditions } from '../../core/associations/guardrail-violations.ts';
import {
  decideItem,
  decisionReadsEksctlStack,
  type ItemDecision,
  needsKubernetes,
  pruneCandidates,
  roleNameToInspect,
} from '../../core/associations/plan.ts';
import type { AssociationRequest } from '../../core/associations/request.ts';
import { describeSource } from '../../core/associations/request-source.ts';
import {
  type BatchDocument,
  batchDocument,
  type PlanDocument,
  type PlanItem,
  type RefusedEntry,
  type RoleUsage,
  rolesToCreate,
  type UndeclaredAssociation,
} from '../../core/associations/run-plan.ts';
import type { FindEksctlRoleStack } from '../../core/eksctl-stacks.ts';
import { madeByEksPia } from '../../core/naming.ts';

/**
 * Items per Map iteration. At 50, 5,000 associations make 100 iterations: a few hundred history
 * events (the hard limit is 25,000) and well under one state transition per association, while a
 * batch still finishes far inside the Lambda timeout when IAM or EKS throttle.
 */
export const BATCH_SIZE = 50;

export interface PlanSummary {
  itemCount: number;
  batches: number[];
  needsKubernetes: boolean;
  kubernetes: { namespaces: string[]; createsServiceAccounts: boolean };
  /** How many associations the plan document lists as undeclared; absent when the run is not an apply. */
  undeclared?: number;
}

export interface PlanDeps {
  loadAssociationRequest(runId: string): Promise<AssociationRequest>;
  listAssociations(clusterName: string): Promise<
    {
      associationId: string;
      namespace: string;
      serviceAccount: string;
      ownerArn?: string | undefined;
    }[]
  >;
  describeAll(clusterName: string, ids: string[]): Promise<ExistingAssociation[]>;
  getRoleState(roleName: string): Promise<ExistingRole | undefined>;
  /** eksctl's role stack of an association, which changes what update and delete may do. */
  findEksctlRoleStack: FindEksctlRoleStack;
  /**
   * The name of every role of the account. IAM names are unique whatever the path, so a role of
   * another path blocks a CreateRole as surely as one eks-pia made.
   */
  listRoleNames(): Promise<string[]>;
  savePlan(runId: string, plan: PlanDocument): Promise<string>;
  saveRoleUsage(runId: string, usage: RoleUsage): Promise<string>;
  saveBatch(runId: string, document: BatchDocument): Promise<string>;
}

/** Batch documents written at once. */
const SAVE_CONCURRENCY = 8;

/** Roles read at once while checking the entries of an update. */
const CHECK_CONCURRENCY = 5;

/**
 * Lists the cluster's associations once (every page) and lays out the run's items in batches.
 * First it refuses the run (PolicyGuardViolation) when an entry names as roleARN a role the
 * guardrails allow only as the association's current role, and the association has another (see
 * currentRole).
 * Describing every association (N+1 calls) happens only when roles may be deleted, associations
 * pruned, or (update) every entry is checked before any change: update and delete change nothing
 * when one entry cannot be carried out, as in eksctl (apply keeps per-item outcomes).
 */
export async function planAssociations(runId: string, deps: PlanDeps): Promise<PlanSummary> {
  const request = await deps.loadAssociationRequest(runId);
  const summaries = await deps.listAssociations(request.clusterName);
  const idByKey = new Map(
    summaries.map((summary) => [
      `${summary.namespace}/${summary.serviceAccount}`,
      summary.associationId,
    ]),
  );
  await checkCurrentRoleConditions(
    describeSource(request.source),
    request.currentRoleConditions ?? [],
    (ns, sa) => currentRole(request.clusterName, idByKey.get(`${ns}/${sa}`), deps),
  );
  const items: PlanItem[] = request.entries.map((entry, entryIndex) => ({
    kind: 'entry',
    entryIndex,
    namespace: entry.namespace,
    serviceAccount: entry.serviceAccount,
    associationId: idByKey.get(`${entry.namespace}/${entry.serviceAccount}`),
  }));

  const rolesMayBeDeleted = request.operation === 'delete' || request.prune;
  let roleUsage: RoleUsage | undefined;
  let refused: RefusedEntry[] = [];
  if (request.operation === 'update') {
    const ids = items.flatMap((item) =>
      item.kind === 'entry' && item.associationId ? [item.associationId] : [],
    );
    const described = await deps.describeAll(request.clusterName, ids);
    refused = await refusedEntries(request, items, described, deps);
  }
  let everyAssociation: ExistingAssociation[] | undefined;
  if (rolesMayBeDeleted) {
    const described = await deps.describeAll(
      request.clusterName,
      summaries.map((summary) => summary.associationId),
    );
    if (request.operation === 'delete') {
      refused = await refusedEntries(request, items, described, deps);
    }
    everyAssociation = described;
    roleUsage = described.map(({ namespace, serviceAccount, roleArn }) => ({
      namespace,
      serviceAccount,
      roleArn,
    }));
    if (request.operation === 'apply' && request.prune) {
      for (const existing of pruneCandidates(described, request.entries, request.clusterName)) {
        items.push({
          kind: 'prune',
          namespace: existing.namespace,
          serviceAccount: existing.serviceAccount,
          existing,
        });
      }
    }
  }

  const kubernetesItems =
    refused.length > 0
      ? []
      : items.filter((item) =>
          item.kind === 'prune'
            ? needsKubernetes('prune', undefined, true)
            : needsKubernetes(
                request.operation as 'create' | 'update' | 'delete' | 'apply',
                request.entries[item.entryIndex],
                item.associationId !== undefined,
              ),
        );
  // An apply of add-ons alone lists none: it declares no associations, so it judges none.
  const undeclared =
    request.operation !== 'apply'
      ? undefined
      : request.declaresEveryAssociation
        ? await undeclaredAssociations(
            request.clusterName,
            summaries,
            items,
            everyAssociation,
            deps,
          )
        : [];
  const plan: PlanDocument = {
    batchSize: BATCH_SIZE,
    items,
    ...(undeclared !== undefined ? { undeclared } : {}),
    ...(refused.length > 0 ? { refused } : {}),
  };
  await Promise.all([
    deps.savePlan(runId, plan),
    roleUsage === undefined ? undefined : deps.saveRoleUsage(runId, roleUsage),
  ]);
  const planned = {
    roleUsage,
    roles: new Map(
      (everyAssociation ?? []).map((association) => [
        association.associationId,
        association.roleArn,
      ]),
    ),
    accountRoles: await accountRolesForDryRun(request, items, deps),
  };
  const batches = Array.from({ length: Math.ceil(items.length / BATCH_SIZE) }, (_, index) => index);
  await pMap(
    batches,
    (batch) => deps.saveBatch(runId, batchDocument(request, plan, batch, planned)),
    { concurrency: SAVE_CONCURRENCY },
  );
  return {
    itemCount: items.length,
    batches,
    needsKubernetes: kubernetesItems.length > 0,
    kubernetes: {
      namespaces: [...new Set(kubernetesItems.map((item) => item.namespace))].sort(),
      createsServiceAccounts: kubernetesItems.some(
        (item) =>
          item.kind === 'entry' && request.entries[item.entryIndex]?.createServiceAccount === true,
      ),
    },
    ...(undeclared !== undefined ? { undeclared: undeclared.length } : {}),
  };
}

/**
 * A dry run's view of the roles its creates would make (see roleToCreate): the names of the
 * account's roles, lower-cased as IAM compares them, from one listing of the account, rather than
 * a GetRole per new role that would mostly answer 404. Undefined for a run (its CreateRole tells),
 * and when no entry would create a role.
 */
async function accountRolesForDryRun(
  request: AssociationRequest,
  items: readonly PlanItem[],
  deps: PlanDeps,
): Promise<Set<string> | undefined> {
  if (!request.dryRun) return undefined;
  if (rolesToCreate(items, request.operation, request.entries).length === 0) return undefined;
  return new Set((await deps.listRoleNames()).map((name) => name.toLowerCase()));
}

/**
 * The role of the cluster's association `associationId` (found by the listing), as EKS describes
 * it now; undefined when there is none. The guardrails let an entry name, as its roleARN, a role
 * the deployment does not otherwise allow only when it is this one (guardrails.ts,
 * CurrentRoleCondition): settled here, before any step of the run changes anything (add-ons,
 * Kubernetes access and the batches come after this one), so a dry run refuses what the run
 * would; prepare-association-batch settles it again for each batch.
 */
async function currentRole(
  clusterName: string,
  associationId: string | undefined,
  deps: PlanDeps,
): Promise<string | undefined> {
  if (associationId === undefined) return undefined;
  const [described] = await deps.describeAll(clusterName, [associationId]);
  return described?.roleArn;
}

/**
 * The cluster's associations the run neither declares nor prunes, sorted, each with whether an
 * eks-pia run made it (its tags: read from what the plan described already, else one
 * DescribePodIdentityAssociation each, undeclared ones only). An add-on's are the add-on's to
 * manage, so they are not counted.
 */
async function undeclaredAssociations(
  clusterName: string,
  summaries: Awaited<ReturnType<PlanDeps['listAssociations']>>,
  items: readonly PlanItem[],
  described: readonly ExistingAssociation[] | undefined,
  deps: PlanDeps,
): Promise<UndeclaredAssociation[]> {
  const planned = new Set(items.map((item) => `${item.namespace}/${item.serviceAccount}`));
  const undeclared = summaries.filter(
    (summary) =>
      !summary.ownerArn && !planned.has(`${summary.namespace}/${summary.serviceAccount}`),
  );
  const describedAlready = described ?? [];
  const known = new Set(describedAlready.map((association) => association.associationId));
  const missing = undeclared.map((summary) => summary.associationId).filter((id) => !known.has(id));
  const byId = new Map(
    [
      ...describedAlready,
      ...(missing.length > 0 ? await deps.describeAll(clusterName, missing) : []),
    ].map((association) => [association.associationId, association]),
  );
  return undeclared
    .map(({ namespace, serviceAccount, associationId }) => {
      const association = byId.get(associationId);
      return {
        namespace,
        serviceAccount,
        associationId,
        createdByEksPia: association !== undefined && madeByEksPia(association.tags),
      };
    })
    .sort(
      (a, b) =>
        a.namespace.localeCompare(b.namespace) || a.serviceAccount.localeCompare(b.serviceAccount),
    );
}

/**
 * The entries of an update or delete that cannot be carried out, decided on the state read now
 * (the association, and for an update its role): eksctl's plan phase, where one failing entry
 * stops everything before a change. The batches decide again on live state when they run.
 */
async function refusedEntries(
  request: AssociationRequest,
  items: readonly PlanItem[],
  described: readonly ExistingAssociation[],
  deps: PlanDeps,
): Promise<RefusedEntry[]> {
  const operation = request.operation;
  if (operation !== 'update' && operation !== 'delete') return [];
  const byId = new Map(described.map((association) => [association.associationId, association]));
  const decisions = await pMap(
    items,
    async (item) => {
      if (item.kind !== 'entry') return undefined;
      const desired = request.entries[item.entryIndex];
      if (!desired) return undefined;
      const existing = item.associationId ? byId.get(item.associationId) : undefined;
      const roleName =
        operation === 'update' ? roleNameToInspect({ operation, desired, existing }) : undefined;
      const role = roleName ? await deps.getRoleState(roleName) : undefined;
      const state = { operation, clusterName: request.clusterName, desired, existing, role };
      // eksctl's role stack decides what update and delete may do, as in apply-association-batch;
      // an update that keeps the association's role is decided alike without it.
      const eksctlStack = (await decisionReadsEksctlStack(state, async () => role))
        ? await deps.findEksctlRoleStack(
            request.clusterName,
            desired.namespace,
            desired.serviceAccount,
          )
        : undefined;
      const decision = decideItem({ ...state, eksctlStack });
      const missing = await missingGivenRole(request, desired, decision, deps);
      return missing ? { ...decision, result: 'failed' as const, reason: missing } : decision;
    },
    { concurrency: CHECK_CONCURRENCY },
  );
  return decisions.flatMap((decision) =>
    decision?.result === 'failed'
      ? [
          {
            namespace: decision.namespace,
            serviceAccount: decision.serviceAccount,
            reason: decision.reason,
          },
        ]
      : [],
  );
}

/**
 * A role an update moves an association to must exist: EKS answers a missing role the way it
 * answers one IAM has not propagated yet, so the update would retry for minutes and then fail.
 * Another account's role is EKS's to judge.
 */
async function missingGivenRole(
  request: AssociationRequest,
  desired: DesiredAssociation,
  decision: ItemDecision,
  deps: PlanDeps,
): Promise<string | undefined> {
  const roleArn = decision.changes.association?.roleArn;
  if (request.operation !== 'update' || roleArn === undefined) return undefined;
  const arn = parseRoleArn(roleArn);
  if (!arn || arn.account !== request.account) return undefined;
  if (await deps.getRoleState(arn.name)) return undefined;
  return `error updating pod identity association "${desired.namespace}/${desired.serviceAccount}": IAM role ${roleArn} does not exist; create it with a trust policy for pods.eks.amazonaws.com, or fix roleARN`;
}
