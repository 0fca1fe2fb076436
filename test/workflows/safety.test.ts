/**
 * Issue 11, as a user would try it: what eks-pia did not create is never changed or deleted,
 * input over a limit is refused before anything changes, update and delete are all-or-nothing,
 * a failure after CreateRole leaves no role behind, and an interrupted migration converges.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { main } from '../../local/cli/main.ts';
import { WorkflowFailedError } from '../../local/runner/run-workflow.ts';
import { associations, associationsWorldYaml } from './faults/scenarios.ts';
import { type SimulatedRun, simulate } from './harness.ts';

const ACCOUNT = '111122223333';
const READER = `arn:aws:iam::${ACCOUNT}:role/app-data-reader`;
const OTHER = `arn:aws:iam::${ACCOUNT}:role/other-reader`;
const MANAGED_BY = 'app.kubernetes.io/managed-by';
const ISSUER = 'oidc.eks.us-west-2.amazonaws.com/id/DEMO1';

interface Report {
  counts: Record<string, number>;
  items: { namespace: string; serviceAccount: string; result: string; reason?: string }[];
  warnings: string[];
}

function world(options: Parameters<typeof associationsWorldYaml>[0] = {}): string {
  return associationsWorldYaml({ serviceAccounts: '[]', ...options });
}

function config(operation: string, ...entries: string[]): unknown {
  return associations(operation, entries).input;
}

const HELM_WEB = `[{namespace: default, name: web, labels: {${MANAGED_BY}: Helm}}]`;

describe('safety: what eks-pia did not create', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('never relabels, takes over or deletes a Helm service account used by a running pod', async () => {
    sim = await simulate(world({ serviceAccounts: HELM_WEB }));
    const created = (await sim.run(
      'associations',
      config(
        'create',
        `{namespace: default, serviceAccountName: web, createServiceAccount: true, roleARN: "${READER}"}`,
      ),
    )) as Report;
    assert.equal(created.counts.created, 1);
    assert.ok(
      created.warnings.some((warning) => /managed by Helm.*never delete it/.test(warning)),
      created.warnings.join('\n'),
    );
    let cluster = sim.simulator.dump().clusters[0];
    assert.deepEqual(cluster?.serviceAccounts.find((sa) => sa.name === 'web')?.labels, {
      [MANAGED_BY]: 'Helm',
    });
    assert.equal(
      cluster?.podIdentityAssociations[0]?.tags['eks-pia/service-account-created'],
      undefined,
    );
    assert.ok(
      !sim.mutatingSince(0).some((call) => call.startsWith('kubernetes:')),
      'no Kubernetes write',
    );

    const deleted = (await sim.run(
      'associations',
      config('delete', '{namespace: default, serviceAccountName: web}'),
    )) as Report;
    assert.equal(deleted.counts.deleted, 1);
    cluster = sim.simulator.dump().clusters[0];
    assert.deepEqual(cluster?.podIdentityAssociations, []);
    assert.deepEqual(cluster?.serviceAccounts.find((sa) => sa.name === 'web')?.labels, {
      [MANAGED_BY]: 'Helm',
    });
  });

  it('deletes a service account it created (label and association mark), and one labelled eksctl as eksctl does', async () => {
    sim = await simulate(
      world({
        serviceAccounts: `[{namespace: payments, name: legacy, labels: {${MANAGED_BY}: eksctl}}]`,
        associations: `[{namespace: payments, serviceAccount: legacy, roleArn: "${READER}"}]`,
      }),
    );
    await sim.run(
      'associations',
      config(
        'create',
        `{namespace: payments, serviceAccountName: worker, createServiceAccount: true, roleARN: "${READER}"}`,
      ),
    );
    const state = sim.simulator.dump().clusters[0];
    assert.equal(
      state?.serviceAccounts.find((sa) => sa.name === 'worker')?.labels[MANAGED_BY],
      'eks-pia',
    );
    assert.equal(
      state?.podIdentityAssociations.find((a) => a.serviceAccount === 'worker')?.tags[
        'eks-pia/service-account-created'
      ],
      'true',
    );
    await sim.run(
      'associations',
      config(
        'delete',
        '{namespace: payments, serviceAccountName: worker}',
        '{namespace: payments, serviceAccountName: legacy}',
      ),
    );
    assert.deepEqual(sim.simulator.dump().clusters[0]?.serviceAccounts, []);
  });

  it('grants no Kubernetes access and changes nothing when deleting an association that does not exist', async () => {
    sim = await simulate(world());
    const report = (await sim.run(
      'associations',
      config('delete', '{namespace: default, serviceAccountName: ghost}'),
    )) as Report;
    assert.equal(report.counts.skipped, 1);
    assert.deepEqual(sim.mutatingSince(0), []);
    assert.deepEqual(sim.simulator.dump().clusters[0]?.accessEntries, []);
  });
});

describe('safety: all-or-nothing update and delete', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('updates nothing when one entry has no association', async () => {
    sim = await simulate(
      world({
        associations: `[{namespace: payments, serviceAccount: reports, roleArn: "${READER}"}]`,
      }),
    );
    const report = (await sim.run(
      'associations',
      config(
        'update',
        `{namespace: payments, serviceAccountName: reports, roleARN: "${OTHER}"}`,
        `{namespace: default, serviceAccountName: missing, roleARN: "${OTHER}"}`,
      ),
    )) as Report;
    assert.deepEqual(sim.mutatingSince(0), []);
    assert.equal(sim.simulator.dump().clusters[0]?.podIdentityAssociations[0]?.roleArn, READER);
    const byName = new Map(report.items.map((item) => [item.serviceAccount, item]));
    assert.equal(byName.get('missing')?.result, 'failed');
    assert.match(byName.get('missing')?.reason ?? '', /does not exist/);
    assert.equal(byName.get('reports')?.result, 'skipped');
    assert.match(byName.get('reports')?.reason ?? '', /all-or-nothing.*"default\/missing"/);
  });

  it('updates nothing when one entry names a role that does not exist', async () => {
    sim = await simulate(
      world({
        associations: `[{namespace: payments, serviceAccount: reports, roleArn: "${READER}"}, {namespace: default, serviceAccount: web, roleArn: "${READER}"}]`,
      }),
    );
    const report = (await sim.run(
      'associations',
      config(
        'update',
        `{namespace: payments, serviceAccountName: reports, roleARN: "${OTHER}"}`,
        `{namespace: default, serviceAccountName: web, roleARN: "arn:aws:iam::${ACCOUNT}:role/no-such-role"}`,
      ),
    )) as Report;
    assert.deepEqual(sim.mutatingSince(0), []);
    const byName = new Map(report.items.map((item) => [item.serviceAccount, item]));
    assert.match(byName.get('web')?.reason ?? '', /no-such-role does not exist/);
    assert.equal(byName.get('reports')?.result, 'skipped');
  });

  it('deletes nothing when one entry belongs to an add-on', async () => {
    sim = await simulate(
      world({
        associations: `[{namespace: payments, serviceAccount: reports, roleArn: "${READER}"}, {namespace: kube-system, serviceAccount: aws-node, roleArn: "${OTHER}", ownerArn: "arn:aws:eks:us-west-2:${ACCOUNT}:addon/demo/vpc-cni/x"}]`,
      }),
    );
    const report = (await sim.run(
      'associations',
      config(
        'delete',
        '{namespace: payments, serviceAccountName: reports}',
        '{namespace: kube-system, serviceAccountName: aws-node}',
      ),
    )) as Report;
    assert.deepEqual(sim.mutatingSince(0), []);
    assert.equal(sim.simulator.dump().clusters[0]?.podIdentityAssociations.length, 2);
    assert.equal(report.counts.failed, 1);
    assert.equal(report.counts.skipped, 1);
  });

  it('keeps per-item outcomes for apply', async () => {
    sim = await simulate(
      world({
        associations: `[{namespace: payments, serviceAccount: reports, roleArn: "${READER}", ownerArn: "arn:aws:eks:us-west-2:${ACCOUNT}:addon/demo/x/y"}]`,
      }),
    );
    const report = (await sim.run(
      'associations',
      config(
        'apply',
        `{namespace: payments, serviceAccountName: reports, roleARN: "${OTHER}"}`,
        `{namespace: default, serviceAccountName: web, roleARN: "${OTHER}"}`,
      ),
    )) as Report;
    assert.equal(report.counts.failed, 1);
    assert.equal(report.counts.created, 1);
  });
});

describe('safety: no role left behind after CreateRole', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  const OWNED = `{namespace: payments, serviceAccountName: worker, permissionPolicyARNs: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"], permissionPolicy: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["sqs:SendMessage"], Resource: "*"}]}}`;

  for (const operation of ['eks:CreatePodIdentityAssociation', 'iam:PutRolePolicy']) {
    it(`rolls the role back when ${operation} fails, and the rerun creates everything`, async () => {
      sim = await simulate(
        world({
          behaviour: `{faults: [{operation: "${operation}", nth: 1, error: ${operation.startsWith('eks') ? 'AccessDeniedException' : 'AccessDenied'}}]}`,
        }),
      );
      const failed = (await sim.run('associations', config('create', OWNED))) as Report;
      assert.equal(failed.counts.failed, 1);
      assert.match(failed.items[0]?.reason ?? '', /AccessDenied|injected fault/);
      assert.deepEqual(
        sim.simulator
          .dump()
          .roles.filter((role) => role.path === '/eks-pia/')
          .map((role) => role.name),
        [],
      );
      const rerun = (await sim.run('associations', config('create', OWNED))) as Report;
      assert.equal(rerun.counts.created, 1);
      const state = sim.simulator.dump();
      assert.equal(state.roles.filter((role) => role.path === '/eks-pia/').length, 1);
      assert.equal(state.clusters[0]?.podIdentityAssociations.length, 1);
    });
  }
});

describe('safety: refused before any change, naming the field and the limit', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  const bigPolicy = JSON.stringify({
    Version: '2012-10-17',
    Statement: Array.from({ length: 120 }, (_, index) => ({
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: `arn:aws:s3:::bucket-number-${index}/some/long/prefix/*`,
    })),
  });
  const tags = (count: number) =>
    `{${Array.from({ length: count }, (_, index) => `t${index}: v`).join(', ')}}`;
  const cases: [string, string, RegExp][] = [
    [
      'an inline policy over 10,240 characters',
      `{namespace: default, serviceAccountName: web, permissionPolicy: ${bigPolicy}}`,
      /permissionPolicy: the role's inline policies would total \d+ characters .*limit of 10240/,
    ],
    [
      'a role ARN of another partition',
      `{namespace: default, serviceAccountName: web, roleARN: "arn:aws-cn:iam::${ACCOUNT}:role/app-data-reader"}`,
      /roleARN: "arn:aws-cn:.*" is in partition aws-cn, but the cluster's region is in partition aws/,
    ],
    [
      'a session policy that is not a policy',
      `{namespace: default, serviceAccountName: web, roleARN: "${READER}", disableSessionTags: true, policy: '{"s3": "GetObject"}'}`,
      /policy: is not an IAM policy document/,
    ],
    [
      "a session policy over EKS's 2,048 characters",
      `{namespace: default, serviceAccountName: web, roleARN: "${READER}", disableSessionTags: true, policy: '${bigPolicy}'}`,
      /policy: is \d+ characters long; EKS accepts session policies of at most 2048/,
    ],
    [
      'a tag named __proto__',
      `{namespace: default, serviceAccountName: web, roleARN: "${READER}", tags: {__proto__: x, team: a}}`,
      /tags.__proto__: key "__proto__" cannot be used/,
    ],
    [
      '47 tags, too many once the ownership tags are added',
      `{namespace: default, serviceAccountName: web, roleARN: "${READER}", tags: ${tags(47)}}`,
      /tags: has 47 tags; with the 4 tags eks-pia adds .* over EKS's limit of 50; keep at most 46/,
    ],
  ];
  for (const [name, entry, message] of cases) {
    it(`refuses ${name}`, async () => {
      sim = await simulate(world());
      const running = sim.run('associations', config('create', entry));
      await assert.rejects(running, (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError);
        assert.equal(error.error, 'ConfigValidationError');
        assert.match(error.cause, message);
        return true;
      });
      assert.deepEqual(sim.mutatingSince(0), []);
    });
  }

  it('exits 2 from the CLI, naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eks-pia-safety-'));
    const worldFile = join(dir, 'world.yaml');
    writeFileSync(worldFile, world());
    let err = '';
    const code = await main(
      [
        'create',
        'podidentityassociation',
        '--cluster',
        'demo',
        '--region',
        'us-west-2',
        '--namespace',
        'default',
        '--service-account-name',
        'web',
        '--role-arn',
        `arn:aws-cn:iam::${ACCOUNT}:role/app-data-reader`,
        '--simulate',
        worldFile,
      ],
      { out: () => undefined, err: (text) => (err += text) },
    );
    assert.equal(code, 2, err);
    assert.match(err, /--role-arn: "arn:aws-cn:.*" is in partition aws-cn/);
  });
});

describe('safety: an interrupted migration converges', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('finishes OIDC-trust removal after the annotation was removed and the run stopped', async () => {
    const provider = `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER}`;
    sim = await simulate(`
account: "${ACCOUNT}"
region: us-west-2
caller: arn:aws:iam::${ACCOUNT}:role/automation
clusters:
  - name: demo
    version: "1.31"
    oidcIssuer: https://${ISSUER}
    addons: [{name: eks-pod-identity-agent, version: v1.3.4-eksbuild.1}]
    namespaces: [default]
    serviceAccounts:
      - {namespace: default, name: s3-reader, annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::${ACCOUNT}:role/s3-reader"}}
openIdConnectProviders: ["${provider}"]
roles:
  - {name: automation, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}}
  - name: s3-reader
    assumeRolePolicyDocument:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {Federated: "${provider}"}
          Action: sts:AssumeRoleWithWebIdentity
          Condition: {StringEquals: {"${ISSUER}:sub": system:serviceaccount:default:s3-reader, "${ISSUER}:aud": sts.amazonaws.com}}
behaviour:
  faults: [{operation: "iam:UpdateAssumeRolePolicy", nth: 2, error: AccessDenied}]
`);
    const input = {
      clusterName: 'demo',
      region: 'us-west-2',
      approve: true,
      removeOidcProviderTrustRelationship: true,
    };
    await sim.run('migrate-to-pod-identity', input).catch(() => undefined);
    let state = sim.simulator.dump();
    assert.deepEqual(state.clusters[0]?.serviceAccounts[0]?.annotations, {});
    assert.equal(state.clusters[0]?.podIdentityAssociations.length, 1);
    const trustOf = () =>
      JSON.stringify(
        sim?.simulator.dump().roles.find((role) => role.name === 's3-reader')
          ?.assumeRolePolicyDocument,
      );
    assert.match(trustOf(), /AssumeRoleWithWebIdentity/, 'the first run stopped before it');

    await sim.run('migrate-to-pod-identity', input);
    state = sim.simulator.dump();
    assert.doesNotMatch(trustOf(), /AssumeRoleWithWebIdentity/);
    assert.match(trustOf(), /pods\.eks\.amazonaws\.com/);
    assert.equal(state.clusters[0]?.podIdentityAssociations.length, 1);
  });
});
