import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  actionPatternCovers,
  decodePolicyDocument,
  encodePolicyDocument,
  equivalentPolicyDocuments,
  fitsQuota,
  type PolicyDocument,
  PolicyDocumentError,
  type PolicyStatement,
  parsePolicyDocument,
  policySize,
  serializePolicyDocument,
  statementsMissingFrom,
  statementsOf,
  toArray,
} from '../../functions/core/policy-document.ts';
import {
  addPodIdentityTrust,
  describeTrustStatement,
  findIrsaSubjects,
  hasPodIdentityTrust,
  OidcProviderError,
  oidcProviderForIssuer,
  podIdentityTrustStatement,
  podIdentityTrustStatus,
  removeIrsaSubjects,
} from '../../functions/core/trust-policy.ts';

const ACCOUNT = '111122223333';
const ISSUER_WEST = 'https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const ISSUER_EU = 'https://oidc.eks.eu-west-1.amazonaws.com/id/5C7F2E0A1B3D4E5F60718293A4B5C6D7';
const WEST = oidcProviderForIssuer(ISSUER_WEST, ACCOUNT, 'aws');
const EU = oidcProviderForIssuer(ISSUER_EU, ACCOUNT, 'aws');
const SUB = `${WEST.conditionKeyPrefix}:sub`;
const AUD = `${WEST.conditionKeyPrefix}:aud`;

const sa = (namespace: string, name: string) => `system:serviceaccount:${namespace}:${name}`;

function irsaStatement(
  provider: { providerArn: string; conditionKeyPrefix: string },
  operator: string,
  subjects: string | string[] | undefined,
): PolicyStatement {
  const keys: Record<string, string | string[]> = {
    [`${provider.conditionKeyPrefix}:aud`]: 'sts.amazonaws.com',
  };
  if (subjects !== undefined) keys[`${provider.conditionKeyPrefix}:sub`] = subjects;
  return {
    Effect: 'Allow',
    Principal: { Federated: provider.providerArn },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: { [operator]: keys },
  };
}

const doc = (...statements: PolicyStatement[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements,
});

const ACCOUNT_ROOT: PolicyStatement = {
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: 'sts:AssumeRole',
};
const EC2: PolicyStatement = {
  Effect: 'Allow',
  Principal: { Service: 'ec2.amazonaws.com' },
  Action: 'sts:AssumeRole',
};

/** Exactly what IAM GetRole returns for an eksctl IRSA role (RFC 3986 encoded). */
const IAM_ENCODED_IRSA = encodeURIComponent(
  JSON.stringify(doc(irsaStatement(WEST, 'StringEquals', sa('default', 's3-reader')))),
);

describe('policy documents', () => {
  it('decodes a URL-encoded document as IAM returns it', () => {
    assert.ok(IAM_ENCODED_IRSA.startsWith('%7B%22Version%22%3A%222012-10-17%22'));
    const decoded = decodePolicyDocument(IAM_ENCODED_IRSA);
    assert.deepEqual(decoded, doc(irsaStatement(WEST, 'StringEquals', sa('default', 's3-reader'))));
  });

  it('reads plain and pretty-printed JSON without percent-decoding it', () => {
    const withPercent = doc({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'sts:AssumeRole',
      Condition: { StringLike: { 'aws:PrincipalTag/team': '100%25 platform' } },
    });
    assert.deepEqual(decodePolicyDocument(JSON.stringify(withPercent)), withPercent);
    assert.deepEqual(
      decodePolicyDocument(`\n  ${JSON.stringify(withPercent, null, 4)}`),
      withPercent,
    );
  });

  it('keeps single strings, key order and a single Statement object through a round trip', () => {
    const text =
      '{"Statement":{"Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"},"Effect":"Allow"},"Version":"2012-10-17"}';
    assert.equal(serializePolicyDocument(decodePolicyDocument(text)), text);
    assert.equal(serializePolicyDocument(decodePolicyDocument(encodeURIComponent(text))), text);
  });

  it('encodes the characters RFC 3986 reserves that encodeURIComponent leaves alone', () => {
    const document = doc({ ...ACCOUNT_ROOT, Sid: "It's(*)!" });
    const encoded = encodePolicyDocument(document);
    assert.match(encoded, /It%27s%28%2A%29%21/);
    assert.deepEqual(decodePolicyDocument(encoded), document);
  });

  it('returns a copy that does not share objects with the input', () => {
    const input = doc(structuredClone(EC2));
    const [statement] = statementsOf(parsePolicyDocument(input));
    assert.ok(statement !== undefined);
    statement.Effect = 'Deny';
    assert.equal(statementsOf(input)[0]?.Effect, 'Allow');
  });

  it('names what is wrong in a malformed document', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['%7B%ZZ', /bad percent-encoding/],
      ['{"Version":', /not valid JSON/],
      ['not json', /not valid JSON/],
      [
        '{"Statement":{"Effect":"allow","Action":"s3:GetObject"}}',
        /Statement\.Effect: .*"Allow"\|"Deny"/,
      ],
      [
        '{"Statement":[{"Effect":"Allow","Action":1}]}',
        /Statement\[0\]\.Action: expected string or array/,
      ],
      [
        '{"Statement":[{"Effect":"Allow","Principal":"me","Action":"a"}]}',
        /Principal: expected "\*" or object/,
      ],
      [
        '{"Statement":[{"Effect":"Allow","Principal":{"User":"x"},"Action":"a"}]}',
        /Unrecognized key: "User"/,
      ],
      ['{"Statement":[{"Effect":"Allow"}]}', /needs Action or NotAction/],
      [
        '{"Statement":[{"Effect":"Allow","Action":"a","NotAction":"b"}]}',
        /Action and NotAction cannot both be set/,
      ],
      ['{"Version":"2024-01-01","Statement":[]}', /Version/],
      ['{"Statement":"x"}', /Statement: expected object or array/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => decodePolicyDocument(text),
        (error: unknown) =>
          error instanceof PolicyDocumentError &&
          error.name === 'PolicyDocumentError' &&
          message.test(error.message),
        `input ${JSON.stringify(text)}`,
      );
    }
  });

  it('turns IAM string-or-list fields into lists', () => {
    assert.deepEqual(toArray('sts:AssumeRole'), ['sts:AssumeRole']);
    assert.deepEqual(toArray(['a', 'b']), ['a', 'b']);
    assert.deepEqual(toArray(undefined), []);
  });

  it('matches action wildcards case-insensitively', () => {
    assert.equal(actionPatternCovers('sts:*', 'sts:TagSession'), true);
    assert.equal(actionPatternCovers('*', 'sts:AssumeRole'), true);
    assert.equal(actionPatternCovers('STS:assumerole', 'sts:AssumeRole'), true);
    assert.equal(actionPatternCovers('sts:Assume?ole', 'sts:AssumeRole'), true);
    assert.equal(actionPatternCovers('sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity'), false);
    assert.equal(actionPatternCovers('s3:*', 'sts:AssumeRole'), false);
    assert.equal(actionPatternCovers('sts:Assume.ole', 'sts:AssumeRole'), false);
  });

  it('reads two documents as equivalent when they say the same in other words, and not otherwise', () => {
    const conditioned: PolicyStatement = {
      Effect: 'Allow',
      Principal: { AWS: ['arn:aws:iam::111122223333:root', 'arn:aws:iam::444455556666:root'] },
      Action: ['sts:AssumeRole'],
      Condition: {
        StringEquals: { 'aws:PrincipalTag/team': ['a', 'b'], 'sts:ExternalId': 'x' },
        Bool: { 'aws:MultiFactorAuthPresent': true },
      },
    };
    const rewritten: PolicyStatement = {
      Sid: 'Partners',
      Condition: {
        Bool: { 'aws:multifactorauthpresent': 'true' },
        StringEquals: { 'sts:ExternalId': ['x'], 'aws:PrincipalTag/team': ['b', 'a', 'a'] },
      },
      Action: 'STS:AssumeRole',
      Principal: { AWS: ['arn:aws:iam::444455556666:root', 'arn:aws:iam::111122223333:root'] },
      Effect: 'Allow',
    };
    const pods = podIdentityTrustStatement();
    assert.equal(
      equivalentPolicyDocuments(doc(conditioned, pods), {
        Id: 'by-hand',
        Version: '2012-10-17',
        Statement: [pods, rewritten, pods],
      }),
      true,
    );
    assert.deepEqual(statementsMissingFrom(doc(conditioned, pods), doc(pods)), [conditioned]);
    const unlike: [string, PolicyDocument][] = [
      ['another Effect', doc({ ...conditioned, Effect: 'Deny' }, pods)],
      [
        'another condition value',
        doc(
          {
            ...conditioned,
            Condition: { ...conditioned.Condition, Bool: { 'aws:MultiFactorAuthPresent': false } },
          },
          pods,
        ),
      ],
      [
        'a principal fewer',
        doc({ ...conditioned, Principal: { AWS: 'arn:aws:iam::111122223333:root' } }, pods),
      ],
      ['no Version (the 2008-10-17 language)', { Statement: [conditioned, pods] }],
    ];
    for (const [difference, other] of unlike) {
      assert.equal(equivalentPolicyDocuments(doc(conditioned, pods), other), false, difference);
    }
  });
});

describe('policy size', () => {
  it('counts the characters of the compact JSON', () => {
    const eksctl = doc(podIdentityTrustStatement());
    const compact =
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}';
    assert.equal(serializePolicyDocument(eksctl), compact);
    assert.equal(policySize(eksctl), compact.length);
  });

  it('does not count indentation but counts spaces inside values', () => {
    const spaced = doc({
      ...ACCOUNT_ROOT,
      Condition: { StringEquals: { 'aws:PrincipalTag/x': 'a b' } },
    });
    const pretty = decodePolicyDocument(JSON.stringify(spaced, null, 8));
    assert.equal(policySize(pretty), policySize(spaced));
    assert.equal(policySize(spaced), JSON.stringify(spaced).length);
  });

  it('counts a non-ASCII character once', () => {
    const ascii = doc({ ...ACCOUNT_ROOT, Sid: 'e' });
    const accented = doc({ ...ACCOUNT_ROOT, Sid: 'é' });
    const astral = doc({ ...ACCOUNT_ROOT, Sid: '😀' });
    assert.equal(policySize(accented), policySize(ascii));
    assert.equal(policySize(astral), policySize(ascii));
  });

  it('fits a quota up to and including its size', () => {
    const document = doc(EC2);
    const size = policySize(document);
    assert.equal(fitsQuota(document, size), true);
    assert.equal(fitsQuota(document, size - 1), false);
    assert.equal(fitsQuota(document, 2048), true);
    assert.throws(() => fitsQuota(document, 0), PolicyDocumentError);
    assert.throws(() => fitsQuota(document, Number.NaN), PolicyDocumentError);
  });

  it('reaches the 2,048 default with a handful of IRSA statements', () => {
    const clusters = Array.from({ length: 8 }, (_, index) =>
      oidcProviderForIssuer(
        `https://oidc.eks.us-west-2.amazonaws.com/id/${String(index).padStart(32, 'A')}`,
        ACCOUNT,
        'aws',
      ),
    );
    const crowded = doc(
      ...clusters.map((provider) => irsaStatement(provider, 'StringEquals', sa('default', 'app'))),
    );
    assert.equal(fitsQuota(crowded, 2048), false);
    assert.equal(fitsQuota(doc(...statementsOf(crowded).slice(0, 4)), 2048), true);
  });
});

describe('Pod Identity trust', () => {
  const irsaOnly = doc(irsaStatement(WEST, 'StringEquals', sa('default', 's3-reader')));

  it('is absent from a role that only trusts IRSA, AWS accounts or EC2', () => {
    assert.equal(hasPodIdentityTrust(irsaOnly), false);
    assert.equal(hasPodIdentityTrust(doc(ACCOUNT_ROOT, EC2)), false);
  });

  it('is present as eksctl writes it, beside other services, or through wildcards', () => {
    assert.equal(hasPodIdentityTrust(doc(podIdentityTrustStatement())), true);
    const shared: PolicyStatement = {
      Effect: 'Allow',
      Principal: { Service: ['ec2.amazonaws.com', 'pods.eks.amazonaws.com'] },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    };
    assert.equal(hasPodIdentityTrust(doc(shared)), true);
    const wildcard: PolicyStatement = {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: 'sts:*',
    };
    assert.equal(hasPodIdentityTrust(doc(wildcard)), true);
  });

  it('is present when the two actions are granted by two statements', () => {
    const assume: PolicyStatement = {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: 'sts:AssumeRole',
    };
    const tag: PolicyStatement = { ...assume, Action: 'sts:TagSession' };
    assert.equal(hasPodIdentityTrust(doc(assume, EC2, tag)), true);
    assert.deepEqual(podIdentityTrustStatus(doc(assume, EC2, tag)).grantingStatements, [0, 2]);
  });

  it('counts a statement with conditions the user chose', () => {
    const conditioned: PolicyStatement = {
      ...podIdentityTrustStatement(),
      Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
    };
    assert.equal(hasPodIdentityTrust(doc(conditioned)), true);
  });

  it('is missing TagSession when only AssumeRole is granted, and a Deny is reported', () => {
    const assumeOnly: PolicyStatement = {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: 'sts:AssumeRole',
    };
    const deny: PolicyStatement = { ...podIdentityTrustStatement(), Effect: 'Deny' };
    const status = podIdentityTrustStatus(doc(assumeOnly, deny));
    assert.equal(status.present, false);
    assert.deepEqual(status.missingActions, ['sts:TagSession']);
    assert.deepEqual(status.denyingStatements, [1]);
  });

  it('does not read NotAction or a Deny as a grant', () => {
    const notAction: PolicyStatement = {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      NotAction: 'sts:AssumeRoleWithSAML',
    };
    assert.equal(hasPodIdentityTrust(doc(notAction)), false);
    assert.equal(
      hasPodIdentityTrust(doc({ ...podIdentityTrustStatement(), Effect: 'Deny' })),
      false,
    );
  });

  it('is appended after an IRSA statement, which stays exactly as it was', () => {
    const { document, changed } = addPodIdentityTrust(irsaOnly);
    assert.equal(changed, true);
    assert.deepEqual(statementsOf(document), [
      irsaStatement(WEST, 'StringEquals', sa('default', 's3-reader')),
      {
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      },
    ]);
    assert.equal(statementsOf(document)[0]?.Action, 'sts:AssumeRoleWithWebIdentity');
  });

  it('turns a single Statement object into a list only to append to it', () => {
    const single = decodePolicyDocument(
      '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}',
    );
    const { document } = addPodIdentityTrust(single);
    assert.equal(
      serializePolicyDocument(document),
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}',
    );
  });

  it('is left alone when present, without touching the input', () => {
    const present = doc(EC2, podIdentityTrustStatement());
    const before = structuredClone(present);
    const result = addPodIdentityTrust(present);
    assert.equal(result.changed, false);
    assert.deepEqual(result.document, before);
    assert.deepEqual(present, before);
  });

  it('extends a pods-only statement that lacks TagSession, keeping its condition', () => {
    const assumeOnly: PolicyStatement = {
      Sid: 'PodIdentity',
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
    };
    const { document, changed } = addPodIdentityTrust(doc(EC2, assumeOnly));
    assert.equal(changed, true);
    assert.deepEqual(statementsOf(document), [
      EC2,
      { ...assumeOnly, Action: ['sts:AssumeRole', 'sts:TagSession'] },
    ]);
  });

  it('does not extend a statement shared with another service, so EC2 gains nothing', () => {
    const shared: PolicyStatement = {
      Effect: 'Allow',
      Principal: { Service: ['ec2.amazonaws.com', 'pods.eks.amazonaws.com'] },
      Action: 'sts:AssumeRole',
    };
    const { document } = addPodIdentityTrust(doc(shared));
    assert.deepEqual(statementsOf(document), [shared, podIdentityTrustStatement()]);
  });
});

describe('trust statements in words', () => {
  it('names the effect, who and what as written, and says when conditions apply', () => {
    assert.equal(
      describeTrustStatement(podIdentityTrustStatement()),
      'the trust statement that allows pods.eks.amazonaws.com sts:AssumeRole, sts:TagSession',
    );
    assert.equal(
      describeTrustStatement({
        Effect: 'Deny',
        NotPrincipal: { AWS: ['arn:aws:iam::111122223333:root'], Service: 'ec2.amazonaws.com' },
        NotAction: 'sts:TagSession',
        Condition: { Bool: { 'aws:SecureTransport': false } },
      }),
      'the trust statement that denies anyone but arn:aws:iam::111122223333:root, ec2.amazonaws.com every action but sts:TagSession under conditions',
    );
    assert.equal(
      describeTrustStatement({ Effect: 'Allow', Principal: '*', Action: 'sts:*' }),
      'the trust statement that allows anyone (*) sts:*',
    );
  });
});

describe('OIDC provider of a cluster', () => {
  it('derives the provider ARN and condition-key prefix from the issuer', () => {
    assert.deepEqual(
      oidcProviderForIssuer('https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE1', ACCOUNT, 'aws'),
      {
        providerArn:
          'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE1',
        conditionKeyPrefix: 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE1',
      },
    );
  });

  it('uses the partition and ignores a trailing slash', () => {
    const china = oidcProviderForIssuer(
      'https://oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC/',
      ACCOUNT,
      'aws-cn',
    );
    assert.equal(
      china.providerArn,
      'arn:aws-cn:iam::111122223333:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC',
    );
  });

  it('rejects what is not an https issuer or an account ID', () => {
    assert.throws(
      () => oidcProviderForIssuer('oidc.eks.x/id/1', ACCOUNT, 'aws'),
      OidcProviderError,
    );
    assert.throws(
      () => oidcProviderForIssuer('http://oidc.eks.us-west-2.amazonaws.com/id/1', ACCOUNT, 'aws'),
      OidcProviderError,
    );
    assert.throws(() => oidcProviderForIssuer(ISSUER_WEST, '1234', 'aws'), /12 digits/);
    assert.throws(
      () => oidcProviderForIssuer(ISSUER_WEST, ACCOUNT, 'aws-iso' as 'aws'),
      OidcProviderError,
    );
  });
});

describe('IRSA subjects of one provider', () => {
  it('reads one StringEquals subject and the audience', () => {
    const trust = findIrsaSubjects(decodePolicyDocument(IAM_ENCODED_IRSA), WEST.providerArn);
    assert.equal(trust.statements.length, 1);
    assert.deepEqual(trust.statements[0]?.audiences, ['sts.amazonaws.com']);
    assert.equal(trust.statements[0]?.clusterWide, false);
    assert.deepEqual(trust.subjects, [
      {
        statementIndex: 0,
        operator: 'StringEquals',
        value: sa('default', 's3-reader'),
        namespace: 'default',
        serviceAccount: 's3-reader',
        wildcard: false,
      },
    ]);
  });

  it('reads a list of StringEquals subjects', () => {
    const document = doc(
      irsaStatement(WEST, 'StringEquals', [sa('default', 'a'), sa('team-a', 'b')]),
    );
    const pairs = findIrsaSubjects(document, WEST.providerArn).subjects.map((subject) => [
      subject.namespace,
      subject.serviceAccount,
    ]);
    assert.deepEqual(pairs, [
      ['default', 'a'],
      ['team-a', 'b'],
    ]);
  });

  it('marks StringLike wildcards for a whole namespace or one name in any namespace', () => {
    const document = doc(
      irsaStatement(WEST, 'StringLike', [sa('team-a', '*'), sa('*', 'fluent-bit'), sa('x', 'app')]),
    );
    const subjects = findIrsaSubjects(document, WEST.providerArn).subjects;
    assert.deepEqual(
      subjects.map((subject) => [subject.namespace, subject.serviceAccount, subject.wildcard]),
      [
        ['team-a', '*', true],
        ['*', 'fluent-bit', true],
        ['x', 'app', false],
      ],
    );
  });

  it('treats * under StringEquals as a literal, not a wildcard', () => {
    const document = doc(irsaStatement(WEST, 'StringEquals', sa('team-a', '*')));
    assert.equal(findIrsaSubjects(document, WEST.providerArn).subjects[0]?.wildcard, false);
  });

  it('keeps a value that is not a service account subject, unparsed', () => {
    const document = doc(irsaStatement(WEST, 'StringLike', 'system:serviceaccount:*'));
    const [subject] = findIrsaSubjects(document, WEST.providerArn).subjects;
    assert.equal(subject?.namespace, undefined);
    assert.equal(subject?.serviceAccount, undefined);
    assert.equal(subject?.wildcard, true);
  });

  it('reads ForAnyValue operators too', () => {
    const document = doc(irsaStatement(WEST, 'ForAnyValue:StringLike', [sa('a', 'b')]));
    assert.equal(
      findIrsaSubjects(document, WEST.providerArn).subjects[0]?.operator,
      'ForAnyValue:StringLike',
    );
  });

  it('only reports the statements of the given cluster on a role two clusters share', () => {
    const document = doc(
      irsaStatement(EU, 'StringEquals', sa('default', 'app')),
      ACCOUNT_ROOT,
      irsaStatement(WEST, 'StringEquals', sa('default', 'app')),
      EC2,
    );
    const west = findIrsaSubjects(document, WEST.providerArn);
    assert.deepEqual(
      west.statements.map((statement) => statement.statementIndex),
      [2],
    );
    assert.deepEqual(
      findIrsaSubjects(document, ISSUER_EU).statements.map((statement) => statement.statementIndex),
      [0],
    );
  });

  it('finds the same statements by issuer URL as by provider ARN', () => {
    const document = doc(irsaStatement(WEST, 'StringEquals', sa('default', 'app')));
    assert.deepEqual(
      findIrsaSubjects(document, ISSUER_WEST),
      findIrsaSubjects(document, WEST.providerArn),
    );
    assert.deepEqual(
      findIrsaSubjects(
        document,
        `arn:aws:iam::444455556666:oidc-provider/${WEST.conditionKeyPrefix}`,
      ).statements,
      [],
    );
  });

  it('flags a statement without a sub condition as cluster-wide', () => {
    const document = doc(irsaStatement(WEST, 'StringEquals', undefined));
    const [statement] = findIrsaSubjects(document, WEST.providerArn).statements;
    assert.equal(statement?.clusterWide, true);
    assert.deepEqual(statement?.subjects, []);
  });

  it('reports sub conditions under other operators instead of ignoring them', () => {
    const statement = irsaStatement(WEST, 'StringEquals', undefined);
    statement.Condition = {
      ...statement.Condition,
      StringNotEquals: { [SUB]: sa('kube-system', 'admin') },
    };
    statement.Condition = {
      ...statement.Condition,
      StringEquals: {
        ...statement.Condition?.StringEquals,
        [`${WEST.conditionKeyPrefix}:amr`]: 'authenticated',
        'aws:SourceAccount': ACCOUNT,
      },
    };
    const [found] = findIrsaSubjects(doc(statement), WEST.providerArn).statements;
    assert.equal(found?.clusterWide, false);
    assert.deepEqual(found?.otherConditions, [
      {
        operator: 'StringEquals',
        key: `${WEST.conditionKeyPrefix}:amr`,
        values: ['authenticated'],
      },
      { operator: 'StringNotEquals', key: SUB, values: [sa('kube-system', 'admin')] },
    ]);
  });

  it('matches condition keys case-insensitively, as IAM does', () => {
    const statement: PolicyStatement = {
      Effect: 'Allow',
      Principal: { Federated: WEST.providerArn },
      Action: ['sts:AssumeRoleWithWebIdentity'],
      Condition: { StringEquals: { [SUB.toLowerCase()]: sa('default', 'app') } },
    };
    assert.equal(findIrsaSubjects(doc(statement), WEST.providerArn).subjects.length, 1);
  });

  it('ignores Deny statements and statements that do not allow web identity', () => {
    const deny = { ...irsaStatement(WEST, 'StringEquals', sa('a', 'b')), Effect: 'Deny' as const };
    const other = {
      ...irsaStatement(WEST, 'StringEquals', sa('a', 'b')),
      Action: 'sts:AssumeRole',
    };
    assert.deepEqual(findIrsaSubjects(doc(deny, other), WEST.providerArn).statements, []);
    const wildcard = { ...irsaStatement(WEST, 'StringEquals', sa('a', 'b')), Action: 'sts:*' };
    assert.equal(findIrsaSubjects(doc(wildcard), WEST.providerArn).statements.length, 1);
  });

  it('flags a statement that also names another principal as shared', () => {
    const shared: PolicyStatement = {
      ...irsaStatement(WEST, 'StringEquals', sa('a', 'b')),
      Principal: { Federated: [WEST.providerArn, EU.providerArn] },
    };
    assert.equal(
      findIrsaSubjects(doc(shared), WEST.providerArn).statements[0]?.sharedPrincipal,
      true,
    );
  });

  it('rejects a provider that is neither an OIDC provider ARN nor an issuer URL', () => {
    assert.throws(
      () => findIrsaSubjects(doc(EC2), `arn:aws:iam::${ACCOUNT}:role/x`),
      OidcProviderError,
    );
    assert.throws(
      () => findIrsaSubjects(doc(EC2), 'oidc.eks.us-west-2.amazonaws.com'),
      OidcProviderError,
    );
  });
});

describe('IRSA subject removal', () => {
  it('removes one subject from a list and keeps the audience and the list form', () => {
    const document = doc(
      irsaStatement(WEST, 'StringEquals', [sa('default', 'a'), sa('default', 'b')]),
    );
    const result = removeIrsaSubjects(document, WEST.providerArn, [
      { namespace: 'default', serviceAccount: 'a' },
    ]);
    assert.equal(result.changed, true);
    assert.deepEqual(statementsOf(result.document), [
      irsaStatement(WEST, 'StringEquals', [sa('default', 'b')]),
    ]);
    assert.deepEqual(result.droppedStatements, []);
    assert.deepEqual(
      result.removed.map((subject) => subject.value),
      [sa('default', 'a')],
    );
  });

  it('drops the statement of the last subject and nothing of the other cluster or principals', () => {
    const other = irsaStatement(EU, 'StringEquals', sa('default', 'app'));
    const document = doc(
      ACCOUNT_ROOT,
      other,
      irsaStatement(WEST, 'StringEquals', sa('default', 'app')),
      EC2,
    );
    const result = removeIrsaSubjects(document, ISSUER_WEST, [
      { namespace: 'default', serviceAccount: 'app' },
    ]);
    assert.deepEqual(result.droppedStatements, [2]);
    assert.deepEqual(statementsOf(result.document), [ACCOUNT_ROOT, other, EC2]);
  });

  it('round-trips a role as IAM returns it: add Pod Identity, then remove the IRSA subject', () => {
    const added = addPodIdentityTrust(decodePolicyDocument(IAM_ENCODED_IRSA)).document;
    const removed = removeIrsaSubjects(added, WEST.providerArn, [
      { namespace: 'default', serviceAccount: 's3-reader' },
    ]).document;
    assert.deepEqual(
      decodePolicyDocument(encodePolicyDocument(removed)),
      doc(podIdentityTrustStatement()),
    );
  });

  it('leaves a wildcard that also serves other accounts, unless it is asked for literally', () => {
    const document = doc(
      irsaStatement(WEST, 'StringLike', [sa('team-a', '*'), sa('team-a', 'web')]),
    );
    const specific = removeIrsaSubjects(document, WEST.providerArn, [
      { namespace: 'team-a', serviceAccount: 'worker' },
    ]);
    assert.equal(specific.changed, false);
    assert.deepEqual(specific.notFound, [{ namespace: 'team-a', serviceAccount: 'worker' }]);
    const literal = removeIrsaSubjects(document, WEST.providerArn, [
      { namespace: 'team-a', serviceAccount: '*' },
    ]);
    assert.deepEqual(statementsOf(literal.document), [
      irsaStatement(WEST, 'StringLike', [sa('team-a', 'web')]),
    ]);
  });

  it('keeps a cluster-wide statement unless told to remove it', () => {
    const document = doc(irsaStatement(WEST, 'StringEquals', undefined), EC2);
    const kept = removeIrsaSubjects(document, WEST.providerArn, []);
    assert.equal(kept.changed, false);
    assert.deepEqual(kept.document, document);
    const dropped = removeIrsaSubjects(document, WEST.providerArn, [], { removeClusterWide: true });
    assert.deepEqual(dropped.droppedStatements, [0]);
    assert.deepEqual(statementsOf(dropped.document), [EC2]);
  });

  it('skips a statement shared with another provider and says so', () => {
    const shared: PolicyStatement = {
      ...irsaStatement(WEST, 'StringEquals', sa('default', 'app')),
      Principal: { Federated: [WEST.providerArn, EU.providerArn] },
    };
    const result = removeIrsaSubjects(doc(shared), WEST.providerArn, [
      { namespace: 'default', serviceAccount: 'app' },
    ]);
    assert.equal(result.changed, false);
    assert.deepEqual(statementsOf(result.document), [shared]);
    assert.equal(result.skipped[0]?.reason, 'shared-principal');
    assert.deepEqual(result.notFound, []);
  });

  it('drops a statement whose StringEquals subjects are gone even if a StringLike remains', () => {
    const statement: PolicyStatement = {
      Effect: 'Allow',
      Principal: { Federated: WEST.providerArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { [SUB]: sa('team-a', 'web'), [AUD]: 'sts.amazonaws.com' },
        StringLike: { [SUB]: sa('team-a', '*') },
      },
    };
    const result = removeIrsaSubjects(doc(statement, EC2), WEST.providerArn, [
      { namespace: 'team-a', serviceAccount: 'web' },
    ]);
    // Keeping only the StringLike would let every account of team-a in.
    assert.deepEqual(result.droppedStatements, [0]);
    assert.deepEqual(statementsOf(result.document), [EC2]);
  });

  it('keeps a single Statement object when it is edited, and empties the list when dropped', () => {
    const single: PolicyDocument = {
      Version: '2012-10-17',
      Statement: irsaStatement(WEST, 'StringEquals', [sa('a', 'b'), sa('a', 'c')]),
    };
    const edited = removeIrsaSubjects(single, WEST.providerArn, [
      { namespace: 'a', serviceAccount: 'b' },
    ]);
    assert.equal(Array.isArray(edited.document.Statement), false);
    const dropped = removeIrsaSubjects(single, WEST.providerArn, [
      { namespace: 'a', serviceAccount: 'b' },
      { namespace: 'a', serviceAccount: 'c' },
    ]);
    assert.deepEqual(dropped.document.Statement, []);
  });

  it('does not change its input', () => {
    const document = doc(irsaStatement(WEST, 'StringEquals', [sa('a', 'b'), sa('a', 'c')]));
    const before = structuredClone(document);
    removeIrsaSubjects(document, WEST.providerArn, [{ namespace: 'a', serviceAccount: 'b' }]);
    assert.deepEqual(document, before);
  });
});

// ---------------------------------------------------------------------------------------------
// Generated documents

const CLUSTERS = [
  WEST,
  EU,
  oidcProviderForIssuer(
    'https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF',
    ACCOUNT,
    'aws',
  ),
];
const subjectArb = fc
  .tuple(
    fc.constantFrom('default', 'kube-system', 'a-b', 'a', 'team-a'),
    fc.constantFrom('s3-reader', 'c', 'b-c', 'app', '*'),
  )
  .map(([namespace, name]) => sa(namespace, name));
const oneOrMany = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof(arb, fc.array(arb, { minLength: 1, maxLength: 3 }));

const irsaStatementArb: fc.Arbitrary<PolicyStatement> = fc
  .record({
    provider: fc.constantFrom(...CLUSTERS),
    operators: fc.subarray(['StringEquals', 'StringLike', 'ForAnyValue:StringEquals'], {
      minLength: 1,
    }),
    subjects: fc.option(oneOrMany(subjectArb), { nil: undefined }),
    shared: fc.boolean(),
    action: fc.constantFrom<string | string[]>(
      'sts:AssumeRoleWithWebIdentity',
      ['sts:AssumeRoleWithWebIdentity'],
      'sts:*',
    ),
  })
  .map(({ provider, operators, subjects, shared, action }) => {
    const condition: Record<string, Record<string, string | string[]>> = {};
    operators.forEach((operator, index) => {
      const keys: Record<string, string | string[]> = {};
      if (index === 0) keys[`${provider.conditionKeyPrefix}:aud`] = 'sts.amazonaws.com';
      if (subjects !== undefined)
        keys[`${provider.conditionKeyPrefix}:sub`] = structuredClone(subjects);
      condition[operator] = keys;
    });
    return {
      Effect: 'Allow' as const,
      Principal: {
        Federated: shared ? [provider.providerArn, EU.providerArn] : provider.providerArn,
      },
      Action: action,
      Condition: condition,
    };
  });

const otherStatementArb: fc.Arbitrary<PolicyStatement> = fc.oneof(
  fc.constant(ACCOUNT_ROOT),
  fc.constant(EC2),
  fc
    .record({
      Effect: fc.constantFrom('Allow' as const, 'Deny' as const),
      Service: fc.constantFrom<string | string[]>('pods.eks.amazonaws.com', [
        'ec2.amazonaws.com',
        'pods.eks.amazonaws.com',
      ]),
      Action: fc.constantFrom<string | string[]>(
        'sts:AssumeRole',
        'sts:TagSession',
        ['sts:AssumeRole', 'sts:TagSession'],
        'sts:*',
      ),
    })
    // A plain object, as JSON.parse gives: fc.record builds null-prototype objects.
    .map(
      ({ Effect, Service, Action }): PolicyStatement => ({
        Effect,
        Principal: { Service: structuredClone(Service) },
        Action: structuredClone(Action),
      }),
    ),
);

const documentArb: fc.Arbitrary<PolicyDocument> = fc
  .record({
    statements: fc.array(fc.oneof(irsaStatementArb, otherStatementArb), {
      minLength: 1,
      maxLength: 6,
    }),
    single: fc.boolean(),
  })
  .map(({ statements, single }) => {
    const [first] = statements;
    return {
      Version: '2012-10-17' as const,
      Statement: single && statements.length === 1 && first !== undefined ? first : statements,
    };
  });

const namesProvider = (statement: PolicyStatement, providerArn: string) =>
  statement.Principal !== undefined &&
  statement.Principal !== '*' &&
  toArray(statement.Principal.Federated).includes(providerArn);
const isOnlyProvider = (statement: PolicyStatement, providerArn: string) =>
  namesProvider(statement, providerArn) &&
  toArray(statement.Principal !== '*' ? statement.Principal?.Federated : undefined).length === 1;

describe('trust policy properties', () => {
  it('adding Pod Identity twice gives the same document as adding it once', () => {
    fc.assert(
      fc.property(documentArb, (document) => {
        const once = addPodIdentityTrust(document);
        const twice = addPodIdentityTrust(once.document);
        assert.equal(twice.changed, false);
        assert.deepEqual(twice.document, once.document);
        assert.equal(hasPodIdentityTrust(once.document), true);
      }),
    );
  });

  it('adding Pod Identity keeps every statement, at most extending one Action', () => {
    fc.assert(
      fc.property(documentArb, (document) => {
        const before = statementsOf(document);
        const after = statementsOf(addPodIdentityTrust(document).document);
        assert.ok(after.length === before.length || after.length === before.length + 1);
        const differing = before.flatMap((statement, index) =>
          JSON.stringify(statement) === JSON.stringify(after[index]) ? [] : [index],
        );
        assert.ok(differing.length <= 1);
        for (const index of differing) {
          const original = before[index];
          const extended = after[index];
          assert.ok(original !== undefined && extended !== undefined);
          assert.deepEqual({ ...extended, Action: undefined }, { ...original, Action: undefined });
          assert.deepEqual(
            toArray(extended.Action).slice(0, toArray(original.Action).length),
            toArray(original.Action),
          );
          assert.equal(after.length, before.length);
        }
      }),
    );
  });

  it('removing subjects never changes a statement that is not solely this provider’s', () => {
    fc.assert(
      fc.property(
        documentArb,
        fc.array(subjectArb, { maxLength: 4 }),
        fc.boolean(),
        (document, values, removeClusterWide) => {
          const refs = values.map((value) => {
            const [, , namespace = '', serviceAccount = ''] = value.split(':');
            return { namespace, serviceAccount };
          });
          const result = removeIrsaSubjects(document, WEST.providerArn, refs, {
            removeClusterWide,
          });
          const untouchable = (statements: PolicyStatement[]) =>
            statements.filter((statement) => !isOnlyProvider(statement, WEST.providerArn));
          assert.deepEqual(
            untouchable(statementsOf(result.document)),
            untouchable(statementsOf(document)),
          );
        },
      ),
    );
  });

  it('removing all subjects of a provider leaves none of them in its own statements', () => {
    fc.assert(
      fc.property(documentArb, (document) => {
        const found = findIrsaSubjects(document, WEST.providerArn);
        const refs = found.subjects.flatMap((subject) =>
          subject.namespace !== undefined && subject.serviceAccount !== undefined
            ? [{ namespace: subject.namespace, serviceAccount: subject.serviceAccount }]
            : [],
        );
        const result = removeIrsaSubjects(document, WEST.providerArn, refs);
        const left = findIrsaSubjects(result.document, WEST.providerArn);
        for (const statement of left.statements) {
          if (!statement.sharedPrincipal) assert.deepEqual(statement.subjects, []);
        }
        for (const statement of statementsOf(result.document)) {
          if (isOnlyProvider(statement, WEST.providerArn)) {
            const [info] = findIrsaSubjects({ Statement: statement }, WEST.providerArn).statements;
            assert.ok(info === undefined || info.clusterWide);
          }
        }
      }),
    );
  });

  it('decoding an encoded document gives the document back', () => {
    const textArb = fc.string({ unit: 'binary', maxLength: 20 });
    fc.assert(
      fc.property(documentArb, textArb, textArb, (document, sid, value) => {
        const [first, ...rest] = statementsOf(document);
        assert.ok(first !== undefined);
        const decorated: PolicyDocument = {
          ...document,
          Statement: [
            { ...first, Sid: sid, Condition: { StringEquals: { 'aws:PrincipalTag/x': value } } },
            ...rest,
          ],
        };
        assert.deepEqual(decodePolicyDocument(encodePolicyDocument(decorated)), decorated);
        assert.deepEqual(decodePolicyDocument(serializePolicyDocument(decorated)), decorated);
      }),
    );
  });

  it('size does not depend on indentation', () => {
    fc.assert(
      fc.property(documentArb, fc.constantFrom(0, 1, 2, 4, '\t', ' \n '), (document, indent) => {
        const text = JSON.stringify(document, null, indent);
        assert.equal(policySize(decodePolicyDocument(text)), policySize(document));
        // The generated strings hold no whitespace, so all whitespace here is indentation.
        assert.equal(text.replace(/\s/g, '').length, policySize(document));
      }),
    );
  });
});
