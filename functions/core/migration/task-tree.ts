/**
 * The migration's task list in eksctl's words and shape (`3 sequential tasks: { ... }`), so a
 * plan reads like `eksctl utils migrate-to-pod-identity` output. The order is this service's,
 * which differs from eksctl's on purpose: every role's trust is written once before any
 * association, and annotations and OIDC trust are removed only after the associations exist.
 */

import { addonMigrationSteps, addonsToMigrate } from './addons.ts';
import {
  agentToInstall,
  describeServiceAccount,
  type MigrationPlan,
  pendingSteps,
  serviceAccountsOf,
} from './plan.ts';

export type TaskNode = string | { mode: 'sequential' | 'parallel'; tasks: TaskNode[] };

/** Sub-tasks listed per group before the rest are counted, to keep plans of thousands readable. */
export const MAX_LISTED_TASKS = 20;

function quotedServiceAccounts(plan: MigrationPlan, indexes: readonly number[]): string {
  return indexes
    .map((index) => {
      const sa = plan.serviceAccounts[index];
      return sa ? `"${describeServiceAccount(sa)}"` : '';
    })
    .join(', ');
}

/** The tasks an approved run carries out, in order; service accounts whose role is too full are left out. */
export function migrationTaskTree(plan: MigrationPlan): TaskNode {
  const steps = plan.serviceAccounts.map((_, index) => pendingSteps(plan, index));
  const runnable = (index: number) => steps[index]?.blocked === undefined;
  const trustTasks = plan.roles.flatMap((role) => {
    if (role.trust === 'add' && role.stackName === undefined) {
      return [`update trust policy for unowned role "${role.name}"`];
    }
    if (role.throughStack && (role.trust === 'add' || role.stackTagPending)) {
      return [
        `update trust policy for owned role "${role.name}" (change set on CloudFormation stack "${role.stackName}")`,
      ];
    }
    return role.trust === 'add'
      ? [
          `update trust policy for owned role "${role.name}" (outside CloudFormation stack "${role.stackName}")`,
        ]
      : [];
  });
  const associationTasks = plan.serviceAccounts.flatMap((sa, index) =>
    steps[index]?.association && runnable(index)
      ? [`create pod identity association for service account "${describeServiceAccount(sa)}"`]
      : [],
  );
  const annotationTasks = plan.serviceAccounts.flatMap((sa, index) =>
    steps[index]?.annotation && runnable(index)
      ? [
          `remove iamserviceaccount EKS role annotation for "${describeServiceAccount(sa)}"${sa.annotation === undefined ? ' (if present)' : ''}`,
        ]
      : [],
  );
  const oidcTasks = plan.roles.flatMap((role) => {
    const members = serviceAccountsOf(role).filter(
      (index) => steps[index]?.oidcTrust && runnable(index),
    );
    return members.length > 0
      ? [
          `remove OIDC provider trust for ${quotedServiceAccounts(plan, members)} from role "${role.name}"${role.throughStack ? ` (change set on CloudFormation stack "${role.stackName}")` : ''}`,
        ]
      : [];
  });
  const agent = agentToInstall(plan);
  const addonTasks = addonsToMigrate(plan.addons).map(
    (addon): TaskNode => ({ mode: 'sequential', tasks: addonMigrationSteps(addon) }),
  );
  const tasks: TaskNode[] = [
    ...(agent ? [`install ${agent} addon`] : []),
    ...(addonTasks.length > 0 ? [{ mode: 'parallel' as const, tasks: addonTasks }] : []),
    ...[trustTasks, associationTasks, annotationTasks, oidcTasks]
      .filter((group) => group.length > 0)
      .map((group): TaskNode => ({ mode: 'parallel', tasks: group })),
  ];
  return { mode: 'sequential', tasks };
}

function countTasks(node: TaskNode): number {
  return typeof node === 'string' ? 1 : node.tasks.length;
}

function describeNode(
  node: TaskNode,
  depth: number,
  maxListed: number,
  lines: string[],
  suffix: string,
): void {
  const indent = '    '.repeat(depth);
  if (typeof node === 'string') {
    lines.push(`${indent}${node}${suffix}`);
    return;
  }
  const [only] = node.tasks;
  if (node.tasks.length === 1 && only !== undefined) {
    describeNode(only, depth, maxListed, lines, suffix);
    return;
  }
  const count = countTasks(node);
  const noun = depth === 0 ? 'task' : 'sub-task';
  lines.push(`${indent}${count} ${node.mode} ${noun}${count === 1 ? '' : 's'}: {`);
  for (const child of node.tasks.slice(0, maxListed)) {
    describeNode(child, depth + 1, maxListed, lines, ',');
  }
  if (node.tasks.length > maxListed) {
    lines.push(`${indent}    ... and ${node.tasks.length - maxListed} more`);
  }
  lines.push(`${indent}}${suffix}`);
}

/** The tree as lines, eksctl's format with one task per line; `no tasks` when there is nothing to do. */
export function describeTaskTree(node: TaskNode, maxListed = MAX_LISTED_TASKS): string[] {
  if (typeof node !== 'string' && node.tasks.length === 0) return ['no tasks'];
  const lines: string[] = [];
  describeNode(node, 0, maxListed, lines, '');
  return lines;
}
