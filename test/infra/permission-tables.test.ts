import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PermissionTablesMarkerError } from '../../infra/errors.ts';
import { GRANTS, UNGRANTED_CALLS } from '../../infra/grants.ts';
import { FUNCTIONS_DIR } from '../../infra/paths.ts';
import {
  PERMISSION_TABLES_END,
  PERMISSION_TABLES_START,
  permissionTables,
  withPermissionTables,
} from '../../infra/permission-tables.ts';
import { README_FILE } from '../../scripts/permission-tables.ts';
import { FIXTURE_FUNCTIONS_DIR } from './fixture-stack.ts';

describe('the README’s permission tables', () => {
  it('are the ones the tasks’ descriptors and infra/grants.ts give', () => {
    const readme = readFileSync(README_FILE, 'utf8');

    assert.ok(
      readme ===
        withPermissionTables(readme, permissionTables(FUNCTIONS_DIR, GRANTS, UNGRANTED_CALLS)),
      'README.md has other permission tables than the descriptors and grants give: run ' +
        '`node --import tsx scripts/permission-tables.ts` and commit README.md',
    );
  });

  it('list each task with its role, its AWS calls by service and its grants, each grant, and the calls no grant allows', () => {
    const tables = permissionTables(
      FIXTURE_FUNCTIONS_DIR,
      { 'describe-clusters': GRANTS['describe-clusters'] ?? assert.fail('no describe-clusters') },
      { 'eks:DescribeCluster': 'a fixture’s reason' },
    );

    assert.match(
      tables,
      /^\| associations\/apply-association-batch \(role AssociationsKubernetes, Kubernetes API\) +\| eks: CreatePodIdentityAssociation, DeletePodIdentityAssociation/m,
    );
    assert.match(tables, /^\| parent\/write-report +\| none +\| none +\|$/m);
    assert.match(
      tables,
      /^\| shared\/lookup-cluster +\| eks: DescribeCluster \(no grant\) +\| describe-clusters +\|$/m,
    );
    assert.match(tables, /^\| describe-clusters +\| eks: DescribeCluster +\| status, version/m);
    assert.match(tables, /^- `eks:DescribeCluster`: a fixture’s reason\.$/m);
  });

  it('refuse a README without one place for them', () => {
    const tables = 'tables';
    for (const readme of [
      'no markers',
      `${PERMISSION_TABLES_END}\n${PERMISSION_TABLES_START}`,
      `${PERMISSION_TABLES_START}\n${PERMISSION_TABLES_START}\n${PERMISSION_TABLES_END}`,
    ]) {
      assert.throws(() => withPermissionTables(readme, tables), PermissionTablesMarkerError);
    }
    assert.equal(
      withPermissionTables(
        `a\n${PERMISSION_TABLES_START}\nold\n${PERMISSION_TABLES_END}\nb`,
        tables,
      ),
      `a\n${PERMISSION_TABLES_START}\n\ntables\n\n${PERMISSION_TABLES_END}\nb`,
    );
  });
});
