/**
 * Writes the permission tables of README.md (infra/permission-tables.ts) from the tasks'
 * descriptors and infra/grants.ts; test/infra/permission-tables.test.ts fails when the README
 * holds other tables.
 *
 * `node --import tsx scripts/permission-tables.ts` after a change to a task's AWS calls or grants.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GRANTS, UNGRANTED_CALLS } from '../infra/grants.ts';
import { FUNCTIONS_DIR, PROJECT_ROOT } from '../infra/paths.ts';
import { permissionTables, withPermissionTables } from '../infra/permission-tables.ts';

export const README_FILE = join(PROJECT_ROOT, 'README.md');

if (process.argv[1] === import.meta.filename) {
  const readme = readFileSync(README_FILE, 'utf8');
  writeFileSync(
    README_FILE,
    withPermissionTables(readme, permissionTables(FUNCTIONS_DIR, GRANTS, UNGRANTED_CALLS)),
  );
}
