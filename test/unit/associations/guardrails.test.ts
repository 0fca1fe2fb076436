import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { DesiredAssociation } from '../../../functions/core/associations/desired.ts';
import {
  checkCurrentRoleConditions,
  checkGuardrails,
  DEFAULT_GUARDRAILS,
  findGuardrailViolations,
  type GuardrailSettings,
  GuardrailSettingsError,
  guardrailsFromEnv,
  lookUpForGuardrails,
  PolicyGuardViolation,
  policiesToLookUp,
  rolesToLookUp,
  settleCurrentRoleConditions,
} from '../../../functions/core/associations/guardrails.ts';
import type { PodIdentityAssociationConfig } from '../../../functions/core/config/index.ts';
import {
  type Partition,
  WELL_KNOWN_POLICY_KEYS,
} from '../../../functions/core/well-known-policies.ts';
import { ACCOUNT, desired, S3_READ, TARGET_ROLE, USER_ROLE } from './fixtures.ts';

const ENFORCED = `arn:aws:iam::${ACCOUNT}:policy/enforced`;

function withStatements(
  ...statements: Record<string, unknown>[]
): Partial<PodIdentityAssociationConfig> {
  return { permissionPolicy: { Version: '2012-10-17', Statement: statements } };
}

function violations(
  entries: DesiredAssociation[],
  settings: GuardrailSettings = DEFAULT_GUARDRAILS,
  operation: 'create' | 'delete' | 'get' | 'apply' = 'create',
) {
  return findGuardrailViolations({ operation, entries }, settings);
}

const PATH = 'iam.podIdentityAssociations[0]';

describe('default guardrails', () => {
  for (const partition of ['aws', 'aws-cn', 'aws-us-gov']) {
    for (const name of ['AdministratorAccess', 'IAMFullAccess', 'PowerUserAccess']) {
      it(`deny ${name} in the ${partition} partition`, () => {
        const arn = `arn:${partition}:iam::aws:policy/${name}`;
        const found = violations([
          desired(
            { permissionPolicyARNs: [S3_READ.replace('arn:aws:', `arn:${partition}:`), arn] },
            { partition: partition as Partition },
          ),
        ]);
        assert.deepEqual(
          found.map((violation) => violation.path),
          [`${PATH}.permissionPolicyARNs[1]`],
        );
        assert.match(found[0]?.message ?? '', new RegExp(`${arn}, which the guardrails deny`));
      });
    }
  }

  it('deny Action "*" in a permissionPolicy, pointing at the statement', () => {
    const found = violations([
      desired(
        withStatements(
          { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
          { Effect: 'Allow', Action: '*', Resource: '*' },
        ),
      ),
    ]);
    assert.equal(found.length, 1);
    assert.equal(found[0]?.path, `${PATH}.permissionPolicy.Statement[1]`);
    assert.match(found[0]?.message ?? '', /allows iam:\w+, .* and \d+ more/);
    assert.match(found[0]?.message ?? '', /through Action "\*"/);
  });

  it('deny every IAM write however the wildcard spells it, on any resource', () => {
    const named = 'arn:aws:iam::111122223333:role/x';
    const cases: [string | string[], RegExp][] = [
      ['iam:*', /iam:AddRoleToInstanceProfile, .* and \d+ more/],
      ['IAM:*', /iam:/],
      ['i*', /iam:/],
      [['s3:GetObject', 'iam:*'], /iam:/],
      ['iam:Cre*', /iam:CreateAccessKey/],
      ['iam:*Role*', /iam:AttachRolePolicy/],
      ['iam:P*', /iam:PutRolePolicy/],
      ['iam:AttachRolePolicy', /iam:AttachRolePolicy/],
      ['iam:PutRolePolicy', /iam:PutRolePolicy/],
      ['iam:UpdateAssumeRolePolicy', /iam:UpdateAssumeRolePolicy/],
      ['iam:CreateRole', /iam:CreateRole/],
      ['organizations:LeaveOrganization', /organizations:LeaveOrganization/],
      ['account:PutAlternateContact', /account:PutAlternateContact/],
    ];
    for (const [action, expected] of cases) {
      for (const resource of ['*', named]) {
        const found = violations([
          desired(withStatements({ Effect: 'Allow', Action: action, Resource: resource })),
        ]);
        assert.equal(found.length, 1, `${JSON.stringify(action)} on ${resource}`);
        assert.match(found[0]?.message ?? '', expected);
      }
    }
  });

  it('allow IAM reads, service-linked roles, and passing or assuming a named role', () => {
    assert.deepEqual(
      violations([
        desired(
          withStatements(
            { Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' },
            { Effect: 'Allow', Action: 'iam:CreateServiceLinkedRole', Resource: '*' },
            { Effect: 'Allow', Action: ['iam:PassRole', 'sts:AssumeRole'], Resource: TARGET_ROLE },
          ),
        ),
      ]),
      [],
    );
  });

  it('deny passing or assuming roles on a wildcard resource', () => {
    for (const action of ['iam:PassRole', 'sts:AssumeRole', 'sts:*', 'sts:Assume*']) {
      for (const resource of [
        '*',
        'arn:aws:iam::*:role/*',
        'arn:*',
        'arn:aws:iam::111122223333:role/team-*',
      ]) {
        const found = violations([
          desired(withStatements({ Effect: 'Allow', Action: action, Resource: resource })),
        ]);
        assert.equal(found.length, 1, `${action} on ${resource}`);
        assert.match(found[0]?.message ?? '', /on a wildcard resource/);
        assert.match(found[0]?.message ?? '', /name the exact roles in Resource/);
      }
    }
    assert.deepEqual(
      violations([
        desired(
          withStatements({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: TARGET_ROLE }),
        ),
      ]),
      [],
    );
    assert.equal(
      violations([
        desired(
          withStatements({ Effect: 'Allow', Action: 'sts:AssumeRole', NotResource: TARGET_ROLE }),
        ),
      ]).length,
      1,
    );
  });

  it('count an Allow with NotAction as granting everything it does not list', () => {
    const found = violations([
      desired(withStatements({ Effect: 'Allow', NotAction: 's3:DeleteBucket', Resource: '*' })),
    ]);
    assert.equal(found.length, 1);
    assert.match(found[0]?.message ?? '', /every action not listed in NotAction, so grants iam:/);
    assert.deepEqual(
      violations([
        desired(
          withStatements({
            Effect: 'Allow',
            NotAction: ['iam:*', 'sts:*', 'organizations:*', 'account:*'],
            Resource: 'arn:aws:s3:::bucket/*',
          }),
        ),
      ]),
      [],
    );
  });

  it('let Deny statements through, whatever they name', () => {
    assert.deepEqual(
      violations([
        desired(
          withStatements(
            { Effect: 'Deny', Action: '*', Resource: '*' },
            { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
          ),
        ),
      ]),
      [],
    );
  });

  it('read a single-statement document, naming Statement without an index', () => {
    const found = violations([
      desired({ permissionPolicy: { Statement: { Effect: 'Allow', Action: '*', Resource: '*' } } }),
    ]);
    assert.equal(found[0]?.path, `${PATH}.permissionPolicy.Statement`);
  });

  it('allow every well-known policy as eksctl expands it (autoScaler, the load balancer controller, ...)', () => {
    for (const key of WELL_KNOWN_POLICY_KEYS) {
      assert.deepEqual(violations([desired({ wellKnownPolicies: { [key]: true } })]), [], key);
    }
  });
});

describe('custom guardrails', () => {
  it('look into well-known inline policies as they will be created', () => {
    const settings = {
      ...DEFAULT_GUARDRAILS,
      deniedActions: [{ action: 'ec2:CreateSecurityGroup' }],
    };
    const found = violations(
      [desired({ wellKnownPolicies: { awsLoadBalancerController: true } })],
      settings,
    );
    assert.deepEqual(
      found.map((violation) => violation.path),
      [`${PATH}.wellKnownPolicies.awsLoadBalancerController`],
    );
    assert.match(
      found[0]?.message ?? '',
      /^inline policy eks-pia-PolicyAWSLoadBalancerController, Statement\[4\]: allows ec2:CreateSecurityGroup/,
    );
  });

  it('deny managed policies a well-known policy adds, by glob', () => {
    const settings = {
      ...DEFAULT_GUARDRAILS,
      deniedPolicyArns: ['arn:*:iam::aws:policy/AmazonEC2ContainerRegistry*'],
    };
    const found = violations([desired({ wellKnownPolicies: { imageBuilder: true } })], settings);
    assert.equal(found[0]?.path, `${PATH}.wellKnownPolicies.imageBuilder`);
    assert.match(
      found[0]?.message ?? '',
      /^imageBuilder adds arn:aws:iam::aws:policy\/AmazonEC2ContainerRegistryPowerUser.*pattern arn:\*:iam::aws:policy\/AmazonEC2ContainerRegistry\*/,
    );
  });

  it('put the enforced boundary on created roles and accept an entry that asks for the same one', () => {
    const settings = { ...DEFAULT_GUARDRAILS, enforcedPermissionsBoundaryArn: ENFORCED };
    const entry = desired(
      { permissionPolicyARNs: [S3_READ] },
      { enforcedPermissionsBoundaryArn: ENFORCED },
    );
    assert.ok(entry.role.kind === 'managed');
    assert.equal(entry.role.role.permissionsBoundaryArn, ENFORCED);
    assert.deepEqual(violations([entry], settings), []);
    const same = desired(
      { permissionPolicyARNs: [S3_READ], permissionsBoundaryARN: ENFORCED },
      { enforcedPermissionsBoundaryArn: ENFORCED },
    );
    assert.deepEqual(violations([same], settings), []);
  });

  it('report a boundary that conflicts with the enforced one', () => {
    const settings = { ...DEFAULT_GUARDRAILS, enforcedPermissionsBoundaryArn: ENFORCED };
    const own = `arn:aws:iam::${ACCOUNT}:policy/mine`;
    const found = violations(
      [
        desired(
          { permissionPolicyARNs: [S3_READ], permissionsBoundaryARN: own },
          { enforcedPermissionsBoundaryArn: ENFORCED },
        ),
      ],
      settings,
    );
    assert.deepEqual(
      found.map((violation) => violation.path),
      [`${PATH}.permissionsBoundaryARN`],
    );
    assert.match(
      found[0]?.message ?? '',
      /conflicts with the permissions boundary the guardrails enforce/,
    );
  });

  it('report a role that would be created without the enforced boundary', () => {
    const settings = { ...DEFAULT_GUARDRAILS, enforcedPermissionsBoundaryArn: ENFORCED };
    const found = violations([desired({ permissionPolicyARNs: [S3_READ] })], settings);
    assert.match(
      found[0]?.message ?? '',
      /would be created without the enforced permissions boundary/,
    );
  });

  it('allow only role ARNs matching the patterns, for roleARN and targetRoleARN', () => {
    const settings = {
      ...DEFAULT_GUARDRAILS,
      allowedRoleArnPatterns: [`arn:aws:iam::${ACCOUNT}:role/app-*`],
    };
    assert.deepEqual(violations([desired({ roleARN: USER_ROLE })], settings), []);
    const found = violations(
      [desired({ roleARN: `arn:aws:iam::${ACCOUNT}:role/admin`, targetRoleARN: TARGET_ROLE })],
      settings,
    );
    assert.deepEqual(
      found.map((violation) => violation.path),
      [`${PATH}.roleARN`, `${PATH}.targetRoleARN`],
    );
    assert.match(
      found[0]?.message ?? '',
      /is not allowed by the guardrails; allowed role ARN patterns: arn:aws:iam::111122223333:role\/app-\*/,
    );
  });

  it('allow only namespaces matching the patterns, also for deletes', () => {
    const settings = { ...DEFAULT_GUARDRAILS, allowedNamespaces: ['team-*'] };
    assert.deepEqual(
      violations([desired({ namespace: 'team-a', roleARN: USER_ROLE })], settings),
      [],
    );
    const found = violations([desired({ roleARN: USER_ROLE })], settings, 'delete');
    assert.deepEqual(
      found.map((violation) => violation.path),
      [`${PATH}.namespace`],
    );
  });

  it('check nothing but namespaces on delete and nothing at all on get', () => {
    const admin = desired({
      permissionPolicyARNs: ['arn:aws:iam::aws:policy/AdministratorAccess'],
    });
    assert.deepEqual(violations([admin], DEFAULT_GUARDRAILS, 'delete'), []);
    assert.deepEqual(violations([admin], DEFAULT_GUARDRAILS, 'get'), []);
  });
});

describe('customer managed policies', () => {
  const ADMIN_IN_DISGUISE = `arn:aws:iam::${ACCOUNT}:policy/team/read-only`;
  const READER = `arn:aws:iam::${ACCOUNT}:policy/reader`;
  const MISSING = `arn:aws:iam::${ACCOUNT}:policy/missing`;
  const OTHER_ACCOUNT = 'arn:aws:iam::444455556666:policy/shared';
  const documents = new Map([
    [
      ADMIN_IN_DISGUISE,
      {
        Version: '2012-10-17' as const,
        Statement: [
          { Effect: 'Allow' as const, Action: 's3:GetObject', Resource: '*' },
          { Effect: 'Allow' as const, Action: 'iam:P*', Resource: '*' },
        ],
      },
    ],
    [
      READER,
      {
        Version: '2012-10-17' as const,
        Statement: { Effect: 'Allow' as const, Action: 's3:Get*', Resource: '*' },
      },
    ],
    [MISSING, undefined],
  ]);
  const request = (arns: string[]) => ({
    operation: 'create' as const,
    account: ACCOUNT,
    entries: [desired({ permissionPolicyARNs: [S3_READ, ...arns] })],
  });

  it('look up only the account’s own customer managed policies not already denied by ARN', () => {
    const settings = {
      ...DEFAULT_GUARDRAILS,
      deniedPolicyArns: [
        ...DEFAULT_GUARDRAILS.deniedPolicyArns,
        `arn:aws:iam::${ACCOUNT}:policy/x-*`,
      ],
    };
    assert.deepEqual(
      policiesToLookUp(
        request([READER, OTHER_ACCOUNT, `arn:aws:iam::${ACCOUNT}:policy/x-admin`, READER]),
        settings,
      ),
      [READER],
    );
    assert.deepEqual(policiesToLookUp({ ...request([READER]), operation: 'delete' }, settings), []);
  });

  it('refuse one whose document grants a denied action, naming the policy and statement', () => {
    const found = findGuardrailViolations(
      request([READER, ADMIN_IN_DISGUISE]),
      DEFAULT_GUARDRAILS,
      {
        policyDocuments: documents,
      },
    );
    assert.equal(found.length, 1);
    assert.equal(found[0]?.path, `${PATH}.permissionPolicyARNs[2]`);
    assert.match(
      found[0]?.message ?? '',
      /^customer managed policy arn:aws:iam::111122223333:policy\/team\/read-only, Statement\[1\]: allows iam:\w+.* \(through Action "iam:P\*"\)/,
    );
  });

  it('refuse one IAM does not have, before anything changes, saying to create it or fix the ARN', () => {
    const found = findGuardrailViolations(request([MISSING]), DEFAULT_GUARDRAILS, {
      policyDocuments: documents,
    });
    assert.deepEqual(
      found.map((violation) => violation.path),
      [`${PATH}.permissionPolicyARNs[1]`],
    );
    assert.equal(
      found[0]?.message,
      'customer managed policy arn:aws:iam::111122223333:policy/missing does not exist in account 111122223333 (IAM GetPolicy found no such policy), so it cannot be attached; create it first, or fix the ARN',
    );
  });

  it('refuse another account’s, which IAM does not attach, without reading it', () => {
    const found = findGuardrailViolations(request([OTHER_ACCOUNT]), DEFAULT_GUARDRAILS, {
      policyDocuments: documents,
    });
    assert.deepEqual(
      found.map((violation) => violation.path),
      [`${PATH}.permissionPolicyARNs[1]`],
    );
    assert.match(
      found[0]?.message ?? '',
      /^customer managed policy arn:aws:iam::444455556666:policy\/shared belongs to account 444455556666, not 111122223333 where the role is created, .*; create the policy in account 111122223333 and name that one, or fix the ARN$/,
    );
    assert.deepEqual(policiesToLookUp(request([OTHER_ACCOUNT]), DEFAULT_GUARDRAILS), []);
  });

  it('leave AWS managed policies (well-known ones included) to deniedPolicyArns, unread', () => {
    const entry = desired({
      permissionPolicyARNs: [S3_READ],
      wellKnownPolicies: { imageBuilder: true, ebsCSIController: true },
    });
    const awsManaged = { operation: 'create' as const, account: ACCOUNT, entries: [entry] };
    assert.deepEqual(policiesToLookUp(awsManaged, DEFAULT_GUARDRAILS), []);
    assert.deepEqual(
      findGuardrailViolations(awsManaged, DEFAULT_GUARDRAILS, { policyDocuments: new Map() }),
      [],
    );
  });

  it('refuse one that was not read, rather than let it through unjudged', () => {
    const found = findGuardrailViolations(request([READER]), DEFAULT_GUARDRAILS, {
      policyDocuments: new Map(),
    });
    assert.equal(found.length, 1);
    assert.match(found[0]?.message ?? '', /policy\/reader was not read/);
  });

  it('read each policy once, through the reader, with the role tags', async () => {
    const read: string[] = [];
    const lookups = await lookUpForGuardrails(
      request([ADMIN_IN_DISGUISE, READER, MISSING]),
      DEFAULT_GUARDRAILS,
      {
        roleTags: async () => assert.fail('no existing role to look up'),
        policyDocument: async (arn) => {
          read.push(arn);
          return documents.get(arn);
        },
      },
    );
    assert.deepEqual(read.sort(), [MISSING, READER, ADMIN_IN_DISGUISE].sort());
    assert.deepEqual(lookups.policyDocuments, documents);
    assert.equal(lookups.roleTags.size, 0);
  });
});

describe('target roles (targetRoleARN)', () => {
  const ADMIN = `arn:aws:iam::${ACCOUNT}:role/admin`;
  const OPTED_IN = `arn:aws:iam::${ACCOUNT}:role/teams/opted-in`;
  const SERVICE_ROLE = `arn:aws:iam::${ACCOUNT}:role/eks-pia/demo-reader`;
  const MISSING = `arn:aws:iam::${ACCOUNT}:role/not-created-yet`;
  const ORG_ACCESS = 'arn:aws:iam::444455556666:role/OrganizationAccountAccessRole';
  const roleTags = new Map<string, Record<string, string> | undefined>([
    [ADMIN, { team: 'platform' }],
    [OPTED_IN, { 'eks-pia/assignable': 'true' }],
    [MISSING, undefined],
  ]);
  /** An entry whose own role eks-pia builds (nothing to refuse there), chaining into `target`. */
  const chaining = (target: string, operation: 'create' | 'update' | 'apply' = 'create') => ({
    operation,
    account: ACCOUNT,
    entries: [desired({ permissionPolicyARNs: [S3_READ], targetRoleARN: target })],
  });
  const targetViolations = (
    request: ReturnType<typeof chaining>,
    settings: GuardrailSettings = DEFAULT_GUARDRAILS,
  ) => findGuardrailViolations(request, settings, { roleTags, policyDocuments: new Map() });

  it('look up the tags of the account’s own targets, with the associated roles', () => {
    const request = chaining(ADMIN);
    request.entries.push(
      desiredAt(1, { roleARN: USER_ROLE, targetRoleARN: OPTED_IN }),
      desiredAt(2, { roleARN: OPTED_IN, targetRoleARN: SERVICE_ROLE }),
      desiredAt(3, { roleARN: OPTED_IN, targetRoleARN: ORG_ACCESS }),
      desiredAt(4, { roleARN: OPTED_IN, targetRoleARN: '' }),
    );
    assert.deepEqual(
      rolesToLookUp(request, DEFAULT_GUARDRAILS).sort(),
      [ADMIN, OPTED_IN, USER_ROLE].sort(),
    );
    const allowing = { ...DEFAULT_GUARDRAILS, allowedRoleArnPatterns: [ADMIN] };
    assert.deepEqual(rolesToLookUp(request, allowing).sort(), [OPTED_IN, USER_ROLE].sort());
    assert.deepEqual(rolesToLookUp({ ...request, operation: 'delete' }, DEFAULT_GUARDRAILS), []);
  });

  it('read a target’s tags through the reader, the other account’s never', async () => {
    const read: string[] = [];
    const request = chaining(ADMIN);
    request.entries.push(
      desiredAt(1, { permissionPolicyARNs: [S3_READ], targetRoleARN: ORG_ACCESS }),
    );
    const lookups = await lookUpForGuardrails(request, DEFAULT_GUARDRAILS, {
      roleTags: async (name) => {
        read.push(name);
        return roleTags.get(`arn:aws:iam::${ACCOUNT}:role/${name}`);
      },
      policyDocument: async () => assert.fail('no customer managed policy to read'),
    });
    assert.deepEqual(read, ['admin']);
    assert.deepEqual([...lookups.roleTags], [[ADMIN, { team: 'platform' }]]);
  });

  for (const operation of ['create', 'update', 'apply'] as const) {
    it(`refuse by default a target of the account without the opt-in tag (${operation})`, () => {
      const found = targetViolations(chaining(ADMIN, operation));
      assert.deepEqual(
        found.map((violation) => violation.path),
        [`${PATH}.targetRoleARN`],
      );
      assert.match(
        found[0]?.message ?? '',
        /^target role arn:aws:iam::111122223333:role\/admin may not be assumed for pods: this deployment lets configs name as targetRoleARN only roles eks-pia created \(path \/eks-pia\/\) and roles tagged eks-pia\/assignable=true, .*; have the role's owner tag it eks-pia\/assignable=true \(or the deployment allow it by allowedRoleArnPatterns\), or drop targetRoleARN$/,
      );
    });
  }

  it('accept a target of the account carrying the opt-in tag', () => {
    assert.deepEqual(targetViolations(chaining(OPTED_IN)), []);
  });

  it('refuse a target eks-pia created, whose trust names only EKS Pod Identity', () => {
    assert.match(
      targetViolations(chaining(SERVICE_ROLE))[0]?.message ?? '',
      /was created by eks-pia \(path \/eks-pia\/\): its trust names only EKS Pod Identity/,
    );
  });

  it('accept a target of the account the deployment allows by pattern, untagged', () => {
    const settings = {
      ...DEFAULT_GUARDRAILS,
      allowedRoleArnPatterns: [`arn:aws:iam::${ACCOUNT}:role/adm*`],
    };
    assert.deepEqual(targetViolations(chaining(ADMIN), settings), []);
  });

  it('honour the tag the deployment chose, and no tag when it chose none', () => {
    const otherTag = {
      ...DEFAULT_GUARDRAILS,
      assignableRoleTag: { key: 'team', value: 'platform' },
    };
    assert.deepEqual(targetViolations(chaining(ADMIN), otherTag), []);
    assert.equal(targetViolations(chaining(OPTED_IN), otherTag).length, 1);
    const noTag = { ...DEFAULT_GUARDRAILS, assignableRoleTag: undefined };
    const found = targetViolations(chaining(OPTED_IN), noTag);
    assert.match(
      found[0]?.message ?? '',
      /ask the deployment to add the role to allowedRoleArnPatterns, or drop targetRoleARN$/,
    );
  });

  it('refuse a target of the account that was not looked up, or that IAM does not have', () => {
    const unread = findGuardrailViolations(chaining(OPTED_IN), DEFAULT_GUARDRAILS, {
      roleTags: new Map(),
    });
    assert.match(unread[0]?.message ?? '', /^target role .*opted-in may not be assumed for pods:/);
    const missing = targetViolations(chaining(MISSING));
    assert.match(
      missing[0]?.message ?? '',
      /not-created-yet may not be assumed for pods \(IAM has no such role, and nothing would vouch for one created later under its name\): .*; create the role tagged eks-pia\/assignable=true first/,
    );
  });

  it('refuse by default a target of another account, saying only allowedRoleArnPatterns can allow it', () => {
    const found = targetViolations(chaining(ORG_ACCESS));
    assert.deepEqual(
      found.map((violation) => violation.path),
      [`${PATH}.targetRoleARN`],
    );
    assert.equal(
      found[0]?.message,
      "target role arn:aws:iam::444455556666:role/OrganizationAccountAccessRole is in account 444455556666, not 111122223333 where eks-pia runs: eks-pia cannot read another account's roles (GetRole), so no tag can opt them in, and this deployment lets configs name such a target only when it matches allowedRoleArnPatterns (none are set); ask the deployment to add a pattern matching the role (e.g. arn:aws:iam::444455556666:role/OrganizationAccountAccessRole) to allowedRoleArnPatterns, or drop targetRoleARN",
    );
  });

  it('accept a target of another account matching allowedRoleArnPatterns, and refuse one matching none', () => {
    const settings = {
      ...DEFAULT_GUARDRAILS,
      allowedRoleArnPatterns: ['arn:aws:iam::444455556666:role/data-readers/*'],
    };
    assert.deepEqual(
      targetViolations(chaining('arn:aws:iam::444455556666:role/data-readers/ledger'), settings),
      [],
    );
    const found = targetViolations(chaining(ORG_ACCESS), settings);
    assert.match(
      found[0]?.message ?? '',
      /only when it matches allowedRoleArnPatterns \(arn:aws:iam::444455556666:role\/data-readers\/\*, none of which matches\)/,
    );
  });

  it('check the targets of add-ons’ listed associations too', () => {
    const addonEntry = {
      ...desired({
        namespace: 'kube-system',
        serviceAccountName: 'ebs-csi-controller-sa',
        roleARN: OPTED_IN,
        targetRoleARN: ORG_ACCESS,
      }),
      path: 'addons[0].podIdentityAssociations[0]',
    };
    const request = {
      ...chaining(OPTED_IN),
      addons: {
        addons: [
          {
            path: 'addons[0]',
            name: 'aws-ebs-csi-driver',
            tags: {},
            irsaPolicies: false,
            associations: { kind: 'list' as const, entries: [addonEntry] },
          },
        ],
        autoApply: false,
        roleContext: { clusterName: 'demo', partition: 'aws' as const, account: ACCOUNT },
      },
    };
    assert.deepEqual(
      findGuardrailViolations(request, DEFAULT_GUARDRAILS, { roleTags }).map(
        (violation) => violation.path,
      ),
      ['addons[0].podIdentityAssociations[0].targetRoleARN'],
    );
  });

  it('leave alone a target being removed (empty targetRoleARN) and deletes', () => {
    assert.deepEqual(targetViolations(chaining('', 'update')), []);
    assert.deepEqual(
      findGuardrailViolations({ ...chaining(ADMIN), operation: 'delete' }, DEFAULT_GUARDRAILS, {
        roleTags,
      }),
      [],
    );
  });
});

describe('existing roles (roleARN)', () => {
  const IRSA_ROLE = `arn:aws:iam::${ACCOUNT}:role/teams/ledger-writer`;
  const OPTED_IN = `arn:aws:iam::${ACCOUNT}:role/opted-in`;
  const OTHER_ACCOUNT_ROLE = 'arn:aws:iam::999999999999:role/other';
  const roleTags = new Map<string, Record<string, string> | undefined>([
    [IRSA_ROLE, { team: 'payments' }],
    [OPTED_IN, { 'eks-pia/assignable': 'true' }],
  ]);
  const associating = (
    roleArn: string,
    operation: 'create' | 'update' | 'apply' = 'update',
    namespace = 'payments',
  ) => ({
    operation,
    account: ACCOUNT,
    source: { kind: 'flags' as const },
    entries: [desired({ namespace, serviceAccountName: 'ledger', roleARN: roleArn })],
  });
  const addonWith = (entry: DesiredAssociation) => ({
    addons: [
      {
        path: 'addons[0]',
        name: 'aws-ebs-csi-driver',
        tags: {},
        irsaPolicies: false,
        associations: { kind: 'list' as const, entries: [entry] },
      },
    ],
    autoApply: false,
    roleContext: { clusterName: 'demo', partition: 'aws' as const, account: ACCOUNT },
  });

  it('refuse a roleARN of another account whatever the patterns, pointing to targetRoleARN', () => {
    const allowing = { ...DEFAULT_GUARDRAILS, allowedRoleArnPatterns: ['arn:aws:iam::*:role/*'] };
    for (const settings of [DEFAULT_GUARDRAILS, allowing]) {
      for (const operation of ['create', 'update', 'apply'] as const) {
        const found = findGuardrailViolations(
          associating(OTHER_ACCOUNT_ROLE, operation),
          settings,
          {
            roleTags,
          },
        );
        assert.deepEqual(
          found.map((violation) => [violation.path, violation.unlessCurrentRole]),
          [[`${PATH}.roleARN`, undefined]],
        );
        assert.equal(
          found[0]?.message,
          "role arn:aws:iam::999999999999:role/other is in account 999999999999, but the association's role must be in account 111122223333, the cluster's: EKS does not pass another account's role to pods (\"Cross-account pass role is not allowed\"), whatever allowedRoleArnPatterns says; name a role of account 111122223333 as roleARN, and to give pods the role of account 999999999999, name it as targetRoleARN (EKS assumes it with the roleARN of account 111122223333, which its trust policy must trust)",
        );
      }
    }
    assert.deepEqual(rolesToLookUp(associating(OTHER_ACCOUNT_ROLE), DEFAULT_GUARDRAILS), []);
  });

  it('refuse an add-on association’s roleARN of another account too', () => {
    const addonEntry = {
      ...desired({ serviceAccountName: 'ebs-csi-controller-sa', roleARN: OTHER_ACCOUNT_ROLE }),
      path: 'addons[0].podIdentityAssociations[0]',
    };
    const request = { ...associating(OPTED_IN), addons: addonWith(addonEntry) };
    assert.deepEqual(
      findGuardrailViolations(request, DEFAULT_GUARDRAILS, { roleTags }).map(
        (violation) => violation.path,
      ),
      ['addons[0].podIdentityAssociations[0].roleARN'],
    );
  });

  it('allow an untagged role of the account only on condition that the association has it now', () => {
    for (const operation of ['create', 'update', 'apply'] as const) {
      const found = findGuardrailViolations(associating(IRSA_ROLE, operation), DEFAULT_GUARDRAILS, {
        roleTags,
      });
      assert.deepEqual(
        found.map((violation) => violation.unlessCurrentRole),
        [{ namespace: 'payments', serviceAccount: 'ledger', roleArn: IRSA_ROLE }],
      );
      assert.match(
        found[0]?.message ?? '',
        /^role arn:aws:iam::111122223333:role\/teams\/ledger-writer may not be associated: this deployment lets configs associate, besides the role the association already has, only roles eks-pia created/,
      );
    }
    assert.deepEqual(
      findGuardrailViolations(associating(OPTED_IN), DEFAULT_GUARDRAILS, { roleTags }),
      [],
    );
  });

  it('hold an add-on’s association to the rule alone: its roles are the add-on’s to manage', () => {
    const addonEntry = {
      ...desired({ serviceAccountName: 'ebs-csi-controller-sa', roleARN: IRSA_ROLE }),
      path: 'addons[0].podIdentityAssociations[0]',
    };
    const request = { ...associating(OPTED_IN), addons: addonWith(addonEntry) };
    const found = findGuardrailViolations(request, DEFAULT_GUARDRAILS, { roleTags });
    assert.deepEqual(
      found.map((violation) => [violation.path, violation.unlessCurrentRole]),
      [['addons[0].podIdentityAssociations[0].roleARN', undefined]],
    );
    assert.doesNotMatch(found[0]?.message ?? '', /already has/);
  });

  it('checkGuardrails returns the conditional violations and throws only for standing ones', () => {
    assert.deepEqual(
      checkGuardrails(associating(IRSA_ROLE), DEFAULT_GUARDRAILS, { roleTags }).map(
        (violation) => violation.unlessCurrentRole?.roleArn,
      ),
      [IRSA_ROLE],
    );
    const request = associating(IRSA_ROLE);
    request.entries.push(desiredAt(1, { namespace: 'payments', roleARN: OTHER_ACCOUNT_ROLE }));
    assert.throws(
      () => checkGuardrails(request, DEFAULT_GUARDRAILS, { roleTags }),
      (error: unknown) => {
        assert.ok(error instanceof PolicyGuardViolation);
        // The conditional one may be no violation at all: it is not listed.
        assert.deepEqual(
          error.violations.map((violation) => violation.path),
          ['iam.podIdentityAssociations[1].roleARN'],
        );
        return true;
      },
    );
  });

  describe('settled on what EKS says the association has now', () => {
    const conditional = () =>
      findGuardrailViolations(associating(IRSA_ROLE), DEFAULT_GUARDRAILS, { roleTags });

    it('drop the violation when the association has the role, reading it once', async () => {
      const reads: string[] = [];
      const violations = [...conditional(), ...conditional()];
      const settled = await settleCurrentRoleConditions(violations, async (ns, sa) => {
        reads.push(`${ns}/${sa}`);
        return IRSA_ROLE;
      });
      assert.deepEqual(settled, []);
      assert.deepEqual(reads, ['payments/ledger']);
    });

    it('keep it when the association has another role, saying which', async () => {
      const settled = await settleCurrentRoleConditions(conditional(), async () => OPTED_IN);
      assert.equal(settled.length, 1);
      assert.equal(settled[0]?.unlessCurrentRole, undefined);
      assert.match(
        settled[0]?.message ?? '',
        /may not be associated: .* \(the association of payments\/ledger has role arn:aws:iam::111122223333:role\/opted-in now, not this one\)$/,
      );
    });

    it('keep it when there is no association, or the role differs in path only', async () => {
      const none = await settleCurrentRoleConditions(conditional(), async () => undefined);
      assert.match(
        none[0]?.message ?? '',
        /\(payments\/ledger has no pod identity association yet, so the role is not its current one\)$/,
      );
      const otherPath = await settleCurrentRoleConditions(
        conditional(),
        async () => `arn:aws:iam::${ACCOUNT}:role/ledger-writer`,
      );
      assert.equal(otherPath.length, 1);
    });

    it('pass the other violations through unread', async () => {
      const standing = findGuardrailViolations(associating(OTHER_ACCOUNT_ROLE), DEFAULT_GUARDRAILS);
      assert.deepEqual(
        await settleCurrentRoleConditions(standing, async () => assert.fail('nothing to settle')),
        standing,
      );
    });

    it('checkCurrentRoleConditions refuses the request with PolicyGuardViolation', async () => {
      await assert.rejects(
        checkCurrentRoleConditions('flags', conditional(), async () => OPTED_IN),
        (error: unknown) => {
          assert.ok(error instanceof PolicyGuardViolation);
          assert.match(
            error.message,
            /^flags was rejected as a whole and nothing was changed: 1 guardrail violation:\niam\.podIdentityAssociations\[0\]\.roleARN: role .*ledger-writer may not be associated/,
          );
          return true;
        },
      );
      await checkCurrentRoleConditions('flags', conditional(), async () => IRSA_ROLE);
      await checkCurrentRoleConditions('flags', [], async () => assert.fail('nothing to settle'));
    });
  });
});

describe('checkGuardrails', () => {
  it('rejects the request as a whole, listing every violation of every entry with its path', () => {
    const entries = [
      desiredAt(0, { permissionPolicyARNs: ['arn:aws:iam::aws:policy/IAMFullAccess'] }),
      desiredAt(1, { roleARN: USER_ROLE }),
      desiredAt(2, withStatements({ Effect: 'Allow', Action: 'iam:*', Resource: '*' })),
    ];
    assert.throws(
      () =>
        checkGuardrails(
          { operation: 'apply', entries, source: { kind: 'inline' } },
          DEFAULT_GUARDRAILS,
        ),
      (error: unknown) => {
        assert.ok(error instanceof PolicyGuardViolation);
        assert.equal(error.name, 'PolicyGuardViolation');
        assert.deepEqual(
          error.violations.map((violation) => violation.path),
          [
            'iam.podIdentityAssociations[0].permissionPolicyARNs[0]',
            'iam.podIdentityAssociations[2].permissionPolicy.Statement[0]',
          ],
        );
        assert.match(
          error.message,
          /^inline config was rejected as a whole and nothing was changed: 2 guardrail violations:/,
        );
        assert.match(
          error.message,
          /\niam\.podIdentityAssociations\[0\]\.permissionPolicyARNs\[0\]: arn:aws:iam::aws:policy\/IAMFullAccess/,
        );
        return true;
      },
    );
  });

  it('returns quietly for a request within the guardrails', () => {
    assert.doesNotThrow(() =>
      checkGuardrails(
        { operation: 'create', entries: [desired({ roleARN: USER_ROLE })] },
        DEFAULT_GUARDRAILS,
      ),
    );
  });

  it('finds the same violations whatever the order of entries and statements', () => {
    const statements = [
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' },
      { Effect: 'Allow', NotAction: 'ec2:*', Resource: '*' },
    ];
    const entries = [
      {
        namespace: 'a',
        fields: { permissionPolicyARNs: ['arn:aws:iam::aws:policy/PowerUserAccess'] },
      },
      { namespace: 'b', fields: { roleARN: USER_ROLE } },
      { namespace: 'c', fields: { wellKnownPolicies: { autoScaler: true, imageBuilder: true } } },
      { namespace: 'd', fields: { permissionPolicyARNs: [S3_READ] } },
    ];
    const key = (entry: { association: string; message: string }) =>
      `${entry.association}|${entry.message.replace(/Statement\[\d+\]/, 'Statement')}`;
    const build = (list: typeof entries, policy: typeof statements) =>
      list.map(({ namespace, fields }, index) =>
        desiredAt(index, {
          namespace,
          ...fields,
          ...(namespace === 'd' ? withStatements(...policy) : {}),
        }),
      );
    const baseline = new Set(violations(build(entries, statements)).map(key));
    assert.ok(baseline.size >= 3);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }),
        fc.shuffledSubarray(statements, {
          minLength: statements.length,
          maxLength: statements.length,
        }),
        (shuffledEntries, shuffledStatements) => {
          assert.deepEqual(
            new Set(violations(build(shuffledEntries, shuffledStatements)).map(key)),
            baseline,
          );
        },
      ),
    );
  });
});

function desiredAt(
  index: number,
  fields: Partial<PodIdentityAssociationConfig>,
): DesiredAssociation {
  const entry = desired({ serviceAccountName: `sa-${fields.namespace ?? index}`, ...fields });
  return { ...entry, path: `iam.podIdentityAssociations[${index}]`, ...rebase(entry, index) };
}

/** Moves a desired entry's origins to another index, as if it stood elsewhere in the file. */
function rebase(entry: DesiredAssociation, index: number): Partial<DesiredAssociation> {
  if (entry.role.kind !== 'managed') return {};
  const origins = Object.fromEntries(
    Object.entries(entry.role.role.origins).map(([name, origin]) => [
      name,
      origin.replace(
        /^iam\.podIdentityAssociations\[\d+\]/,
        `iam.podIdentityAssociations[${index}]`,
      ),
    ]),
  );
  return { role: { ...entry.role, role: { ...entry.role.role, origins } } };
}

describe('guardrailsFromEnv', () => {
  it('gives the defaults when nothing is set', () => {
    assert.deepEqual(guardrailsFromEnv({}), {
      ...DEFAULT_GUARDRAILS,
      enforcedPermissionsBoundaryArn: undefined,
      allowedRoleArnPatterns: undefined,
      allowedNamespaces: undefined,
    });
    assert.equal(DEFAULT_GUARDRAILS.deniedPolicyArns.length, 9);
  });

  it('reads one JSON document, with denied actions as text or objects', () => {
    const settings = guardrailsFromEnv({
      GUARDRAILS: JSON.stringify({
        deniedActions: ['s3:*', 'sts:AssumeRole on *', { action: 'kms:*' }],
        enforcedPermissionsBoundaryArn: ENFORCED,
        allowedNamespaces: ['team-*'],
      }),
    });
    assert.deepEqual(settings.deniedActions, [
      { action: 's3:*' },
      { action: 'sts:AssumeRole', resource: '*' },
      { action: 'kms:*' },
    ]);
    assert.equal(settings.enforcedPermissionsBoundaryArn, ENFORCED);
    assert.deepEqual(settings.allowedNamespaces, ['team-*']);
    assert.deepEqual(settings.deniedPolicyArns, DEFAULT_GUARDRAILS.deniedPolicyArns);
  });

  it('lets separate variables (comma or JSON lists) override the document', () => {
    const settings = guardrailsFromEnv({
      GUARDRAILS: JSON.stringify({ allowedNamespaces: ['x'] }),
      GUARDRAILS_ALLOWED_NAMESPACES: 'team-a, team-b',
      GUARDRAILS_DENIED_POLICY_ARNS: '[]',
      GUARDRAILS_ALLOWED_ROLE_ARN_PATTERNS: '["arn:aws:iam::*:role/apps/*"]',
      GUARDRAILS_PERMISSIONS_BOUNDARY_ARN: ENFORCED,
    });
    assert.deepEqual(settings.allowedNamespaces, ['team-a', 'team-b']);
    assert.deepEqual(settings.deniedPolicyArns, []);
    assert.deepEqual(settings.allowedRoleArnPatterns, ['arn:aws:iam::*:role/apps/*']);
    assert.equal(settings.enforcedPermissionsBoundaryArn, ENFORCED);
  });

  it('refuses settings it cannot read, so a typo never silently allows more', () => {
    const bad: Record<string, string>[] = [
      { GUARDRAILS: '{not json' },
      { GUARDRAILS: JSON.stringify({ deniedActons: [] }) },
      { GUARDRAILS_DENIED_ACTIONS: 'sts:AssumeRole on arn:aws:iam::1:role/x' },
      { GUARDRAILS_PERMISSIONS_BOUNDARY_ARN: 'arn:aws:iam::111122223333:role/not-a-policy' },
      { GUARDRAILS_ALLOWED_NAMESPACES: '[1, 2]' },
    ];
    for (const env of bad) {
      assert.throws(() => guardrailsFromEnv(env), GuardrailSettingsError, JSON.stringify(env));
    }
  });
});
