import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { listAddonRoles } from '../../../functions/aws/addons.ts';
import { s3Client } from '../../../functions/aws/clients.ts';
import { getRoleTrust } from '../../../functions/aws/iam.ts';
import { listOidcProviders } from '../../../functions/aws/oidc.ts';
import {
  configBucket,
  findRunDocument,
  getRunDocument,
  putRunDocument,
  RunDocumentInvalidError,
} from '../../../functions/aws/run-store.ts';
import { listIamServiceAccountStacks } from '../../../functions/aws/stacks.ts';
import { MIGRATION_DOCUMENTS, runDocumentKey } from '../../../functions/core/run-documents.ts';
import { ACCOUNT, type Simulated, simulate, WORLD_HEADER } from '../aws/simulated.ts';

const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/DEMO1`;
const TRUST = `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Federated: "${PROVIDER}"}, Action: "sts:AssumeRoleWithWebIdentity"}]}`;
const LAMBDA_TRUST = `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}`;
const SA_TAG = 'alpha.eksctl.io/iamserviceaccount-name';

const addons = Array.from({ length: 12 }, (_, index) =>
  index % 4 === 0
    ? `{name: addon-${index}, version: v1, serviceAccountRoleArn: "arn:aws:iam::${ACCOUNT}:role/addon-${index}"}`
    : `{name: addon-${index}, version: v1}`,
).join(', ');

const world = `${WORLD_HEADER}
clusters:
  - name: demo
    addons: [${addons}]
openIdConnectProviders: ["${PROVIDER}", "arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/OTHER"]
roles:
  - {name: automation, assumeRolePolicyDocument: ${LAMBDA_TRUST}}
  - {name: app, path: /teams/, assumeRolePolicyDocument: ${TRUST}}
  - {name: with-output, assumeRolePolicyDocument: ${TRUST}}
  - {name: without-output, assumeRolePolicyDocument: ${TRUST}}
stacks:
  - {name: eksctl-demo-addon-iamserviceaccount-a-one, roles: [with-output], outputs: {Role1: "arn:aws:iam::${ACCOUNT}:role/with-output"},
     tags: {"${SA_TAG}": a/one, alpha.eksctl.io/cluster-name: demo}}
  - {name: eksctl-other-addon-iamserviceaccount-b-two, roles: [without-output], tags: {"${SA_TAG}": b/two, alpha.eksctl.io/cluster-name: other}}
  - {name: eksctl-demo-nodegroup, roles: [automation], tags: {alpha.eksctl.io/cluster-name: demo}}
  - {name: eksctl-demo-addon-iamserviceaccount-gone, status: DELETE_COMPLETE, roles: [app], tags: {"${SA_TAG}": c/three}}
`;

describe('migration adapters on the simulator', () => {
  let simulated: Simulated;
  before(async () => {
    simulated = await simulate(world);
  });
  after(async () => {
    await simulated.stop();
  });

  it('lists the account OIDC providers', async () => {
    const providers = await listOidcProviders();
    assert.equal(providers.length, 2);
    assert.ok(providers.includes(PROVIDER));
  });

  it('lists the IRSA roles of add-ons, leaving out add-ons without one', async () => {
    const roles = await listAddonRoles('demo');
    assert.deepEqual(roles.map((role) => role.addonName).sort(), ['addon-0', 'addon-4', 'addon-8']);
    assert.equal(
      roles.find((role) => role.addonName === 'addon-4')?.roleArn,
      `arn:aws:iam::${ACCOUNT}:role/addon-4`,
    );
  });

  it('lists live eksctl iamserviceaccount stacks with their roles, from the Role1 output or the stack resources', async () => {
    const stacks = await listIamServiceAccountStacks();
    assert.deepEqual(
      stacks.map((stack) => [
        stack.stackName,
        stack.clusterName,
        stack.serviceAccount,
        stack.roleNames,
      ]),
      [
        ['eksctl-demo-addon-iamserviceaccount-a-one', 'demo', 'a/one', ['with-output']],
        ['eksctl-other-addon-iamserviceaccount-b-two', 'other', 'b/two', ['without-output']],
      ],
    );
    const mark = simulated.sim.calls.length;
    await listIamServiceAccountStacks();
    assert.equal(simulated.callsSince(mark, 'ListStackResources').length, 1);
  });

  it('reads a role trust policy decoded, with its path, and answers undefined for a missing role', async () => {
    const role = await getRoleTrust('app');
    assert.equal(role?.arn, `arn:aws:iam::${ACCOUNT}:role/teams/app`);
    assert.equal(role?.path, '/teams/');
    assert.deepEqual(role?.trustPolicy.Statement, [
      {
        Effect: 'Allow',
        Principal: { Federated: PROVIDER },
        Action: 'sts:AssumeRoleWithWebIdentity',
      },
    ]);
    assert.equal(await getRoleTrust('missing'), undefined);
  });

  it('finds a run document, or answers undefined for one never written', async () => {
    await putRunDocument('run-1', MIGRATION_DOCUMENTS.trust(0), [
      { roleIndex: 0, result: 'added' },
    ]);
    assert.deepEqual(await findRunDocument('run-1', MIGRATION_DOCUMENTS.trust(0)), [
      { roleIndex: 0, result: 'added' },
    ]);
    assert.equal(await findRunDocument('run-1', MIGRATION_DOCUMENTS.trust(1)), undefined);
  });

  it('refuses a run document that is not what its table says, naming the field', async () => {
    await s3Client().send(
      new PutObjectCommand({
        Bucket: configBucket(),
        Key: runDocumentKey('run-1', MIGRATION_DOCUMENTS.trust(2).name),
        Body: JSON.stringify([{ roleIndex: 0, result: 'maybe' }]),
      }),
    );
    await assert.rejects(
      getRunDocument('run-1', MIGRATION_DOCUMENTS.trust(2)),
      (error: unknown) =>
        error instanceof RunDocumentInvalidError &&
        error.message.includes('runs/run-1/trust-2.json') &&
        error.message.includes('[0].result'),
    );
  });
});
