/**
 * The README's permission tables, generated from what the stack itself reads: each task's
 * descriptor (its AWS calls and grants) and the grants of infra/grants.ts, built as the stack
 * builds them. `node --import tsx scripts/permission-tables.ts` writes them into README.md;
 * test/infra/permission-tables.test.ts fails when the README holds other tables.
 */
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { readTaskDescriptor } from '../functions/core/task-descriptor.ts';
import { listTasks } from '../functions/core/workflow-files.ts';
import { PermissionTablesMarkerError } from './errors.ts';
import { allowsOnlyCallsVia, type GrantTable, standaloneGrantContext } from './task-permissions.ts';

export const PERMISSION_TABLES_START =
  '<!-- permission tables: generated from the tasks’ descriptors and infra/grants.ts by `node --import tsx scripts/permission-tables.ts`; do not edit by hand -->';
export const PERMISSION_TABLES_END = '<!-- end of permission tables -->';

/**
 * `eks: DescribeCluster, ListAddons; s3: GetObject`, in the order first listed; `note` may add a
 * word to an action.
 */
function byService(actions: Iterable<string>, note: (action: string) => string = () => ''): string {
  const services = new Map<string, string[]>();
  for (const action of actions) {
    const [service = '', name = ''] = action.split(':');
    const names = services.get(service) ?? [];
    const noted = `${name}${note(action)}`;
    if (!names.includes(noted)) names.push(noted);
    services.set(service, names);
  }
  return [...services].map(([service, names]) => `${service}: ${names.join(', ')}`).join('; ');
}

function taskColumn(group: string, task: string, sharedRole?: string, kubernetesApi?: boolean) {
  const notes = [
    ...(sharedRole === undefined ? [] : [`role ${sharedRole}`]),
    ...(kubernetesApi === true ? ['Kubernetes API'] : []),
  ];
  return `${group}/${task}${notes.length === 0 ? '' : ` (${notes.join(', ')})`}`;
}

/** A Markdown table with its columns padded to one width, as the README's other tables are. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map((row) => line(row)),
  ].join('\n');
}

/**
 * The two tables: what each task calls and is granted, and what each grant allows and why; then
 * the calls no grant allows (`ungrantedCalls`, with why), marked in the first table.
 */
export function permissionTables(
  functionsDir: string,
  grants: GrantTable,
  ungrantedCalls: Readonly<Record<string, string>>,
): string {
  const ungranted = (call: string) => (Object.hasOwn(ungrantedCalls, call) ? ' (no grant)' : '');
  const taskRows = [...listTasks(functionsDir)]
    .map(([task, dir]) => ({ task, group: path.basename(path.dirname(dir)) }))
    .sort((a, b) => `${a.group}/${a.task}`.localeCompare(`${b.group}/${b.task}`))
    .map(({ task, group }) => {
      const descriptor = readTaskDescriptor(functionsDir, task);
      return [
        taskColumn(group, task, descriptor.sharedRole, descriptor.kubernetesApi),
        descriptor.awsCalls.length === 0 ? 'none' : byService(descriptor.awsCalls, ungranted),
        descriptor.grants.length === 0 ? 'none' : descriptor.grants.join(', '),
      ];
    });
  const grantRows = Object.entries(grants).map(([name, grant]) => {
    const { statements } = grant.build(standaloneGrantContext(new Stack(new App(), 'Grants')));
    const own = statements.filter((statement) => !allowsOnlyCallsVia(statement));
    const via = statements.filter(allowsOnlyCallsVia);
    const actions = [
      own.length === 0 ? 'none' : byService(own.flatMap((statement) => statement.actions)),
      ...(via.length === 0
        ? []
        : [`through CloudFormation only: ${byService(via.flatMap((s) => s.actions))}`]),
    ].join('; ');
    return [name, actions, grant.summary];
  });
  return [
    table(['task (role)', 'AWS calls', 'grants'], taskRows),
    '',
    table(['grant', 'IAM actions', 'scope and why'], grantRows),
    '',
    'Calls no grant allows, on purpose:',
    '',
    ...Object.entries(ungrantedCalls).map(([call, why]) => `- \`${call}\`: ${why}.`),
  ].join('\n');
}

/** `readme` with the text between the permission table markers replaced by `tables`. */
export function withPermissionTables(readme: string, tables: string): string {
  const start = readme.indexOf(PERMISSION_TABLES_START);
  const end = readme.indexOf(PERMISSION_TABLES_END);
  if (start < 0 || end < start || readme.indexOf(PERMISSION_TABLES_START, start + 1) >= 0) {
    throw new PermissionTablesMarkerError(
      `README.md must hold the line ${PERMISSION_TABLES_START} once, followed by ` +
        `${PERMISSION_TABLES_END}: the permission tables are written between them`,
    );
  }
  return `${readme.slice(0, start + PERMISSION_TABLES_START.length)}\n\n${tables}\n\n${readme.slice(end)}`;
}
