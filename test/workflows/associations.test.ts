import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { WorkflowFailedError } from '../../local/runner/run-workflow.ts';
import { eksctlPodIdentityRoleStack } from '../../local/simulator/services/cloudformation-template.ts';
import { type SimulatedRun, simulate } from './harness.ts';

const EVENTS = join(import.meta.dirname, '..', '..', 'events');
const ACCOUNT = '111122223333';
const PODS_TRUST = `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}`;

interface Report {
  counts: Record<string, number>;
  items: {
    namespace: string;
    serviceAccount: string;
    action: string;
    result: string;
    reason?: string;
    roleArn?: string;
    warnings?: string[];
  }[];
  warnings: string[];
  nextSteps: string[];
  access?: { principalArn: string; accessPolicyArns: string[] };
}

function world({
  behaviour = '{}',
  associations = '[]',
  extraRoles = '',
  objects = '{}',
  stacks = '[]',
} = {}): string {
  return `
account: "${ACCOUNT}"
region: us-west-2
caller: arn:aws:iam::${ACCOUNT}:role/automation
clusters:
  - name: demo
    version: "1.31"
    addons: [{name: eks-pod-identity-agent, version: v1.3.4-eksbuild.1}]
    namespaces: [default, payments]
    serviceAccounts:
      - {namespace: default, name: existing-sa, labels: {app: web}}
    podIdentityAssociations: ${associations}
roles:
  - {name: automation, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}}
  - {name: app-data-reader, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {eks-pia/assignable: "true"}}
  - {name: other-reader, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {eks-pia/assignable: "true"}}
${extraRoles}
stacks: ${stacks}
buckets:
  - name: eks-pia-configs-${ACCOUNT}
    objects: ${objects}
behaviour: ${behaviour}
`;
}

function config(
  operation: string,
  entries: string,
  metadata = 'name: demo\n  region: us-west-2',
): unknown {
  return { operation, config: { inline: configDocument(entries, metadata) } };
}

/** A ClusterConfig whose entries are written as YAML flow mappings, parsed as a dropped file would be. */
function configDocument(entries: string, metadata = 'name: demo\n  region: us-west-2'): unknown {
  return parseYaml(
    `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  ${metadata}\niam:\n  podIdentityAssociations:\n${entries}`,
  );
}

const ENTRY_EXISTING_ROLE = `    - {namespace: payments, serviceAccountName: reports, roleARN: "arn:aws:iam::${ACCOUNT}:role/app-data-reader"}`;
const ENTRY_MANAGED = `    - {namespace: default, serviceAccountName: web, createServiceAccount: true, permissionPolicyARNs: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"], wellKnownPolicies: {autoScaler: true}, permissionPolicy: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["sqs:SendMessage"], Resource: "arn:aws:sqs:us-west-2:${ACCOUNT}:jobs"}]}, tags: {team: web}}`;

describe('associations workflow', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('creates associations from every role source, then a rerun changes nothing, and one after a hand edit undoes it only on the role eks-pia created', async () => {
    sim = await simulate(world());
    const report = (await sim.run(
      'associations',
      config('create', `${ENTRY_EXISTING_ROLE}\n${ENTRY_MANAGED}`),
    )) as Report;
    assert.deepEqual(report.counts, {
      created: 2,
      updated: 0,
      deleted: 0,
      unchanged: 0,
      skipped: 0,
      failed: 0,
    });

    const state = sim.simulator.dump();
    const cluster = state.clusters[0];
    const associations = cluster?.podIdentityAssociations ?? [];
    assert.deepEqual(associations.map((a) => `${a.namespace}/${a.serviceAccount}`).sort(), [
      'default/web',
      'payments/reports',
    ]);
    const created = state.roles.find((role) => role.path === '/eks-pia/');
    assert.ok(created, 'a role was created under the service path');
    assert.deepEqual(created.attachedPolicies, ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess']);
    assert.deepEqual(Object.keys(created.inlinePolicies).sort(), [
      'eks-pia-Policy1',
      'eks-pia-PolicyAutoScaling',
    ]);
    assert.equal(created.tags['eks-pia/service-account'], 'web');
    const web = associations.find((a) => a.serviceAccount === 'web');
    assert.equal(web?.tags.team, 'web');
    assert.equal(web?.tags['eks-pia/managed-by'], 'eks-pia');
    const sa = cluster?.serviceAccounts.find((account) => account.name === 'web');
    assert.equal(sa?.labels['app.kubernetes.io/managed-by'], 'eks-pia');
    assert.ok(report.access?.accessPolicyArns[0]?.endsWith('AmazonEKSClusterAdminPolicy'));

    const mark = sim.simulator.calls.length;
    const rerun = (await sim.run(
      'associations',
      config('apply', `${ENTRY_EXISTING_ROLE}\n${ENTRY_MANAGED}`),
    )) as Report;
    assert.equal(rerun.counts.unchanged, 2);
    assert.deepEqual(sim.mutatingSince(mark), []);

    // By hand, an inline policy granting everything on the role eks-pia created and on the role
    // the config names: the first is eks-pia's to undo, the second is not.
    const escalate = {
      Version: '2012-10-17' as const,
      Statement: [{ Effect: 'Allow' as const, Action: '*', Resource: '*' }],
    };
    const roles = sim.simulator.state.world.roles;
    const owned = roles.find((role) => role.name === created.name);
    const given = roles.find((role) => role.name === 'app-data-reader');
    assert.ok(owned && given);
    owned.inlinePolicies.escalate = escalate;
    given.inlinePolicies.escalate = escalate;
    const afterEdit = sim.simulator.calls.length;
    const undone = (await sim.run(
      'associations',
      config('apply', `${ENTRY_EXISTING_ROLE}\n${ENTRY_MANAGED}`),
    )) as Report;
    assert.deepEqual(
      undone.items.map((item) => [item.serviceAccount, item.result]),
      [
        ['reports', 'unchanged'],
        ['web', 'updated'],
      ],
    );
    assert.deepEqual(sim.mutatingSince(afterEdit), ['iam:DeleteRolePolicy']);
    assert.deepEqual(Object.keys(owned.inlinePolicies).sort(), [
      'eks-pia-Policy1',
      'eks-pia-PolicyAutoScaling',
    ]);
    assert.deepEqual(given.inlinePolicies, { escalate });
  });

  it('updates the role of an association and a dry run changes nothing', async () => {
    sim = await simulate(
      world({
        associations: `[{namespace: payments, serviceAccount: reports, roleArn: "arn:aws:iam::${ACCOUNT}:role/app-data-reader"}]`,
      }),
    );
    const entry = `    - {namespace: payments, serviceAccountName: reports, roleARN: "arn:aws:iam::${ACCOUNT}:role/other-reader", disableSessionTags: true}`;
    const dry = (await sim.run('associations', {
      ...(config('update', entry) as object),
      dryRun: true,
    })) as Report;
    assert.equal(dry.items[0]?.result, 'updated');
    assert.deepEqual(sim.mutatingSince(0), []);

    const report = (await sim.run('associations', config('update', entry))) as Report;
    assert.equal(report.counts.updated, 1);
    const association = sim.simulator.dump().clusters[0]?.podIdentityAssociations[0];
    assert.equal(association?.roleArn, `arn:aws:iam::${ACCOUNT}:role/other-reader`);
    assert.equal(association?.disableSessionTags, true);
  });

  it('reports an existing association with another role as a conflict without creating a role', async () => {
    sim = await simulate(
      world({
        associations: `[{namespace: default, serviceAccount: web, roleArn: "arn:aws:iam::${ACCOUNT}:role/other-reader"}]`,
      }),
    );
    const report = (await sim.run(
      'associations',
      config('create', `${ENTRY_MANAGED}\n${ENTRY_EXISTING_ROLE}`),
    )) as Report;
    const web = report.items.find((item) => item.serviceAccount === 'web');
    assert.equal(web?.action, 'conflict');
    assert.equal(web?.result, 'failed');
    assert.equal(report.counts.created, 1, 'the other item still completes');
    assert.equal(
      sim.simulator.dump().roles.some((role) => role.path === '/eks-pia/'),
      false,
    );
  });

  it('deletes an association with its owned role and service account, keeping a role still in use', async () => {
    sim = await simulate(world());
    const shared = `    - {namespace: payments, serviceAccountName: batch, roleARN: "arn:aws:iam::${ACCOUNT}:role/app-data-reader"}`;
    await sim.run(
      'associations',
      config('create', `${ENTRY_MANAGED}\n${ENTRY_EXISTING_ROLE}\n${shared}`),
    );
    const ownedRole = sim.simulator.dump().roles.find((role) => role.path === '/eks-pia/')?.name;
    assert.ok(ownedRole);

    const deletion = `    - {namespace: default, serviceAccountName: web}\n    - {namespace: payments, serviceAccountName: reports}\n    - {namespace: payments, serviceAccountName: missing}`;
    const report = (await sim.run('associations', config('delete', deletion))) as Report;
    assert.equal(report.counts.deleted, 2);
    assert.ok(
      report.warnings.some((warning) => warning.includes('payments/missing')),
      report.warnings.join('\n'),
    );
    const state = sim.simulator.dump();
    assert.equal(
      state.roles.some((role) => role.name === ownedRole),
      false,
      'the owned role was deleted',
    );
    assert.ok(
      state.roles.some((role) => role.name === 'app-data-reader'),
      'a role given by ARN is never deleted',
    );
    assert.equal(
      state.clusters[0]?.serviceAccounts.some((account) => account.name === 'web'),
      false,
    );
    assert.deepEqual(
      state.clusters[0]?.podIdentityAssociations.map((a) => `${a.namespace}/${a.serviceAccount}`),
      ['payments/batch'],
    );
  });

  /**
   * payments/ledger associated with the role of its eksctl pod identity role stack, as eksctl
   * leaves it, but tagged for cluster `clusterTag`.
   */
  function eksctlRoleStack(options: { clusterTag: string; roleProperties?: string }) {
    const eksctlRole = 'eksctl-demo-podidentityrole-paym-Role1-A1B2C3';
    const eksctlRoleArn = `arn:aws:iam::${ACCOUNT}:role/${eksctlRole}`;
    const stack = eksctlPodIdentityRoleStack({
      account: ACCOUNT,
      clusterName: 'demo',
      namespace: 'payments',
      serviceAccount: 'ledger',
      roleName: eksctlRole,
    });
    stack.tags = {
      ...stack.tags,
      'alpha.eksctl.io/cluster-name': options.clusterTag,
      'eksctl.cluster.k8s.io/v1alpha1/cluster-name': options.clusterTag,
    };
    const settings = {
      associations: `[{namespace: payments, serviceAccount: ledger, roleArn: "${eksctlRoleArn}"}]`,
      extraRoles: `  - {name: ${eksctlRole}, assumeRolePolicyDocument: ${PODS_TRUST}${options.roleProperties ?? ''}}`,
      stacks: JSON.stringify([stack]),
    };
    return { stackName: stack.name, eksctlRole, settings };
  }

  it("treats an eksctl pod identity role stack's role as eksctl does: update may not swap it, delete removes the stack", async () => {
    const { stackName, eksctlRole, settings } = eksctlRoleStack({
      clusterTag: 'demo',
      roleProperties: ', attachedPolicies: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]',
    });
    sim = await simulate(world(settings));
    const swap = (await sim.run(
      'associations',
      config(
        'update',
        `    - {namespace: payments, serviceAccountName: ledger, roleARN: "arn:aws:iam::${ACCOUNT}:role/other-reader"}`,
      ),
    )) as Report;
    assert.equal(swap.items[0]?.result, 'failed');
    assert.match(
      swap.items[0]?.reason ?? '',
      /cannot change podIdentityAssociation.roleARN since the role was created by eksctl \(CloudFormation stack "eksctl-demo-podidentityrole-payments-ledger"\)/,
    );
    assert.deepEqual(sim.mutatingSince(0), []);

    const sessionTags = (await sim.run(
      'associations',
      config(
        'update',
        '    - {namespace: payments, serviceAccountName: ledger, disableSessionTags: true}',
      ),
    )) as Report;
    assert.equal(sessionTags.items[0]?.result, 'updated', sessionTags.items[0]?.reason);

    const mark = sim.simulator.calls.length;
    const deletion = (await sim.run(
      'associations',
      config('delete', '    - {namespace: payments, serviceAccountName: ledger}'),
    )) as Report;
    assert.equal(deletion.items[0]?.result, 'deleted', deletion.items[0]?.reason);
    // The access entry a delete needs to look at the service account comes first. The stack goes
    // before the association (eksctl deletes it after), so a delete interrupted in between still
    // finds the association on rerun instead of leaving the stack behind.
    assert.deepEqual(
      sim.mutatingSince(mark).filter((call) => !call.includes('Access')),
      [
        'cloudformation:UpdateTerminationProtection',
        'cloudformation:DeleteStack',
        'eks:DeletePodIdentityAssociation',
      ],
    );
    const state = sim.simulator.dump();
    assert.equal(state.stacks.find((stack) => stack.name === stackName)?.status, 'DELETE_COMPLETE');
    assert.equal(
      state.roles.some((role) => role.name === eksctlRole),
      false,
    );
    assert.deepEqual(state.clusters[0]?.podIdentityAssociations, []);
  });

  it("fails a delete whose eksctl role stack is not the cluster's, keeping the stack and the association", async () => {
    const { stackName, settings } = eksctlRoleStack({ clusterTag: 'other' });
    sim = await simulate(world(settings));
    const deletion = (await sim.run(
      'associations',
      config('delete', '    - {namespace: payments, serviceAccountName: ledger}'),
    )) as Report;
    assert.equal(deletion.items[0]?.result, 'failed');
    assert.match(
      deletion.items[0]?.reason ?? '',
      /doesn't bear our "alpha.eksctl.io\/cluster-name:demo"/,
    );
    assert.deepEqual(
      sim.mutatingSince(0).filter((call) => !call.includes('Access')),
      [],
    );
    const state = sim.simulator.dump();
    assert.notEqual(
      state.stacks.find((stack) => stack.name === stackName)?.status,
      'DELETE_COMPLETE',
    );
    assert.equal(state.clusters[0]?.podIdentityAssociations.length, 1);
  });

  it("reads no eksctl role stack for an apply that keeps the association's role, and still refuses one that swaps the role eksctl made", async () => {
    const { eksctlRole, settings } = eksctlRoleStack({ clusterTag: 'demo' });
    sim = await simulate(world(settings));
    const entry = (role: string) =>
      `    - {namespace: payments, serviceAccountName: ledger, roleARN: "arn:aws:iam::${ACCOUNT}:role/${role}"}`;
    const keep = (await sim.run('associations', config('apply', entry(eksctlRole)))) as Report;
    assert.equal(keep.items[0]?.result, 'unchanged', keep.items[0]?.reason);
    assert.deepEqual(
      sim.simulator.calls.filter((call) => call.service === 'cloudformation'),
      [],
    );
    // The eksctl role is allowed only as the association's current role: plan-associations
    // describes the association to settle that, prepare-association-batch again right before the
    // changes (and to decide the stack does not matter); apply-association-batch takes prepare's
    // description rather than asking EKS a third time.
    assert.equal(
      sim.simulator.calls.filter((call) => call.operation === 'DescribePodIdentityAssociation')
        .length,
      2,
    );

    const swap = (await sim.run('associations', config('apply', entry('other-reader')))) as Report;
    assert.equal(swap.items[0]?.result, 'failed');
    assert.match(
      swap.items[0]?.reason ?? '',
      /cannot change podIdentityAssociation.roleARN since the role was created by eksctl \(CloudFormation stack "eksctl-demo-podidentityrole-payments-ledger"\)/,
    );
    assert.deepEqual(
      sim.mutatingSince(0).filter((call) => !call.startsWith('s3:') && !call.startsWith('events:')),
      [],
    );
  });

  /**
   * eksctl's pod identity role stack and role of `namespace/serviceAccount`, as eksctl leaves them.
   * eksctl joins namespace and service account with "-": team/x-app and team-x/app both get
   * eksctl-demo-podidentityrole-team-x-app.
   */
  function eksctlStackOf(namespace: string, serviceAccount: string) {
    const roleName = 'eksctl-demo-podidentityrole-team-x-Role1-A1B2C3';
    const stack = eksctlPodIdentityRoleStack({
      account: ACCOUNT,
      clusterName: 'demo',
      namespace,
      serviceAccount,
      roleName,
    });
    return {
      stackName: stack.name,
      roleName,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
      role: `  - {name: ${roleName}, assumeRolePolicyDocument: ${PODS_TRUST}}`,
      stacks: JSON.stringify([stack]),
    };
  }

  /** Runs with the deployment's guardrails allowing only the namespaces given. */
  async function runAllowing(namespaces: string, input: unknown): Promise<Report> {
    const before = process.env.GUARDRAILS_ALLOWED_NAMESPACES;
    process.env.GUARDRAILS_ALLOWED_NAMESPACES = namespaces;
    try {
      return (await sim?.run('associations', input)) as Report;
    } finally {
      if (before === undefined) delete process.env.GUARDRAILS_ALLOWED_NAMESPACES;
      else process.env.GUARDRAILS_ALLOWED_NAMESPACES = before;
    }
  }

  it("leaves another association's eksctl role stack and role alone when a delete names an association whose stack has the same name", async () => {
    const other = eksctlStackOf('team-x', 'app');
    sim = await simulate(
      world({
        associations: `[{namespace: team-x, serviceAccount: app, roleArn: "${other.roleArn}"}]`,
        extraRoles: other.role,
        stacks: other.stacks,
      }),
    );
    // team/x-app has no association: only the stack's name points at team-x/app's stack.
    const report = await runAllowing(
      'team',
      config('delete', '    - {namespace: team, serviceAccountName: x-app}'),
    );
    assert.equal(report.items[0]?.result, 'skipped', report.items[0]?.reason);
    const warnings = report.items[0]?.warnings?.join('\n') ?? '';
    assert.match(warnings, /pod identity association "team\/x-app" not found/);
    assert.match(
      warnings,
      /CloudFormation stack "eksctl-demo-podidentityrole-team-x-app" was kept, with its IAM role: its tag alpha.eksctl.io\/podidentityassociation-name names "team-x\/app", not "team\/x-app"/,
    );
    assert.deepEqual(
      sim.mutatingSince(0).filter((call) => !call.startsWith('s3:') && !call.startsWith('events:')),
      [],
    );
    const state = sim.simulator.dump();
    assert.equal(
      state.stacks.find((stack) => stack.name === other.stackName)?.status,
      'CREATE_COMPLETE',
    );
    assert.ok(state.roles.some((role) => role.name === other.roleName));
    assert.deepEqual(
      state.clusters[0]?.podIdentityAssociations.map((a) => `${a.namespace}/${a.serviceAccount}`),
      ['team-x/app'],
    );
  });

  it("keeps an association's own eksctl role stack whose role another association uses, though the association is already gone", async () => {
    const own = eksctlStackOf('team', 'x-app');
    sim = await simulate(
      world({
        associations: `[{namespace: payments, serviceAccount: reuse, roleArn: "${own.roleArn}"}]`,
        extraRoles: own.role,
        stacks: own.stacks,
      }),
    );
    const report = await runAllowing(
      'team',
      config('delete', '    - {namespace: team, serviceAccountName: x-app}'),
    );
    assert.equal(report.items[0]?.result, 'skipped', report.items[0]?.reason);
    assert.match(
      report.items[0]?.warnings?.join('\n') ?? '',
      /IAM role arn:aws:iam::111122223333:role\/eksctl-demo-podidentityrole-team-x-Role1-A1B2C3 of CloudFormation stack "eksctl-demo-podidentityrole-team-x-app" \(created by eksctl for "team\/x-app"\) is used by other pod identity associations; the stack was kept/,
    );
    const state = sim.simulator.dump();
    assert.equal(
      state.stacks.find((stack) => stack.name === own.stackName)?.status,
      'CREATE_COMPLETE',
    );
    assert.ok(state.roles.some((role) => role.name === own.roleName));
  });

  it("finishes an interrupted delete: the association is gone, and its eksctl role stack, which no one else's role is, goes", async () => {
    const own = eksctlStackOf('team', 'x-app');
    sim = await simulate(world({ extraRoles: own.role, stacks: own.stacks }));
    const report = await runAllowing(
      'team',
      config('delete', '    - {namespace: team, serviceAccountName: x-app}'),
    );
    assert.equal(report.items[0]?.result, 'deleted', report.items[0]?.reason);
    const state = sim.simulator.dump();
    assert.equal(
      state.stacks.find((stack) => stack.name === own.stackName)?.status,
      'DELETE_COMPLETE',
    );
    assert.equal(
      state.roles.some((role) => role.name === own.roleName),
      false,
    );
  });

  it('keeps an owned role that another association still uses', async () => {
    sim = await simulate(world());
    await sim.run('associations', config('create', ENTRY_MANAGED));
    const role = sim.simulator.dump().roles.find((candidate) => candidate.path === '/eks-pia/');
    assert.ok(role);
    const reuse = `    - {namespace: payments, serviceAccountName: reuse, roleARN: "arn:aws:iam::${ACCOUNT}:role/eks-pia/${role.name}"}`;
    await sim.run('associations', config('create', reuse));
    const report = (await sim.run(
      'associations',
      config('delete', '    - {namespace: default, serviceAccountName: web}'),
    )) as Report;
    assert.equal(report.counts.deleted, 1);
    assert.ok(
      sim.simulator.dump().roles.some((candidate) => candidate.name === role.name),
      'the shared role survives',
    );
  });

  it('rejects a config that breaks the guardrails as a whole, changing nothing', async () => {
    sim = await simulate(world());
    const risky = `    - {namespace: default, serviceAccountName: admin, permissionPolicyARNs: ["arn:aws:iam::aws:policy/AdministratorAccess"]}\n    - {namespace: default, serviceAccountName: wild, permissionPolicy: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "iam:*", Resource: "*"}]}}\n${ENTRY_EXISTING_ROLE}`;
    await assert.rejects(sim.run('associations', config('create', risky)), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.equal(error.error, 'PolicyGuardViolation');
      assert.match(error.cause, /AdministratorAccess/);
      assert.match(error.cause, /iam:\*/);
      return true;
    });
    assert.deepEqual(sim.mutatingSince(0), []);
  });

  it('rejects an invalid config with every problem listed, changing nothing', async () => {
    sim = await simulate(world());
    const bad = `    - {namespace: default}\n    - {namespace: Bad_NS, serviceAccountName: x, roleARN: "not-an-arn"}`;
    await assert.rejects(sim.run('associations', config('create', bad)), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.equal(error.error, 'ConfigValidationError');
      assert.match(
        error.cause,
        /iam\.podIdentityAssociations\[0\]\.serviceAccountName must be set/,
      );
      assert.match(error.cause, /iam\.podIdentityAssociations\[1\]/);
      return true;
    });
    assert.deepEqual(sim.mutatingSince(0), []);
  });

  it('survives injected throttling and reports a failed item while the others complete', async () => {
    sim = await simulate(
      world({
        behaviour: `{faults: [
          {operation: "iam:CreateRole", nth: 1, times: 3, error: Throttling},
          {operation: "eks:CreatePodIdentityAssociation", nth: 1, times: 2, error: ThrottlingException}
        ], roleVisibleToEksAfterCalls: 2}`,
      }),
    );
    // The third names a role IAM does not have: its item fails, the others complete. (Another
    // account's role, which EKS refuses, is refused with the whole config before any change.)
    const entries = `${ENTRY_MANAGED}\n${ENTRY_EXISTING_ROLE}\n    - {namespace: payments, serviceAccountName: third, roleARN: "arn:aws:iam::${ACCOUNT}:role/elsewhere"}`;
    const report = (await sim.run('associations', config('create', entries))) as Report;
    assert.deepEqual([report.counts.created, report.counts.failed], [2, 1]);
    const failed = report.items.find((item) => item.result === 'failed');
    assert.match(failed?.reason ?? '', /role\/elsewhere does not exist/);
    const throttled = sim.simulator.calls.filter(
      (call) => call.status === 429 || (call.status === 400 && call.operation === 'CreateRole'),
    );
    assert.ok(throttled.length >= 3);
  });

  it('fails items whose given role does not exist or does not trust pods.eks.amazonaws.com, without a mutating call', async () => {
    sim = await simulate(
      world({
        extraRoles: `  - {name: no-pod-trust, tags: {eks-pia/assignable: "true"}, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]}}`,
      }),
    );
    const entries = `    - {namespace: default, serviceAccountName: ghost, roleARN: "arn:aws:iam::${ACCOUNT}:role/does-not-exist"}\n    - {namespace: default, serviceAccountName: ec2ish, roleARN: "arn:aws:iam::${ACCOUNT}:role/no-pod-trust"}`;
    const report = (await sim.run('associations', config('create', entries))) as Report;
    const ghost = report.items.find((item) => item.serviceAccount === 'ghost');
    assert.equal(ghost?.result, 'failed');
    assert.match(ghost?.reason ?? '', /role\/does-not-exist does not exist/);
    const ec2ish = report.items.find((item) => item.serviceAccount === 'ec2ish');
    assert.equal(ec2ish?.result, 'failed');
    assert.match(
      ec2ish?.reason ?? '',
      /role\/no-pod-trust does not trust pods\.eks\.amazonaws\.com/,
    );
    assert.match(ec2ish?.reason ?? '', /sts:AssumeRole and sts:TagSession/);
    const changed = sim.simulator.calls.filter(
      (call) =>
        call.mutating && call.status < 400 && ['eks', 'iam', 'kubernetes'].includes(call.service),
    );
    assert.deepEqual(changed, [], 'no change reached EKS, IAM or Kubernetes');
  });

  it('reads a role that many entries share once per batch, not once per entry', async () => {
    sim = await simulate(world());
    // 120 entries make three batches of at most 50.
    const entries = Array.from(
      { length: 120 },
      (_, index) =>
        `    - {namespace: default, serviceAccountName: app-${index}, roleARN: "arn:aws:iam::${ACCOUNT}:role/app-data-reader"}`,
    ).join('\n');
    const roleReadsSince = (mark: number) =>
      sim?.simulator.calls
        .slice(mark)
        .filter((call) => call.service === 'iam' && call.operation === 'GetRole').length;
    const report = (await sim.run('associations', config('create', entries))) as Report;
    assert.equal(report.counts.created, 120);
    // load-association-request's guardrail check (the account comes from the function's ARN, not
    // from a lookup of its own role), then per batch one read for its guardrail recheck
    // (prepare-association-batch), whose answer apply-association-batch's trust checks use.
    assert.equal(roleReadsSince(0), 1 + 3);

    // An apply of associations that already have the role their entries name decides without
    // it, and never lists the policies of a role the entries name by ARN (it is not eks-pia's to
    // reconcile): the role is read by the guardrail checks alone.
    const mark = sim.simulator.calls.length;
    const again = (await sim.run('associations', config('apply', entries))) as Report;
    assert.equal(again.counts.unchanged, 120);
    const listings = sim.simulator.calls
      .slice(mark)
      .filter((call) => call.operation === 'ListAttachedRolePolicies').length;
    assert.equal(listings, 0);
    assert.equal(roleReadsSince(mark), 1 + 3);
  });

  it('has each batch read only its own batch document, one S3 read per batch', async () => {
    sim = await simulate(world());
    const bucket = sim.simulator.state.world.buckets.find(
      (candidate) => candidate.name === `eks-pia-configs-${ACCOUNT}`,
    );
    assert.ok(bucket);
    // Records which run documents S3 serves while the batches run: the simulator's GetObject
    // reads the bucket's object by its key.
    let task = '';
    const batchReads: string[] = [];
    bucket.objects = new Proxy(bucket.objects, {
      get(target, key, receiver) {
        if (
          task === 'apply-association-batch' &&
          typeof key === 'string' &&
          key.startsWith('runs/')
        )
          batchReads.push(key.replace(/^runs\/[^/]+\//, ''));
        return Reflect.get(target, key, receiver);
      },
    });
    // 120 entries make three batches of at most 50.
    const entries = Array.from(
      { length: 120 },
      (_, index) =>
        `    - {namespace: default, serviceAccountName: app-${index}, roleARN: "arn:aws:iam::${ACCOUNT}:role/app-data-reader"}`,
    ).join('\n');
    const mark = sim.simulator.calls.length;
    const report = (await sim.run('associations', config('create', entries), {
      onTaskInvoked: (invoked) => {
        task = invoked;
      },
    })) as Report;
    assert.equal(report.counts.created, 120);
    assert.deepEqual(batchReads.sort(), ['batch-0.json', 'batch-1.json', 'batch-2.json']);
    // The whole run: the config is inline, and load-association-request reads it back as
    // read-association-config validated and sealed it; plan-associations reads the request, each
    // batch its document twice (prepare-association-batch checks it, apply-association-batch
    // carries it out), the report each batch's results (and looks for add-on results, which this
    // run has none of).
    const gets = sim.simulator.calls
      .slice(mark)
      .filter(
        (call) => call.service === 's3' && call.operation === 'GetObject' && call.status < 400,
      ).length;
    assert.equal(gets, 1 + 1 + 3 * 2 + 3);
  });

  it("reads the run's role usage, never the whole plan, for an association moved to another role after planning", async () => {
    sim = await simulate(
      world({
        associations: `[{namespace: default, serviceAccount: web, roleArn: "arn:aws:iam::${ACCOUNT}:role/app-data-reader"}]`,
      }),
    );
    const bucket = sim.simulator.state.world.buckets.find(
      (candidate) => candidate.name === `eks-pia-configs-${ACCOUNT}`,
    );
    const association = sim.simulator.state.world.clusters[0]?.podIdentityAssociations[0];
    assert.ok(bucket && association);
    let task = '';
    const batchReads: string[] = [];
    bucket.objects = new Proxy(bucket.objects, {
      get(target, key, receiver) {
        if (
          task.endsWith('-association-batch') &&
          typeof key === 'string' &&
          key.startsWith('runs/')
        )
          batchReads.push(key.replace(/^runs\/[^/]+\//, ''));
        return Reflect.get(target, key, receiver);
      },
    });
    const report = (await sim.run(
      'associations',
      config('delete', '    - {namespace: default, serviceAccountName: web}'),
      {
        onTaskInvoked: (invoked) => {
          // Someone moves the association to another role once the plan is written.
          if (invoked === 'prepare-association-batch')
            association.roleArn = `arn:aws:iam::${ACCOUNT}:role/other-reader`;
          task = invoked;
        },
      },
    )) as Report;
    assert.equal(report.counts.deleted, 1);
    assert.ok(batchReads.includes('role-usage.json'), batchReads.join(', '));
    assert.equal(batchReads.includes('plan.json'), false, batchReads.join(', '));
  });

  it('fails an item naming a managed policy that does not exist, and leaves no role behind', async () => {
    sim = await simulate(world());
    const missing = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccesss';
    const report = (await sim.run(
      'associations',
      config(
        'create',
        `    - {namespace: default, serviceAccountName: typo, permissionPolicyARNs: ["${missing}"]}`,
      ),
    )) as Report;
    const item = report.items.find((entry) => entry.serviceAccount === 'typo');
    assert.equal(item?.result, 'failed');
    assert.ok(item?.reason?.includes(missing), item?.reason);
    const roles = sim.simulator.dump().roles.map((role) => role.name);
    assert.deepEqual(roles.sort(), ['app-data-reader', 'automation', 'other-reader']);
    assert.equal(sim.simulator.dump().clusters[0]?.podIdentityAssociations.length, 0);
  });

  it('creates a new role without reading it first, and a run interrupted right after CreateRole converges on rerun', async () => {
    const roleNotFound = (run: SimulatedRun, mark = 0) =>
      run.simulator.calls
        .slice(mark)
        .filter((call) => call.operation === 'GetRole' && call.status === 404).length;
    const ownRole = (run: SimulatedRun) =>
      run.simulator.dump().roles.find((role) => role.path === '/eks-pia/');
    // Where CreateRole falls among the run's mutating calls, from a clean run of a twin world.
    const twin = await simulate(world());
    let createRoleAt: number;
    let clean: ReturnType<typeof ownRole>;
    try {
      const report = (await twin.run('associations', config('apply', ENTRY_MANAGED))) as Report;
      assert.equal(report.counts.created, 1);
      assert.equal(roleNotFound(twin), 0, 'no GetRole answered 404 before the CreateRole');
      const mutating = twin.simulator.calls.filter((call) => call.mutating);
      createRoleAt = mutating.findIndex((call) => call.operation === 'CreateRole') + 1;
      clean = ownRole(twin);
    } finally {
      await twin.close();
    }
    assert.ok(createRoleAt > 0 && clean !== undefined);

    sim = await simulate(world());
    sim.simulator.injectMutationFault({ nth: createRoleAt, mode: 'crash' });
    await sim.run('associations', config('apply', ENTRY_MANAGED)).catch(() => undefined);
    sim.simulator.injectMutationFault(undefined);
    assert.deepEqual(ownRole(sim)?.attachedPolicies, [], 'the role was created, not finished');
    assert.equal(sim.simulator.dump().clusters[0]?.podIdentityAssociations.length, 0);

    const mark = sim.simulator.calls.length;
    const rerun = (await sim.run('associations', config('apply', ENTRY_MANAGED))) as Report;
    assert.equal(rerun.counts.created, 1);
    // CreateRole met the role (EntityAlreadyExists), which its ownership tags let the run adopt
    // and bring to the desired state.
    const createRoles = sim.simulator.calls
      .slice(mark)
      .filter((call) => call.operation === 'CreateRole')
      .map((call) => call.status);
    assert.deepEqual(createRoles, [409]);
    const role = ownRole(sim);
    assert.deepEqual(role?.attachedPolicies, clean.attachedPolicies);
    assert.deepEqual(role?.inlinePolicies, clean.inlinePolicies);
    assert.deepEqual(role?.tags, clean.tags);
    assert.equal(role?.permissionsBoundary, clean.permissionsBoundary);
    const web = sim.simulator.dump().clusters[0]?.podIdentityAssociations[0];
    assert.equal(web?.roleArn, `arn:aws:iam::${ACCOUNT}:role/eks-pia/${role?.name}`);
    assert.equal(roleNotFound(sim), 0);
  });

  it("says in a dry run what CreateRole will meet, from one listing of the account's roles: a new role, eks-pia's own left by an interrupted run, another's", async () => {
    const owner = (serviceAccount: string) =>
      `{eks-pia/managed-by: eks-pia, eks-pia/cluster: demo, eks-pia/namespace: default, eks-pia/service-account: ${serviceAccount}}`;
    sim = await simulate(
      world({
        extraRoles: [
          `  - {name: leftover-role, path: /eks-pia/, assumeRolePolicyDocument: ${PODS_TRUST}, tags: ${owner('leftover')}}`,
          `  - {name: taken-role, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {team: other}}`,
        ].join('\n'),
      }),
    );
    const entries = ['fresh', 'leftover', 'taken']
      .map(
        (name) =>
          `    - {namespace: default, serviceAccountName: ${name}, roleName: ${name}-role, permissionPolicyARNs: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]}`,
      )
      .join('\n');
    const byAccount = (report: Report) =>
      Object.fromEntries(
        report.items.map((item) => [
          item.serviceAccount,
          item as Report['items'][number] & { steps?: string[] },
        ]),
      );
    const iamReads = (mark: number) => {
      const calls = sim?.simulator.calls.slice(mark) ?? [];
      return {
        notFound: calls.filter((call) => call.operation === 'GetRole' && call.status === 404)
          .length,
        listings: calls.filter((call) => call.operation === 'ListRoles').length,
      };
    };

    const dry = byAccount(
      (await sim.run('associations', {
        ...(config('apply', entries) as object),
        dryRun: true,
      })) as Report,
    );
    assert.deepEqual(iamReads(0), { notFound: 0, listings: 1 });
    assert.deepEqual(sim.mutatingSince(0), []);
    assert.equal(dry.fresh?.result, 'created');
    assert.match(dry.fresh?.steps?.[0] ?? '', /^create IAM role "fresh-role"/);
    assert.equal(dry.leftover?.result, 'created');
    assert.match(dry.leftover?.reason ?? '', /eks-pia created for it in an earlier run/);
    assert.match(
      dry.leftover?.steps?.[0] ?? '',
      /^attach policy .*AmazonS3ReadOnlyAccess to IAM role "leftover-role"/,
    );
    assert.equal(dry.taken?.result, 'failed');
    assert.match(
      dry.taken?.reason ?? '',
      /"taken-role" already exists and was not created by eks-pia/,
    );

    const mark = sim.simulator.calls.length;
    const done = byAccount((await sim.run('associations', config('apply', entries))) as Report);
    assert.deepEqual(iamReads(mark), { notFound: 0, listings: 0 });
    for (const name of ['fresh', 'leftover', 'taken']) {
      assert.equal(
        done[name]?.result,
        dry[name]?.result,
        `${name}: the run did what its dry run said`,
      );
    }
    assert.match(
      done.taken?.reason ?? '',
      /"taken-role" already exists and was not created by eks-pia/,
    );
    const roles = new Map(sim.simulator.dump().roles.map((role) => [role.name, role]));
    assert.deepEqual(roles.get('leftover-role')?.attachedPolicies, [
      'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
    ]);
    assert.deepEqual(
      roles.get('taken-role')?.attachedPolicies,
      [],
      "another's role is left as it is",
    );
    assert.deepEqual(roles.get('taken-role')?.tags, { team: 'other' });
  });

  it('lists associations for get, with eks-pia ownership', async () => {
    sim = await simulate(
      world({
        associations: `[{namespace: payments, serviceAccount: reports, roleArn: "arn:aws:iam::${ACCOUNT}:role/app-data-reader"}]`,
      }),
    );
    await sim.run('associations', config('create', ENTRY_MANAGED));
    const report = (await sim.run('associations', { operation: 'get', clusterName: 'demo' })) as {
      associations: { Namespace: string; ManagedByEksPia: boolean }[];
    };
    assert.deepEqual(
      report.associations.map((row) => [row.Namespace, row.ManagedByEksPia]),
      [
        ['default', true],
        ['payments', false],
      ],
    );
  });

  it('applies with prune: deletes only associations eks-pia created that the file no longer lists', async () => {
    sim = await simulate(
      world({
        associations: `[{namespace: payments, serviceAccount: handmade, roleArn: "arn:aws:iam::${ACCOUNT}:role/app-data-reader"}]`,
      }),
    );
    await sim.run('associations', config('apply', `${ENTRY_MANAGED}\n${ENTRY_EXISTING_ROLE}`));
    const report = (await sim.run('associations', {
      ...(config('apply', ENTRY_EXISTING_ROLE) as object),
      prune: true,
    })) as Report;
    assert.equal(report.counts.deleted, 1);
    assert.deepEqual(
      sim.simulator
        .dump()
        .clusters[0]?.podIdentityAssociations.map((a) => `${a.namespace}/${a.serviceAccount}`)
        .sort(),
      ['payments/handmade', 'payments/reports'],
    );
  });

  it('runs from the sample S3 Object Created event, choosing the operation from the key prefix', async () => {
    const file = `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: demo, region: us-west-2}\niam:\n  podIdentityAssociations:\n${ENTRY_EXISTING_ROLE}\n`;
    sim = await simulate(world({ objects: JSON.stringify({ 'apply/demo.yaml': file }) }));
    const event = JSON.parse(
      readFileSync(join(EVENTS, 'eventbridge', 's3-object-created-apply.json'), 'utf8'),
    );
    const report = (await sim.run('associations', event)) as Report;
    assert.equal(report.counts.created, 1);
    const published = sim.simulator.state.events.find(
      (entry) => entry.detailType === 'Pod Identity Automation Run Completed',
    );
    assert.ok(published, 'the run-completed event was put on EventBridge');
  });

  it('ignores objects outside the trigger prefixes', async () => {
    sim = await simulate(world());
    const event = JSON.parse(
      readFileSync(join(EVENTS, 'eventbridge', 's3-object-created-apply.json'), 'utf8'),
    );
    event.detail.object.key = 'notes/readme.txt';
    const output = (await sim.run('associations', event)) as { ignored: boolean; reason: string };
    assert.equal(output.ignored, true);
    assert.deepEqual(sim.mutatingSince(0), []);
  });
});
