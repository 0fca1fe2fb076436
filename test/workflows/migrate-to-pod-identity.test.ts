import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { parse as parseYaml, stringify } from 'yaml';
import { parsePolicyDocument, policySize } from '../../functions/core/policy-document.ts';
import { findIrsaSubjects, hasPodIdentityTrust } from '../../functions/core/trust-policy.ts';
import { WorkflowFailedError } from '../../local/runner/run-workflow.ts';
import type { World } from '../../local/simulator/index.ts';
import { type SimulatedRun, simulate } from './harness.ts';

const WORKFLOW = 'migrate-to-pod-identity';
const ACCOUNT = '111122223333';
const CALLER = `arn:aws:iam::${ACCOUNT}:role/automation`;
const ISSUER_HOST = 'oidc.eks.us-west-2.amazonaws.com/id';
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER_HOST}/DEMO1`;
const OTHER_PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER_HOST}/OTHER1`;
const VIEW_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy';
const ANNOTATION = 'eks.amazonaws.com/role-arn';
const STACK = 'eksctl-demo-addon-iamserviceaccount-legacy-reporter';
const STACK_ROLE = 'eksctl-demo-addon-iamserviceaccount-Role1-LEGACY';

const roleArn = (name: string, path = '/') => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
const subject = (namespace: string, name: string) => `system:serviceaccount:${namespace}:${name}`;

function irsaStatement(
  clusterId: string,
  sub: string | string[] | undefined,
  operator = 'StringEquals',
): Record<string, unknown> {
  const prefix = `${ISSUER_HOST}/${clusterId}`;
  const audience = { [`${prefix}:aud`]: 'sts.amazonaws.com' };
  const condition =
    sub === undefined
      ? { StringEquals: audience }
      : operator === 'StringEquals'
        ? { StringEquals: { [`${prefix}:sub`]: sub, ...audience } }
        : { StringEquals: audience, [operator]: { [`${prefix}:sub`]: sub } };
  return {
    Effect: 'Allow',
    Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${prefix}` },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: condition,
  };
}

const trust = (...statements: Record<string, unknown>[]) => ({
  Version: '2012-10-17',
  Statement: statements,
});

/** A trust policy so close to the 2,048-character quota that the pods.eks statement cannot fit. */
function fullTrust(): Record<string, unknown> {
  const subjects = [subject('full', 'app')];
  let document = trust(irsaStatement('DEMO1', subjects));
  for (let filler = 0; policySize(parsePolicyDocument(document)) < 2048 - 60; filler += 1) {
    subjects.push(subject('full', `filler-${filler}`));
    document = trust(irsaStatement('DEMO1', subjects));
  }
  return document;
}

interface WorldOptions {
  authenticationMode?: string;
  kubernetesReachable?: boolean;
  accessPolicies?: { policyArn: string; scope: unknown }[] | undefined;
  associations?: { namespace: string; serviceAccount: string; roleArn: string }[];
  providers?: string[];
}

const annotated = (namespace: string, name: string, arn: string) => ({
  namespace,
  name,
  annotations: { [ANNOTATION]: arn },
});

/**
 * One cluster with every kind of IRSA service account the issue lists: a role shared by two
 * service accounts through an array subject, a wildcard role under an IAM path, a role trusted
 * by two clusters, a role trusting every service account, an add-on role, an eksctl stack role,
 * a role of another account, an annotation without trust, a trust without service account and a
 * trust policy too full to take the Pod Identity statement.
 */
function world(options: WorldOptions = {}): string {
  const value = {
    account: ACCOUNT,
    region: 'us-west-2',
    caller: CALLER,
    clusters: [
      {
        name: 'demo',
        oidcIssuer: `https://${ISSUER_HOST}/DEMO1`,
        authenticationMode: options.authenticationMode ?? 'API_AND_CONFIG_MAP',
        kubernetesReachable: options.kubernetesReachable ?? true,
        namespaces: ['payments', 'web', 'batch', 'ops', 'kube-system', 'legacy', 'partner', 'full'],
        addons: [
          {
            name: 'vpc-cni',
            version: 'v1.19.2-eksbuild.1',
            serviceAccountRoleArn: roleArn('cni-role'),
          },
        ],
        accessEntries:
          options.accessPolicies === undefined
            ? [{ principalArn: CALLER, policies: [{ policyArn: VIEW_POLICY, scope: 'cluster' }] }]
            : options.accessPolicies.length === 0
              ? []
              : [{ principalArn: CALLER, policies: options.accessPolicies }],
        podIdentityAssociations: options.associations ?? [],
        serviceAccounts: [
          {
            ...annotated('payments', 'api', roleArn('shared-app')),
            annotations: {
              [ANNOTATION]: roleArn('shared-app'),
              'team.example.com/owner': 'payments',
            },
            labels: { app: 'api' },
            imagePullSecrets: [{ name: 'registry' }],
            automountServiceAccountToken: false,
          },
          annotated('payments', 'worker', roleArn('shared-app')),
          annotated('payments', 'stale', roleArn('stale-role')),
          { namespace: 'payments', name: 'plain' },
          annotated('web', 'frontend', roleArn('web-role', '/teams/')),
          annotated('web', 'admin', roleArn('web-role', '/teams/')),
          annotated('batch', 'job', roleArn('multi-cluster')),
          annotated('ops', 'tool', roleArn('open-role')),
          annotated('kube-system', 'aws-node', roleArn('cni-role')),
          annotated('legacy', 'reporter', roleArn(STACK_ROLE)),
          annotated('partner', 'sync', 'arn:aws:iam::444455556666:role/partner-sync'),
          annotated('full', 'app', roleArn('full-role')),
        ],
        pods: [
          { namespace: 'payments', name: 'api-7d9f-abcde', serviceAccount: 'api' },
          { namespace: 'payments', name: 'worker-0', serviceAccount: 'worker' },
          { namespace: 'web', name: 'frontend-1', serviceAccount: 'frontend' },
        ],
      },
    ],
    openIdConnectProviders: options.providers ?? [PROVIDER, OTHER_PROVIDER],
    roles: [
      {
        name: 'automation',
        assumeRolePolicyDocument: trust({
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole',
        }),
      },
      {
        name: 'shared-app',
        assumeRolePolicyDocument: trust(
          irsaStatement('DEMO1', [
            subject('payments', 'api'),
            subject('payments', 'worker'),
            subject('payments', 'gone'),
          ]),
        ),
      },
      {
        name: 'web-role',
        path: '/teams/',
        assumeRolePolicyDocument: trust(irsaStatement('DEMO1', subject('web', '*'), 'StringLike')),
      },
      {
        name: 'multi-cluster',
        assumeRolePolicyDocument: trust(
          irsaStatement('DEMO1', subject('batch', 'job')),
          irsaStatement('OTHER1', subject('batch', 'job')),
        ),
      },
      { name: 'open-role', assumeRolePolicyDocument: trust(irsaStatement('DEMO1', undefined)) },
      {
        name: 'cni-role',
        assumeRolePolicyDocument: trust(irsaStatement('DEMO1', subject('kube-system', 'aws-node'))),
      },
      {
        name: STACK_ROLE,
        assumeRolePolicyDocument: trust(irsaStatement('DEMO1', subject('legacy', 'reporter'))),
      },
      {
        name: 'stale-role',
        assumeRolePolicyDocument: trust({
          Effect: 'Allow',
          Principal: { Service: 'ec2.amazonaws.com' },
          Action: 'sts:AssumeRole',
        }),
      },
      { name: 'full-role', assumeRolePolicyDocument: fullTrust() },
    ],
    stacks: [
      {
        name: STACK,
        roles: [STACK_ROLE],
        tags: {
          'alpha.eksctl.io/cluster-name': 'demo',
          'alpha.eksctl.io/iamserviceaccount-name': 'legacy/reporter',
        },
        outputs: { Role1: roleArn(STACK_ROLE) },
      },
    ],
  };
  return stringify(value);
}

interface ServiceAccountRow {
  namespace: string;
  serviceAccount: string;
  roleArn?: string;
  result: string;
  reason: string;
  steps: string[];
  pods?: string[];
}

interface Report {
  headline: string;
  tasks: string[];
  closing: string[];
  discovery: { requested: string; used: string };
  counts: { serviceAccounts: Record<string, number>; roles: Record<string, number> };
  serviceAccounts: ServiceAccountRow[];
  roles: {
    roleName: string;
    trust: string;
    oidcTrust: string;
    removedSubjects: string[];
    reason?: string;
  }[];
  findings: { kind: string; roleName?: string; subject?: string; message: string }[];
  restarts: { namespace: string; serviceAccount: string; pods?: string[] }[];
  warnings: string[];
  nextSteps: string[];
  access: { accessPolicyArns: string[]; changed: boolean }[];
}

function row(report: Report, id: string): ServiceAccountRow {
  const found = report.serviceAccounts.find(
    (entry) => `${entry.namespace}/${entry.serviceAccount}` === id,
  );
  assert.ok(found, `${id} is in the report`);
  return found;
}

function resultsById(report: Report): Record<string, string> {
  return Object.fromEntries(
    report.serviceAccounts.map((entry) => [
      `${entry.namespace}/${entry.serviceAccount}`,
      entry.result,
    ]),
  );
}

function roleOf(state: World, name: string) {
  const role = state.roles.find((candidate) => candidate.name === name);
  assert.ok(role, `role ${name} exists`);
  return parsePolicyDocument(role.assumeRolePolicyDocument);
}

function stackOf(state: World, name: string) {
  const stack = state.stacks.find((candidate) => candidate.name === name);
  assert.ok(stack, `stack ${name} exists`);
  return stack;
}

function templateTrust(stack: World['stacks'][number]): unknown {
  const resources = stack.template?.Resources as Record<
    string,
    { Properties: Record<string, unknown> }
  >;
  return resources.Role1?.Properties.AssumeRolePolicyDocument;
}

function serviceAccountOf(state: World, namespace: string, name: string) {
  const sa = state.clusters[0]?.serviceAccounts.find(
    (candidate) => candidate.namespace === namespace && candidate.name === name,
  );
  assert.ok(sa, `service account ${namespace}/${name} exists`);
  return sa;
}

function associationsOf(state: World): Record<string, string> {
  return Object.fromEntries(
    (state.clusters[0]?.podIdentityAssociations ?? []).map((association) => [
      `${association.namespace}/${association.serviceAccount}`,
      association.roleArn,
    ]),
  );
}

const MIGRATABLE = [
  'batch/job',
  'legacy/reporter',
  'ops/tool',
  'payments/api',
  'payments/worker',
  'web/admin',
  'web/frontend',
];

describe('migrate-to-pod-identity workflow', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('plans from Kubernetes reconciled with IAM, reports every difference, and changes nothing', async () => {
    sim = await simulate(world());
    const report = (await sim.run(WORKFLOW, { clusterName: 'demo' })) as Report;

    assert.deepEqual(sim.mutatingSince(0), []);
    assert.equal(report.discovery.used, 'kubernetes');
    assert.equal(
      report.headline,
      // The vpc-cni add-on's IRSA role is migrated too, as eksctl does.
      '(plan) would migrate 7 iamserviceaccount(s) and 1 addon(s) to pod identity by executing the following tasks',
    );
    assert.ok(
      report.tasks.includes('    install eks-pod-identity-agent addon,'),
      report.tasks.join('\n'),
    );
    assert.ok(
      report.tasks.some((line) =>
        line.includes('update trust policy for unowned role "shared-app"'),
      ),
    );
    assert.ok(
      report.tasks.some((line) =>
        line.includes('create pod identity association for service account "web/frontend"'),
      ),
    );
    assert.deepEqual(report.closing, [
      'all tasks were skipped',
      "no changes were applied, run again with '--approve' to apply the changes",
    ]);
    assert.deepEqual(resultsById(report), {
      'batch/job': 'planned',
      'full/app': 'failed',
      'kube-system/aws-node': 'skipped',
      'legacy/reporter': 'planned',
      'ops/tool': 'planned',
      'partner/sync': 'skipped',
      'payments/api': 'planned',
      'payments/stale': 'skipped',
      'payments/worker': 'planned',
      'web/admin': 'planned',
      'web/frontend': 'planned',
    });
    assert.match(row(report, 'kube-system/aws-node').reason, /associated with EKS addon "vpc-cni"/);
    assert.ok(
      report.tasks.some((line) =>
        line.includes(
          `update trust policy for owned role "${STACK_ROLE}" (change set on CloudFormation stack "${STACK}")`,
        ),
      ),
    );
    assert.match(row(report, 'partner/sync').reason, /account 444455556666 \(cross-account IRSA\)/);
    assert.match(
      row(report, 'payments/stale').reason,
      /does not trust this cluster's OIDC provider/,
    );
    assert.match(
      row(report, 'full/app').reason,
      /over this account's AssumeRolePolicySizeQuota of 2048/,
    );
    assert.equal(row(report, 'web/frontend').roleArn, roleArn('web-role', '/teams/'));
    assert.deepEqual(row(report, 'payments/api').pods, ['api-7d9f-abcde']);

    const kinds = report.findings.map((finding) => `${finding.kind} ${finding.roleName ?? ''}`);
    assert.ok(kinds.includes('trust-without-service-account shared-app'), kinds.join('\n'));
    assert.ok(kinds.includes('wildcard-subject web-role'));
    assert.ok(kinds.includes('cluster-wide-trust open-role'));
    assert.ok(kinds.includes('role-path web-role'));
    const gone = report.findings.find((finding) => finding.subject === subject('payments', 'gone'));
    assert.equal(gone?.kind, 'trust-without-service-account');
    assert.match(gone?.message ?? '', /that service account does not exist; not migrated/);
  });

  it('migrates only the roles within migratableRoleArnPatterns, skipping the others and their add-on with the reason', async () => {
    sim = await simulate(world());
    const before = sim.simulator.dump();
    // What the stack sets on discover-irsa when the deployment narrows the migration's IAM.
    process.env.MIGRATABLE_ROLES = JSON.stringify([roleArn('*', '/teams/')]);
    let report: Report & { addons: { addonName: string; result: string; reason: string }[] };
    try {
      const input = {
        clusterName: 'demo',
        approve: true,
        removeOidcProviderTrustRelationship: true,
      };
      report = (await sim.run(WORKFLOW, input)) as typeof report;
    } finally {
      delete process.env.MIGRATABLE_ROLES;
    }

    const migrated = report.serviceAccounts.filter((entry) => entry.result === 'migrated');
    assert.deepEqual(
      migrated.map((entry) => `${entry.namespace}/${entry.serviceAccount}`),
      ['web/admin', 'web/frontend'],
    );
    const payments = row(report, 'payments/api');
    assert.equal(payments.result, 'skipped');
    assert.match(
      payments.reason ?? '',
      /role .*role\/shared-app is outside this deployment's migratableRoleArnPatterns/,
    );
    const cni = report.addons.find((addon) => addon.addonName === 'vpc-cni');
    assert.equal(cni?.result, 'skipped');
    assert.match(cni?.reason ?? '', /migratableRoleArnPatterns/);
    // No role outside the patterns had its trust touched.
    const after = sim.simulator.dump();
    for (const role of before.roles.filter((candidate) => candidate.path !== '/teams/')) {
      assert.deepEqual(
        after.roles.find((candidate) => candidate.name === role.name)?.assumeRolePolicyDocument,
        role.assumeRolePolicyDocument,
        role.name,
      );
    }
  });

  it("migrates with removal: associations, Pod Identity trust, annotations and only this cluster's OIDC subjects; a rerun changes nothing", async () => {
    sim = await simulate(world());
    const input = { clusterName: 'demo', approve: true, removeOidcProviderTrustRelationship: true };
    const report = (await sim.run(WORKFLOW, input)) as Report;

    assert.equal(
      report.counts.serviceAccounts.migrated,
      7,
      JSON.stringify(report.serviceAccounts, null, 2),
    );
    assert.equal(row(report, 'full/app').result, 'failed');
    assert.deepEqual(report.closing, [
      '1 service account could not be migrated; see their reasons',
    ]);
    const state = sim.simulator.dump();
    assert.deepEqual(associationsOf(state), {
      'batch/job': roleArn('multi-cluster'),
      // The vpc-cni add-on's association (its own migration, through UpdateAddon).
      'kube-system/aws-node': roleArn('cni-role'),
      'legacy/reporter': roleArn(STACK_ROLE),
      'ops/tool': roleArn('open-role'),
      'payments/api': roleArn('shared-app'),
      'payments/worker': roleArn('shared-app'),
      'web/admin': roleArn('web-role', '/teams/'),
      'web/frontend': roleArn('web-role', '/teams/'),
    });
    // Marked as made by eks-pia, so a drift check does not take them for ones made by hand; not
    // with the ownership tags that would let an apply's prune delete them.
    const made = (state.clusters[0]?.podIdentityAssociations ?? []).filter(
      (association) => !association.ownerArn,
    );
    assert.ok(made.length > 0);
    for (const association of made) {
      assert.deepEqual(
        association.tags,
        { 'eks-pia/managed-by': 'eks-pia' },
        association.serviceAccount,
      );
    }
    assert.ok(state.clusters[0]?.addons.some((addon) => addon.name === 'eks-pod-identity-agent'));

    // No migrated service account keeps its annotation, and no migrated role trusts this
    // cluster's provider for the migrated subjects (wildcards and statements without :sub may
    // serve others and stay; the next assertions show them).
    const migrated = report.serviceAccounts.filter((entry) => entry.result === 'migrated');
    assert.deepEqual(
      migrated.map((entry) => `${entry.namespace}/${entry.serviceAccount}`),
      MIGRATABLE,
    );
    for (const entry of migrated) {
      const id = `${entry.namespace}/${entry.serviceAccount}`;
      const sa = serviceAccountOf(state, entry.namespace, entry.serviceAccount);
      assert.equal(sa.annotations[ANNOTATION], undefined, id);
      const roleName = entry.roleArn?.split('/').pop() ?? '';
      const document = roleOf(state, roleName);
      assert.ok(hasPodIdentityTrust(document), `${roleName} trusts Pod Identity`);
      const values = findIrsaSubjects(document, PROVIDER).subjects.map((found) => found.value);
      assert.ok(
        !values.includes(subject(entry.namespace, entry.serviceAccount)),
        `${roleName} still trusts ${id}`,
      );
    }
    // The trust nobody migrated stays: another cluster's statement, a stale subject, a wildcard, a
    // statement without :sub.
    assert.deepEqual(
      findIrsaSubjects(roleOf(state, 'multi-cluster'), OTHER_PROVIDER).subjects.map(
        (entry) => entry.value,
      ),
      [subject('batch', 'job')],
    );
    assert.deepEqual(
      findIrsaSubjects(roleOf(state, 'shared-app'), PROVIDER).subjects.map((entry) => entry.value),
      [subject('payments', 'gone')],
    );
    assert.deepEqual(
      findIrsaSubjects(roleOf(state, 'web-role'), PROVIDER).subjects.map((entry) => entry.value),
      [subject('web', '*')],
    );
    assert.equal(
      findIrsaSubjects(roleOf(state, 'open-role'), PROVIDER).statements[0]?.clusterWide,
      true,
    );
    // Roles left out are untouched; their service accounts keep their annotations.
    for (const role of ['full-role', 'stale-role']) {
      assert.equal(hasPodIdentityTrust(roleOf(state, role)), false, role);
    }
    // The vpc-cni add-on's role is migrated with its add-on.
    assert.equal(hasPodIdentityTrust(roleOf(state, 'cni-role')), true);
    // The merge patch took only the annotation away.
    const api = serviceAccountOf(state, 'payments', 'api');
    assert.deepEqual(api.annotations, { 'team.example.com/owner': 'payments' });
    assert.deepEqual(api.labels, { app: 'api' });
    assert.deepEqual(api.imagePullSecrets, [{ name: 'registry' }]);
    assert.equal(api.automountServiceAccountToken, false);

    assert.ok(
      report.restarts.some(
        (restart) => restart.serviceAccount === 'api' && restart.pods?.includes('api-7d9f-abcde'),
      ),
    );
    assert.ok(report.warnings.some((warning) => warning.includes('restart them now')));
    const web = report.roles.find((role) => role.roleName === 'web-role');
    assert.equal(web?.trust, 'added');

    const mark = sim.simulator.calls.length;
    const rerun = (await sim.run(WORKFLOW, input)) as Report;
    assert.deepEqual(sim.mutatingSince(mark), []);
    assert.equal(rerun.counts.serviceAccounts.migrated, 0);
  });

  it('without removal keeps IRSA working, a rerun makes zero mutating calls, and a later run with removal finishes', async () => {
    sim = await simulate(world());
    const first = (await sim.run(WORKFLOW, { clusterName: 'demo', approve: true })) as Report;
    assert.equal(first.counts.serviceAccounts.migrated, 7);
    assert.ok(
      first.nextSteps.some((step) => step.includes('--remove-oidc-provider-trust-relationship')),
    );
    let state = sim.simulator.dump();
    assert.equal(
      serviceAccountOf(state, 'payments', 'api').annotations[ANNOTATION],
      roleArn('shared-app'),
    );
    assert.equal(findIrsaSubjects(roleOf(state, 'shared-app'), PROVIDER).subjects.length, 3);
    assert.ok(hasPodIdentityTrust(roleOf(state, 'shared-app')));

    const mark = sim.simulator.calls.length;
    const rerun = (await sim.run(WORKFLOW, { clusterName: 'demo', approve: true })) as Report;
    assert.deepEqual(sim.mutatingSince(mark), []);
    assert.equal(rerun.counts.serviceAccounts.unchanged, 7);
    assert.match(
      rerun.headline,
      /^all 7 iamserviceaccount\(s\) and 1 addon\(s\) found are already migrated/,
    );

    const removal = (await sim.run(WORKFLOW, {
      clusterName: 'demo',
      approve: true,
      removeOidcProviderTrustRelationship: true,
    })) as Report;
    assert.equal(removal.counts.serviceAccounts.migrated, 7);
    state = sim.simulator.dump();
    assert.equal(serviceAccountOf(state, 'payments', 'api').annotations[ANNOTATION], undefined);
    assert.deepEqual(
      findIrsaSubjects(roleOf(state, 'shared-app'), PROVIDER).subjects.map((entry) => entry.value),
      [subject('payments', 'gone')],
    );
  });

  it('falls back to IAM with a warning when the Kubernetes API refuses access, changing nothing in a plan', async () => {
    sim = await simulate(
      world({ accessPolicies: [{ policyArn: VIEW_POLICY, scope: { namespaces: ['elsewhere'] } }] }),
    );
    const report = (await sim.run(WORKFLOW, { clusterName: 'demo' })) as Report;
    assert.deepEqual(sim.mutatingSince(0), []);
    assert.equal(report.discovery.used, 'iam');
    assert.ok(
      report.warnings.some(
        (warning) =>
          warning.includes('refused to list serviceaccounts') &&
          warning.includes('An approved run first gives eks-pia read access (AmazonEKSViewPolicy)'),
      ),
      report.warnings.join('\n'),
    );
    const results = resultsById(report);
    // Exact subjects are migrated; the wildcard and the statement without :sub cannot be expanded.
    assert.equal(results['payments/api'], 'planned');
    assert.equal(results['payments/gone'], 'planned');
    assert.equal(results['web/frontend'], undefined);
    const wildcard = report.findings.find((finding) => finding.kind === 'wildcard-subject');
    assert.match(wildcard?.message ?? '', /without the Kubernetes API/);
    assert.ok(
      report.findings.some(
        (finding) => finding.kind === 'addon-role' && finding.roleName === 'cni-role',
      ),
    );
    assert.equal(results['legacy/reporter'], 'planned');
  });

  it('falls back to IAM when no access entry can be created, and keeps OIDC trust whose annotation could not be removed', async () => {
    sim = await simulate(world({ authenticationMode: 'CONFIG_MAP', accessPolicies: [] }));
    const report = (await sim.run(WORKFLOW, {
      clusterName: 'demo',
      approve: true,
      removeOidcProviderTrustRelationship: true,
    })) as Report;
    assert.equal(report.discovery.used, 'iam');
    assert.ok(
      report.warnings.some((warning) => warning.includes('CONFIG_MAP')),
      report.warnings.join('\n'),
    );
    const api = row(report, 'payments/api');
    assert.equal(api.result, 'failed');
    assert.match(api.reason, /the association exists, but removing the role-arn annotation failed/);
    const state = sim.simulator.dump();
    assert.equal(associationsOf(state)['payments/api'], roleArn('shared-app'));
    // Annotations are still there, so IRSA must keep working: the OIDC subjects stay.
    assert.equal(findIrsaSubjects(roleOf(state, 'shared-app'), PROVIDER).subjects.length, 3);
    assert.ok(hasPodIdentityTrust(roleOf(state, 'shared-app')));
  });

  it('falls back to IAM when the Kubernetes API cannot be reached, and fails when Kubernetes discovery is required', async () => {
    sim = await simulate(world({ kubernetesReachable: false }));
    const report = (await sim.run(WORKFLOW, { clusterName: 'demo' })) as Report;
    assert.equal(report.discovery.used, 'iam');
    assert.ok(
      report.warnings.some((warning) => warning.includes('cannot reach the Kubernetes API')),
    );
    await assert.rejects(
      sim.run(WORKFLOW, { clusterName: 'demo', discovery: 'kubernetes' }),
      (error: unknown) =>
        error instanceof WorkflowFailedError && error.error === 'KubernetesUnreachableError',
    );
    assert.deepEqual(sim.mutatingSince(0), []);
  });

  it("reports an existing association with another role as a conflict and still migrates the role's other service account", async () => {
    sim = await simulate(
      world({
        associations: [
          { namespace: 'payments', serviceAccount: 'worker', roleArn: roleArn('stale-role') },
          { namespace: 'batch', serviceAccount: 'job', roleArn: roleArn('multi-cluster') },
        ],
      }),
    );
    const report = (await sim.run(WORKFLOW, {
      clusterName: 'demo',
      approve: true,
      removeOidcProviderTrustRelationship: true,
    })) as Report;
    assert.equal(row(report, 'payments/worker').result, 'failed');
    assert.match(
      row(report, 'payments/worker').reason,
      /already has a pod identity association with role .*stale-role/,
    );
    assert.equal(row(report, 'payments/api').result, 'migrated');
    assert.equal(row(report, 'batch/job').result, 'migrated');
    assert.ok(!row(report, 'batch/job').steps.includes('created the pod identity association'));
    const state = sim.simulator.dump();
    assert.equal(associationsOf(state)['payments/worker'], roleArn('stale-role'));
    // worker still uses IRSA through its annotation and exact subject, which stay.
    assert.equal(
      serviceAccountOf(state, 'payments', 'worker').annotations[ANNOTATION],
      roleArn('shared-app'),
    );
    assert.deepEqual(
      findIrsaSubjects(roleOf(state, 'shared-app'), PROVIDER).subjects.map((entry) => entry.value),
      [subject('payments', 'worker'), subject('payments', 'gone')],
    );
  });

  it('refuses an association that a plan document changed after discovery asks for, and migrates the rest', async () => {
    sim = await simulate(world());
    const { simulator } = sim;
    const report = (await sim.run(
      WORKFLOW,
      { clusterName: 'demo', approve: true },
      {
        // Someone with write access to runs/ points web/frontend at payments' shared role in the
        // document its batch reads.
        onTaskInvoked: (task) => {
          if (task !== 'create-migration-associations') return;
          for (const bucket of simulator.state.world.buckets) {
            for (const [key, text] of Object.entries(bucket.objects)) {
              if (!/\/batch-\d+\.json$/.test(key)) continue;
              const document = JSON.parse(text) as {
                entry: { firstRole: number };
                roles: { name: string; arn: string }[];
                serviceAccounts: { namespace: string; serviceAccount: string; roleIndex: number }[];
              };
              for (const sa of document.serviceAccounts) {
                const role = document.roles[sa.roleIndex - document.entry.firstRole];
                if (sa.namespace !== 'web' || sa.serviceAccount !== 'frontend' || !role) continue;
                role.name = 'shared-app';
                role.arn = roleArn('shared-app');
              }
              bucket.objects[key] = JSON.stringify(document);
            }
          }
        },
      },
    )) as Report;
    assert.equal(row(report, 'web/frontend').result, 'failed');
    assert.match(
      row(report, 'web/frontend').reason,
      /refused to associate "web\/frontend" with role "shared-app": the role does not trust this cluster's OIDC provider for that service account/,
    );
    assert.equal(row(report, 'payments/api').result, 'migrated');
    const associations = associationsOf(sim.simulator.dump());
    assert.equal(associations['web/frontend'], undefined);
    assert.equal(associations['payments/api'], roleArn('shared-app'));
  });

  it('plans an eksctl-owned role as an owned-role task on its stack, changing nothing', async () => {
    sim = await simulate(world());
    const report = (await sim.run(WORKFLOW, {
      clusterName: 'demo',
      namespaces: ['legacy'],
    })) as Report;
    assert.deepEqual(sim.mutatingSince(0), []);
    assert.deepEqual(resultsById(report), { 'legacy/reporter': 'planned' });
    assert.ok(
      report.tasks.some((line) =>
        line.includes(
          `update trust policy for owned role "${STACK_ROLE}" (change set on CloudFormation stack "${STACK}")`,
        ),
      ),
      report.tasks.join('\n'),
    );
    assert.ok(!report.findings.some((finding) => finding.kind === 'stack-owned'));
  });

  it('migrates an eksctl-owned role through its stack without drift, keeping IRSA; a rerun changes nothing', async () => {
    sim = await simulate(world());
    const report = (await sim.run(WORKFLOW, {
      clusterName: 'demo',
      approve: true,
      namespaces: ['legacy'],
    })) as Report;
    assert.deepEqual(resultsById(report), { 'legacy/reporter': 'migrated' });
    assert.match(
      row(report, 'legacy/reporter').steps.join('\n'),
      new RegExp(`through CloudFormation stack "${STACK}" \\(UPDATE_COMPLETE\\)`),
    );
    const calls = sim.mutatingSince(0);
    assert.ok(calls.includes('cloudformation:CreateChangeSet'));
    assert.ok(calls.includes('cloudformation:ExecuteChangeSet'));
    assert.ok(
      !calls.includes('iam:UpdateAssumeRolePolicy'),
      'the role is not edited behind the stack',
    );
    const state = sim.simulator.dump();
    const stack = stackOf(state, STACK);
    assert.equal(stack.status, 'UPDATE_COMPLETE');
    assert.deepEqual(
      templateTrust(stack),
      state.roles.find((r) => r.name === STACK_ROLE)?.assumeRolePolicyDocument,
    );
    assert.ok(hasPodIdentityTrust(roleOf(state, STACK_ROLE)));
    assert.deepEqual(
      findIrsaSubjects(roleOf(state, STACK_ROLE), PROVIDER).subjects.map((entry) => entry.value),
      [subject('legacy', 'reporter')],
    );
    assert.equal(stack.tags['alpha.eksctl.io/podidentityassociation-name'], 'legacy/reporter');
    assert.equal(stack.tags['alpha.eksctl.io/iamserviceaccount-name'], 'legacy/reporter');
    assert.deepEqual(Object.keys(associationsOf(state)), ['legacy/reporter']);

    const mark = sim.simulator.calls.length;
    const rerun = (await sim.run(WORKFLOW, {
      clusterName: 'demo',
      approve: true,
      namespaces: ['legacy'],
    })) as Report;
    assert.deepEqual(sim.mutatingSince(mark), []);
    assert.deepEqual(resultsById(rerun), { 'legacy/reporter': 'unchanged' });
  });

  it('removes the OIDC trust of an eksctl-owned role through its stack once the association exists; a rerun changes nothing', async () => {
    sim = await simulate(world());
    const report = (await sim.run(WORKFLOW, {
      clusterName: 'demo',
      approve: true,
      removeOidcProviderTrustRelationship: true,
      namespaces: ['legacy'],
    })) as Report;
    assert.deepEqual(resultsById(report), { 'legacy/reporter': 'migrated' });
    const calls = sim.mutatingSince(0);
    assert.equal(calls.filter((call) => call === 'cloudformation:ExecuteChangeSet').length, 2);
    assert.ok(
      calls.indexOf('eks:CreatePodIdentityAssociation') <
        calls.lastIndexOf('cloudformation:ExecuteChangeSet'),
      'the OIDC trust goes only after the association exists',
    );
    assert.ok(!calls.includes('iam:UpdateAssumeRolePolicy'));
    const state = sim.simulator.dump();
    const stack = stackOf(state, STACK);
    const role = roleOf(state, STACK_ROLE);
    assert.ok(hasPodIdentityTrust(role));
    assert.deepEqual(findIrsaSubjects(role, PROVIDER).subjects, []);
    assert.deepEqual(
      templateTrust(stack),
      state.roles.find((r) => r.name === STACK_ROLE)?.assumeRolePolicyDocument,
    );
    assert.equal(stack.tags['alpha.eksctl.io/iamserviceaccount-name'], undefined);
    assert.equal(stack.tags['alpha.eksctl.io/podidentityassociation-name'], 'legacy/reporter');
    assert.equal(
      serviceAccountOf(state, 'legacy', 'reporter').annotations?.[ANNOTATION],
      undefined,
    );
    const roleRow = report.roles.find((entry) => entry.roleName === STACK_ROLE);
    assert.equal(roleRow?.oidcTrust, 'removed');

    const mark = sim.simulator.calls.length;
    await sim.run(WORKFLOW, {
      clusterName: 'demo',
      approve: true,
      removeOidcProviderTrustRelationship: true,
      namespaces: ['legacy'],
    });
    assert.deepEqual(sim.mutatingSince(mark), []);
  });

  it('fails only the item whose stack is UPDATE_IN_PROGRESS, with the stack status, and migrates the rest', async () => {
    sim = await simulate(
      world().replace(
        `- name: ${STACK}\n`,
        `- name: ${STACK}\n    status: UPDATE_IN_PROGRESS\n    statusReason: User Initiated\n`,
      ),
    );
    assert.equal(sim.simulator.state.world.stacks[0]?.status, 'UPDATE_IN_PROGRESS');
    const report = (await sim.run(WORKFLOW, {
      clusterName: 'demo',
      approve: true,
      namespaces: ['legacy', 'batch'],
    })) as Report;
    assert.deepEqual(resultsById(report), { 'batch/job': 'migrated', 'legacy/reporter': 'failed' });
    assert.match(row(report, 'legacy/reporter').reason, /UPDATE_IN_PROGRESS \(User Initiated\)/);
    assert.ok(!sim.mutatingSince(0).some((call) => call.startsWith('cloudformation:')));
    const state = sim.simulator.dump();
    assert.ok(!hasPodIdentityTrust(roleOf(state, STACK_ROLE)));
    assert.deepEqual(Object.keys(associationsOf(state)), ['batch/job']);
  });

  it('fails the item whose change set rolls back, with the stack reason; role and template stay as they were', async () => {
    const failing = stringify({
      ...parseYaml(world()),
      behaviour: {
        stackUpdateFailures: { [STACK]: 'Rate exceeded (Service: Iam, Status Code: 400)' },
      },
    });
    sim = await simulate(failing);
    const before = structuredClone(stackOf(sim.simulator.dump(), STACK).template);
    const report = (await sim.run(WORKFLOW, {
      clusterName: 'demo',
      approve: true,
      namespaces: ['legacy', 'batch'],
    })) as Report;
    assert.deepEqual(resultsById(report), { 'batch/job': 'migrated', 'legacy/reporter': 'failed' });
    assert.match(row(report, 'legacy/reporter').reason, /UPDATE_ROLLBACK_COMPLETE.*Rate exceeded/);
    const state = sim.simulator.dump();
    const stack = stackOf(state, STACK);
    assert.equal(stack.status, 'UPDATE_ROLLBACK_COMPLETE');
    assert.deepEqual(stack.template, before);
    assert.ok(!hasPodIdentityTrust(roleOf(state, STACK_ROLE)));
    assert.equal(report.roles.find((entry) => entry.roleName === STACK_ROLE)?.trust, 'failed');
  });

  it('changes the trust of a role whose stack it may not update only with allowStackDrift, and says so', async () => {
    const renamed = world().replaceAll(STACK, 'legacy-reporter-role');
    sim = await simulate(renamed);
    const skipped = (await sim.run(WORKFLOW, {
      clusterName: 'demo',
      approve: true,
      namespaces: ['legacy'],
    })) as Report;
    assert.deepEqual(resultsById(skipped), { 'legacy/reporter': 'skipped' });
    assert.match(row(skipped, 'legacy/reporter').reason, /may not update it; .*allowStackDrift/);
    assert.deepEqual(
      sim.mutatingSince(0).filter((call) => !call.startsWith('eks:Create')),
      [],
    );
    const report = (await sim.run(WORKFLOW, {
      clusterName: 'demo',
      approve: true,
      allowStackDrift: true,
      namespaces: ['legacy'],
    })) as Report;
    assert.deepEqual(resultsById(report), { 'legacy/reporter': 'migrated' });
    assert.ok(
      report.tasks.some((line) =>
        line.includes(
          `update trust policy for owned role "${STACK_ROLE}" (outside CloudFormation stack`,
        ),
      ),
    );
    assert.ok(report.findings.some((finding) => finding.kind === 'stack-drift'));
    assert.ok(hasPodIdentityTrust(roleOf(sim.simulator.dump(), STACK_ROLE)));
  });

  it('succeeds with nothing to do when the cluster has no IAM OIDC provider', async () => {
    sim = await simulate(
      world({ providers: [OTHER_PROVIDER] }).replaceAll(
        `${ISSUER_HOST}/DEMO1`,
        `${ISSUER_HOST}/GONE`,
      ),
    );
    const report = (await sim.run(WORKFLOW, { clusterName: 'demo', approve: true })) as Report;
    assert.equal(
      report.headline,
      'no IAM OIDC provider associated with cluster, hence no iamserviceaccounts to be migrated',
    );
    assert.deepEqual(sim.mutatingSince(0), []);
  });

  it('rejects an invalid input before any call', async () => {
    sim = await simulate(world());
    await assert.rejects(
      sim.run(WORKFLOW, { clusterName: 'demo', approve: 'yes', discovery: 'everything' }),
      (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError);
        assert.equal(error.error, 'InvalidMigrationInputError');
        assert.match(error.cause, /approve/);
        assert.match(error.cause, /discovery/);
        return true;
      },
    );
    assert.deepEqual(sim.simulator.calls, []);
  });
});
