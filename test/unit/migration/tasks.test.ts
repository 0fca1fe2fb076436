import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubernetesAccessNotPossibleError } from '../../../functions/aws/access-entries.ts';
import {
  KubernetesApiError,
  KubernetesAuthError,
  KubernetesConflictError,
  KubernetesForbiddenError,
  KubernetesNotFoundError,
  type KubernetesServiceAccount,
} from '../../../functions/aws/kubernetes.ts';
import { EDIT_POLICY, VIEW_POLICY } from '../../../functions/core/cluster-access-policies.ts';
import type {
  AnnotationOutcome,
  AssociationOutcome,
  OidcTrustOutcome,
  RoleTrustOutcome,
} from '../../../functions/core/migration/outcomes.ts';
import {
  type MigrationBatchDocument,
  type MigrationPlan,
  planMigration,
  planOfBatch,
} from '../../../functions/core/migration/plan.ts';
import type { PolicyDocument } from '../../../functions/core/policy-document.ts';
import { REPORT_OUTPUT_BYTES } from '../../../functions/core/run-output.ts';
import { findIrsaSubjects, hasPodIdentityTrust } from '../../../functions/core/trust-policy.ts';
import { addPodIdentityTrustBatch } from '../../../functions/migration/add-pod-identity-trust/add-pod-identity-trust.ts';
import {
  type CreateAssociationsDeps,
  createMigrationAssociations,
} from '../../../functions/migration/create-migration-associations/create-migration-associations.ts';
import {
  type DiscoverDeps,
  type DiscoverInput,
  discoverIrsa,
  type KubernetesReader,
} from '../../../functions/migration/discover-irsa/discover-irsa.ts';
import { ensureMigrationAccess } from '../../../functions/migration/ensure-migration-access/ensure-migration-access.ts';
import {
  removeIrsaAnnotations,
  type ServiceAccountsApi,
} from '../../../functions/migration/remove-irsa-annotations/remove-irsa-annotations.ts';
import { removeOidcTrust } from '../../../functions/migration/remove-oidc-trust/remove-oidc-trust.ts';
import {
  fitToOutput,
  type RunReport,
} from '../../../functions/migration/report-migration/report-migration.ts';
import {
  annotated,
  facts,
  irsaStatement,
  POD_IDENTITY_STATEMENT,
  PROVIDER_ARN,
  role,
  roleArn,
  subject,
  trust,
} from './fixtures.ts';

/** These plans have no stack-owned role, so no stack may be touched. */
async function noStackExpected(): Promise<never> {
  throw new Error('no role of this plan is owned by a stack');
}

const K8S_REQUEST = {
  cluster: 'demo',
  endpoint: 'https://k8s',
  verb: 'list',
  resource: 'serviceaccounts',
} as const;

// --- discover-irsa -------------------------------------------------------------------------------

function discoverInput(overrides: Partial<DiscoverInput> = {}): DiscoverInput {
  return {
    runId: 'run-1',
    clusterName: 'demo',
    region: 'us-west-2',
    approve: false,
    removeOidcProviderTrustRelationship: false,
    discovery: 'auto',
    namespaces: [],
    allowStackDrift: false,
    providerArn: PROVIDER_ARN,
    agentInstalled: false,
    readAccess: { granted: false, changed: false },
    ...overrides,
  };
}

const sharedRole = role(
  'shared',
  trust(irsaStatement(PROVIDER_ARN, [subject('a', 'one'), subject('b', 'two')])),
);

function discoverDeps(reader: Partial<KubernetesReader>, saved: MigrationPlan[]) {
  const calls = {
    sleeps: 0,
    described: [] as string[][],
    batches: [] as { batch: number; document: MigrationBatchDocument }[],
  };
  const deps: DiscoverDeps = {
    migratableRoleArnPatterns: undefined,
    kubernetes: async () => ({
      authenticationMode: 'API_AND_CONFIG_MAP',
      serviceAccounts: async () => [],
      pods: async () => [],
      ...reader,
    }),
    listRolesTrusting: async () => [sharedRole],
    addonPodIdentityAccounts: async () => [],
    getRoleTrust: async () => undefined,
    listAddonRoles: async () => [],
    listIamServiceAccountStacks: async () => [],
    listAssociations: async () => [
      { associationId: 'a-1', namespace: 'a', serviceAccount: 'one' },
      { associationId: 'a-2', namespace: 'z', serviceAccount: 'unrelated' },
    ],
    describeAssociations: async (_cluster, ids) => {
      calls.described.push(ids);
      return [{ namespace: 'a', serviceAccount: 'one', roleArn: roleArn('shared') }];
    },
    getAccountSummary: async () => ({ AssumeRolePolicySizeQuota: 4096 }),
    savePlan: async (_runId, plan) => {
      saved.push(plan);
      return 's3://bucket/runs/run-1/migration-plan.json';
    },
    saveBatch: async (_runId, batch, document) => {
      calls.batches.push({ batch, document });
    },
    sleep: async () => {
      calls.sleeps += 1;
    },
  };
  return { deps, calls };
}

function kubernetesAccount(
  namespace: string,
  name: string,
  annotation?: string,
): KubernetesServiceAccount {
  return {
    namespace,
    name,
    annotations: annotation ? { 'eks.amazonaws.com/role-arn': annotation } : {},
    labels: {},
    resourceVersion: '3',
  };
}

describe('discover-irsa', () => {
  it('reconciles Kubernetes with IAM, describes only relevant associations and summarises batches', async () => {
    const saved: MigrationPlan[] = [];
    const { deps, calls } = discoverDeps(
      {
        serviceAccounts: async () => [
          kubernetesAccount('a', 'one', roleArn('shared')),
          kubernetesAccount('b', 'two', roleArn('shared')),
        ],
      },
      saved,
    );
    const summary = await discoverIrsa(
      discoverInput({ approve: true, removeOidcProviderTrustRelationship: true }),
      deps,
    );
    assert.deepEqual(calls.described, [['a-1']]);
    assert.equal(saved[0]?.assumeRolePolicySizeQuota, 4096);
    // Each batch's tasks read their own document: its roles and service accounts at their indexes.
    assert.deepEqual(
      calls.batches.map(({ batch }) => batch),
      [0],
    );
    const batchPlan = planOfBatch(calls.batches[0]?.document as MigrationBatchDocument);
    assert.deepEqual(batchPlan.roles, saved[0]?.roles);
    assert.deepEqual(batchPlan.serviceAccounts, saved[0]?.serviceAccounts);
    assert.equal(batchPlan.removeOidcProviderTrustRelationship, true);
    assert.deepEqual(summary, {
      planDocument: 's3://bucket/runs/run-1/migration-plan.json',
      discovery: 'kubernetes',
      serviceAccounts: 2,
      roles: 1,
      findings: 0,
      hasWork: true,
      createsAssociations: true,
      migratesAddons: false,
      batches: [0],
      removesAnnotations: true,
      annotationNamespaces: ['a', 'b'],
      removesOidcTrust: true,
    });
  });

  it('falls back to IAM with a warning when Kubernetes refuses, naming what an approved run would grant', async () => {
    const saved: MigrationPlan[] = [];
    const { deps } = discoverDeps(
      {
        serviceAccounts: async () => {
          throw new KubernetesForbiddenError(K8S_REQUEST, 'forbidden');
        },
      },
      saved,
    );
    const summary = await discoverIrsa(discoverInput(), deps);
    assert.equal(summary.discovery, 'iam');
    assert.match(saved[0]?.warnings[0] ?? '', /refused to list serviceaccounts across the cluster/);
    assert.match(saved[0]?.warnings[0] ?? '', /An approved run first gives eks-pia read access/);
  });

  it('fails instead when Kubernetes discovery was required', async () => {
    const { deps } = discoverDeps(
      {
        serviceAccounts: async () => {
          throw new KubernetesAuthError('demo');
        },
      },
      [],
    );
    await assert.rejects(
      discoverIrsa(discoverInput({ discovery: 'kubernetes' }), deps),
      KubernetesAuthError,
    );
  });

  it('waits for access this run just granted before giving up on Kubernetes', async () => {
    let attempts = 0;
    const saved: MigrationPlan[] = [];
    const { deps, calls } = discoverDeps(
      {
        serviceAccounts: async () => {
          attempts += 1;
          if (attempts < 3) throw new KubernetesAuthError('demo');
          return [kubernetesAccount('a', 'one', roleArn('shared'))];
        },
      },
      saved,
    );
    const summary = await discoverIrsa(
      discoverInput({ approve: true, readAccess: { granted: true, changed: true } }),
      deps,
    );
    assert.equal(summary.discovery, 'kubernetes');
    assert.equal(calls.sleeps, 2);
  });

  it('lists each namespace asked for, and goes on without pods when they cannot be listed', async () => {
    const listed: (string | undefined)[] = [];
    const saved: MigrationPlan[] = [];
    const { deps } = discoverDeps(
      {
        serviceAccounts: async (namespace) => {
          listed.push(namespace);
          return namespace === 'a' ? [kubernetesAccount('a', 'one', roleArn('shared'))] : [];
        },
        pods: async () => {
          throw new KubernetesForbiddenError({ ...K8S_REQUEST, resource: 'pods' }, 'no');
        },
      },
      saved,
    );
    await discoverIrsa(discoverInput({ namespaces: ['a', 'c'] }), deps);
    assert.deepEqual(listed, ['a', 'c']);
    assert.equal(saved[0]?.serviceAccounts[0]?.pods, undefined);
    assert.match(saved[0]?.warnings[0] ?? '', /pods could not be listed/);
  });
});

// --- the apply steps -----------------------------------------------------------------------------

const APPLY_ROLES = [
  role('shared', trust(irsaStatement(PROVIDER_ARN, [subject('a', 'one'), subject('a', 'two')]))),
  role('solo', trust(POD_IDENTITY_STATEMENT, irsaStatement(PROVIDER_ARN, subject('c', 'solo')))),
];
const ISSUER = `https://${PROVIDER_ARN.split(':oidc-provider/')[1]}`;

function applyPlan(options: { removal?: boolean; quota?: number } = {}): MigrationPlan {
  return planMigration(
    facts({
      request: { approve: true, removeOidcProviderTrustRelationship: options.removal ?? true },
      assumeRolePolicySizeQuota: options.quota ?? 2048,
      kubernetes: {
        serviceAccounts: [
          annotated('a', 'one', roleArn('shared')),
          annotated('a', 'two', roleArn('shared')),
          annotated('c', 'solo', roleArn('solo')),
        ],
      },
      roles: APPLY_ROLES,
    }),
  );
}

describe('add-pod-identity-trust', () => {
  it('writes each role that lacks the statement once, and skips those that have it', async () => {
    const plan = applyPlan();
    const live = new Map(
      plan.roles.map((entry, index) => [
        entry.name,
        structuredClone(
          index === 0
            ? trust(irsaStatement(PROVIDER_ARN, subject('a', 'one')))
            : trust(POD_IDENTITY_STATEMENT),
        ),
      ]),
    );
    const writes: string[] = [];
    let saved: RoleTrustOutcome[] = [];
    const result = await addPodIdentityTrustBatch(
      { runId: 'r', batch: 0 },
      {
        loadPlan: async () => plan,
        getRoleTrust: async (name) => {
          const document = live.get(name);
          return document ? { trustPolicy: document } : undefined;
        },
        updateTrust: async (name, document) => {
          writes.push(name);
          assert.ok(hasPodIdentityTrust(document));
        },
        changeTrustThroughStack: noStackExpected,
        saveOutcomes: async (_runId, _batch, outcomes) => {
          saved = outcomes;
          return '';
        },
      },
    );
    assert.deepEqual(writes, ['shared']);
    assert.deepEqual(
      saved.map((outcome) => outcome.result),
      ['added', 'present'],
    );
    assert.deepEqual(result, { batch: 0, roles: 2, added: 1, unsuccessful: 0 });
  });

  it('fails a role that is gone, too full, or refused by IAM, without writing it', async () => {
    const plan = applyPlan({ quota: 300 });
    const writes: string[] = [];
    let saved: RoleTrustOutcome[] = [];
    await addPodIdentityTrustBatch(
      { runId: 'r', batch: 0 },
      {
        loadPlan: async () => plan,
        getRoleTrust: async (name) =>
          name === 'shared'
            ? { trustPolicy: trust(irsaStatement(PROVIDER_ARN, subject('a', 'one'))) }
            : undefined,
        updateTrust: async (name) => {
          writes.push(name);
        },
        changeTrustThroughStack: noStackExpected,
        saveOutcomes: async (_runId, _batch, outcomes) => {
          saved = outcomes;
          return '';
        },
      },
    );
    assert.deepEqual(writes, []);
    assert.match(saved[0]?.reason ?? '', /AssumeRolePolicySizeQuota of 300/);
    assert.match(saved[1]?.reason ?? '', /role "solo" no longer exists/);
  });
});

function associationDeps(
  plan: MigrationPlan,
  trustOutcomes: RoleTrustOutcome[] | undefined,
  create: CreateAssociationsDeps['createAssociation'],
) {
  const saved: AssociationOutcome[][] = [];
  const loaded: number[] = [];
  const roleReads: string[] = [];
  const deps: CreateAssociationsDeps = {
    loadPlan: async () => plan,
    clusterOidcIssuer: async () => ISSUER,
    getRoleTrust: async (name) => {
      roleReads.push(name);
      return APPLY_ROLES.find((candidate) => candidate.name === name);
    },
    loadTrustOutcomes: async (_runId, batch) => {
      loaded.push(batch);
      return trustOutcomes;
    },
    createAssociation: create,
    saveOutcomes: async (_runId, _batch, outcomes) => {
      saved.push(outcomes);
      return '';
    },
  };
  return { deps, saved, loaded, roleReads };
}

describe('create-migration-associations', () => {
  it('creates associations, counts the same role as done and another role as a conflict', async () => {
    const plan = applyPlan();
    const created: string[] = [];
    const { deps, saved, loaded } = associationDeps(
      plan,
      [
        { roleIndex: 0, result: 'added' },
        { roleIndex: 1, result: 'present' },
      ],
      async (association) => {
        created.push(association.serviceAccount);
        if (association.serviceAccount === 'two') {
          return { status: 'exists', existing: { roleArn: roleArn('SHARED', '/') } };
        }
        if (association.serviceAccount === 'solo') {
          return { status: 'exists', existing: { roleArn: roleArn('someone-else') } };
        }
        return { status: 'created' };
      },
    );
    const result = await createMigrationAssociations({ runId: 'r', batch: 0 }, deps);
    assert.deepEqual(loaded, [0]);
    assert.deepEqual(created, ['one', 'two', 'solo']);
    assert.deepEqual(
      saved[0]?.map((outcome) => outcome.result),
      ['created', 'exists', 'conflict'],
    );
    assert.match(saved[0]?.[2]?.reason ?? '', /someone-else/);
    assert.deepEqual(result, { batch: 0, serviceAccounts: 3, created: 1, unsuccessful: 1 });
  });

  it('reads each role once per batch to check its OIDC trust as IAM has it now', async () => {
    const { deps, roleReads } = associationDeps(
      applyPlan(),
      [
        { roleIndex: 0, result: 'added' },
        { roleIndex: 1, result: 'present' },
      ],
      async () => ({ status: 'created' }),
    );
    await createMigrationAssociations({ runId: 'r', batch: 0 }, deps);
    assert.deepEqual(roleReads.sort(), ['shared', 'solo']);
  });

  it('refuses a plan changed after discovery: a role that does not trust the service account, or another cluster', async () => {
    const plan = applyPlan();
    const tampered: MigrationPlan = {
      ...plan,
      // Someone with write access to runs/ points a/one at the role of c/solo.
      serviceAccounts: plan.serviceAccounts.map((sa) =>
        sa.serviceAccount === 'one' ? { ...sa, roleIndex: 1 } : sa,
      ),
    };
    const created: string[] = [];
    const { deps, saved } = associationDeps(
      tampered,
      [
        { roleIndex: 0, result: 'added' },
        { roleIndex: 1, result: 'present' },
      ],
      async (association) => {
        created.push(association.serviceAccount);
        return { status: 'created' };
      },
    );
    await createMigrationAssociations({ runId: 'r', batch: 0 }, deps);
    assert.deepEqual(created, ['two', 'solo']);
    assert.equal(saved[0]?.[0]?.result, 'failed');
    assert.match(
      saved[0]?.[0]?.reason ?? '',
      /refused to associate "a\/one" with role "solo": the role does not trust this cluster's OIDC provider/,
    );

    const elsewhere = associationDeps(
      plan,
      [
        { roleIndex: 0, result: 'added' },
        { roleIndex: 1, result: 'present' },
      ],
      async () => assert.fail('no association may be created'),
    );
    elsewhere.deps.clusterOidcIssuer = async () =>
      'https://oidc.eks.us-west-2.amazonaws.com/id/OTHER1';
    await createMigrationAssociations({ runId: 'r', batch: 0 }, elsewhere.deps);
    assert.deepEqual(
      elsewhere.saved[0]?.map((outcome) => outcome.result),
      ['failed', 'failed', 'failed'],
    );
  });

  it('does not associate a service account whose role trust step failed or did not finish', async () => {
    const plan = applyPlan();
    const { deps, saved } = associationDeps(
      plan,
      [{ roleIndex: 0, result: 'failed', reason: 'too full' }],
      async () => assert.fail('no association may be created'),
    );
    await createMigrationAssociations({ runId: 'r', batch: 0 }, deps);
    assert.deepEqual(
      saved[0]?.map((outcome) => outcome.result),
      ['not-attempted', 'not-attempted', 'not-attempted'],
    );
    assert.match(
      saved[0]?.[0]?.reason ?? '',
      /role "shared" does not trust pods.eks.amazonaws.com \(too full\)/,
    );
    assert.match(saved[0]?.[2]?.reason ?? '', /its trust step did not finish/);
  });

  it("reports a failed create with eksctl's wording", async () => {
    const plan = applyPlan();
    const { deps, saved } = associationDeps(
      plan,
      [
        { roleIndex: 0, result: 'present' },
        { roleIndex: 1, result: 'present' },
      ],
      async () => {
        throw new Error('Throttling: slow down');
      },
    );
    await createMigrationAssociations({ runId: 'r', batch: 0 }, deps);
    assert.equal(
      saved[0]?.[0]?.reason,
      'creating pod identity association for service account "one" in namespace "a": Throttling: slow down',
    );
  });
});

function fakeKubernetes(
  state: Record<string, { annotations: Record<string, string>; resourceVersion: string }>,
) {
  const patches: string[] = [];
  const api: ServiceAccountsApi = {
    get: async (namespace, name) => state[`${namespace}/${name}`],
    removeRoleArnAnnotation: async (namespace, name, resourceVersion) => {
      const key = `${namespace}/${name}`;
      const current = state[key];
      const request = {
        cluster: 'demo',
        endpoint: 'e',
        verb: 'patch',
        resource: 'serviceaccounts',
        namespace,
        name,
      } as const;
      if (!current) throw new KubernetesNotFoundError(request, 'not found');
      if (resourceVersion !== undefined && resourceVersion !== current.resourceVersion) {
        throw new KubernetesConflictError(request, 'Conflict', 'the object has been modified');
      }
      patches.push(key);
      delete current.annotations['eks.amazonaws.com/role-arn'];
    },
  };
  return { api, patches };
}

describe('remove-irsa-annotations', () => {
  it('patches with the version read at discovery and re-reads when the object changed since', async () => {
    const plan = applyPlan();
    const { api, patches } = fakeKubernetes({
      'a/one': {
        annotations: { 'eks.amazonaws.com/role-arn': roleArn('shared') },
        resourceVersion: '7',
      },
      'a/two': {
        annotations: { 'eks.amazonaws.com/role-arn': roleArn('shared') },
        resourceVersion: '9',
      },
      'c/solo': {
        annotations: { 'eks.amazonaws.com/role-arn': roleArn('elsewhere') },
        resourceVersion: '8',
      },
    });
    let saved: AnnotationOutcome[] = [];
    await removeIrsaAnnotations(
      { runId: 'r', batch: 0 },
      {
        loadPlan: async () => plan,
        loadAssociationOutcomes: async () =>
          [0, 1, 2].map((index) => ({ serviceAccountIndex: index, result: 'created' as const })),
        kubernetes: async () => api,
        saveOutcomes: async (_runId, _batch, outcomes) => {
          saved = outcomes;
          return '';
        },
      },
    );
    assert.deepEqual(patches.sort(), ['a/one', 'a/two']);
    assert.deepEqual(
      saved.map((outcome) => outcome.result),
      ['removed', 'removed', 'changed'],
    );
    assert.match(saved[2]?.reason ?? '', /now names .*elsewhere/);
  });

  it('leaves the annotation of a service account whose association does not exist', async () => {
    const plan = applyPlan();
    let saved: AnnotationOutcome[] = [];
    await removeIrsaAnnotations(
      { runId: 'r', batch: 0 },
      {
        loadPlan: async () => plan,
        loadAssociationOutcomes: async () => undefined,
        kubernetes: async () => assert.fail('Kubernetes is not needed'),
        saveOutcomes: async (_runId, _batch, outcomes) => {
          saved = outcomes;
          return '';
        },
      },
    );
    assert.deepEqual(
      saved.map((outcome) => outcome.result),
      ['not-attempted', 'not-attempted', 'not-attempted'],
    );
  });

  it('counts a deleted service account as having no annotation, and reports an unreachable API per service account', async () => {
    const plan = applyPlan();
    const { api } = fakeKubernetes({});
    const outcomes: AnnotationOutcome[][] = [];
    const deps = {
      loadPlan: async () => plan,
      loadAssociationOutcomes: async () =>
        [0, 1, 2].map((index) => ({ serviceAccountIndex: index, result: 'exists' as const })),
      saveOutcomes: async (_runId: string, _batch: number, saved: AnnotationOutcome[]) => {
        outcomes.push(saved);
        return '';
      },
    };
    await removeIrsaAnnotations({ runId: 'r', batch: 0 }, { ...deps, kubernetes: async () => api });
    assert.deepEqual(
      outcomes[0]?.map((outcome) => outcome.result),
      ['absent', 'absent', 'absent'],
    );
    await removeIrsaAnnotations(
      { runId: 'r', batch: 0 },
      {
        ...deps,
        kubernetes: async () => {
          throw new KubernetesAuthError('demo');
        },
      },
    );
    assert.deepEqual(
      outcomes[1]?.map((outcome) => outcome.result),
      ['failed', 'failed', 'failed'],
    );
    assert.match(
      outcomes[1]?.[0]?.reason ?? '',
      /^updating serviceaccount "a\/one": the Kubernetes API of cluster "demo" answered 401/,
    );
  });
});

describe('remove-irsa-annotations under API server throttling', () => {
  it('leaves retrying to the Kubernetes adapter: a patch it gave up on fails its service account at once, reporting the throttling', async () => {
    const request = {
      cluster: 'demo',
      endpoint: 'e',
      verb: 'patch',
      resource: 'serviceaccounts',
    } as const;
    let calls = 0;
    let saved: AnnotationOutcome[] = [];
    const plan = applyPlan();
    await removeIrsaAnnotations(
      { runId: 'r', batch: 0 },
      {
        loadPlan: async () => ({ ...plan, serviceAccounts: plan.serviceAccounts.slice(0, 1) }),
        loadAssociationOutcomes: async () => [{ serviceAccountIndex: 0, result: 'created' }],
        kubernetes: async () => ({
          get: async () => undefined,
          // What the adapter throws once its own tries (Retry-After honoured) are used up.
          removeRoleArnAnnotation: async () => {
            calls += 1;
            throw new KubernetesApiError(request, 429, 'TooManyRequests', 'slow down');
          },
        }),
        saveOutcomes: async (_runId, _batch, outcomes) => {
          saved = outcomes;
          return '';
        },
      },
    );
    assert.equal(calls, 1);
    assert.equal(saved[0]?.result, 'failed');
    assert.match(saved[0]?.reason ?? '', /429 TooManyRequests/);
  });
});

describe('remove-oidc-trust', () => {
  const liveTrust = (): Record<string, PolicyDocument> => ({
    shared: trust(
      POD_IDENTITY_STATEMENT,
      irsaStatement(PROVIDER_ARN, [subject('a', 'one'), subject('a', 'two')]),
    ),
    solo: trust(POD_IDENTITY_STATEMENT, irsaStatement(PROVIDER_ARN, subject('c', 'solo'))),
  });

  async function run(associations: AssociationOutcome[], annotations: AnnotationOutcome[]) {
    const live = liveTrust();
    const writes: string[] = [];
    let saved: OidcTrustOutcome[] = [];
    await removeOidcTrust(
      { runId: 'r', batch: 0 },
      {
        loadPlan: async () => applyPlan(),
        loadAssociationOutcomes: async () => associations,
        loadAnnotationOutcomes: async () => annotations,
        getRoleTrust: async (name) => (live[name] ? { trustPolicy: live[name] } : undefined),
        updateTrust: async (name, document) => {
          writes.push(name);
          live[name] = document;
        },
        changeTrustThroughStack: noStackExpected,
        saveOutcomes: async (_runId, _batch, outcomes) => {
          saved = outcomes;
          return '';
        },
      },
    );
    return { live, writes, saved };
  }

  it("removes a role's subjects once all its associations exist and annotations are gone", async () => {
    const all = [0, 1, 2];
    const { live, writes, saved } = await run(
      all.map((index) => ({ serviceAccountIndex: index, result: 'created' })),
      all.map((index) => ({ serviceAccountIndex: index, result: 'removed' })),
    );
    assert.deepEqual(writes, ['shared', 'solo']);
    assert.deepEqual(
      saved.map((outcome) => outcome.result),
      ['removed', 'removed'],
    );
    assert.equal(findIrsaSubjects(live.shared ?? trust(), PROVIDER_ARN).statements.length, 0);
  });

  it("keeps a role's trust while one of its associations is missing", async () => {
    const { writes, saved } = await run(
      [
        { serviceAccountIndex: 0, result: 'created' },
        { serviceAccountIndex: 1, result: 'failed', reason: 'throttled' },
        { serviceAccountIndex: 2, result: 'exists' },
      ],
      [0, 1, 2].map((index) => ({ serviceAccountIndex: index, result: 'absent' })),
    );
    assert.deepEqual(writes, ['solo']);
    assert.equal(saved[0]?.result, 'kept');
    assert.match(saved[0]?.reason ?? '', /association of "a\/two" does not exist \(throttled\)/);
  });
});

// --- access and report -----------------------------------------------------------------------------

describe('ensure-migration-access', () => {
  const principalArn = async () => 'arn:aws:iam::111122223333:role/automation';

  it('asks for view access in the namespaces of the run, or cluster-wide, and edit to remove annotations', async () => {
    const requests: unknown[] = [];
    const deps = {
      principalArn,
      ensureAccessEntry: async (request: { policyArn: string }) => {
        requests.push(request);
        return { created: true, associated: true, policyArn: request.policyArn };
      },
      isAccessNotPossible: () => false,
    };
    const read = await ensureMigrationAccess(
      { clusterName: 'demo', purpose: 'read', discovery: 'auto', namespaces: [] },
      deps,
    );
    await ensureMigrationAccess(
      { clusterName: 'demo', purpose: 'write', discovery: 'auto', namespaces: ['a'] },
      deps,
    );
    assert.deepEqual(requests, [
      {
        clusterName: 'demo',
        principalArn: await principalArn(),
        policyArn: VIEW_POLICY,
        scope: { type: 'cluster' },
      },
      {
        clusterName: 'demo',
        principalArn: await principalArn(),
        policyArn: EDIT_POLICY,
        scope: { type: 'namespace', namespaces: ['a'] },
      },
    ]);
    assert.deepEqual(read.access, {
      principalArn: await principalArn(),
      accessPolicyArns: [VIEW_POLICY],
      changed: true,
    });
  });

  it('goes on with a warning when the cluster cannot hold access entries, unless Kubernetes discovery is required', async () => {
    const deps = {
      principalArn,
      ensureAccessEntry: async () => {
        throw new KubernetesAccessNotPossibleError('authentication mode is CONFIG_MAP');
      },
      isAccessNotPossible: (error: unknown) => error instanceof KubernetesAccessNotPossibleError,
    };
    const auto = await ensureMigrationAccess(
      { clusterName: 'demo', purpose: 'read', discovery: 'auto', namespaces: [] },
      deps,
    );
    assert.equal(auto.granted, false);
    assert.match(auto.warning ?? '', /CONFIG_MAP; discovering from IAM alone/);
    await assert.rejects(
      ensureMigrationAccess(
        { clusterName: 'demo', purpose: 'read', discovery: 'kubernetes', namespaces: [] },
        deps,
      ),
      KubernetesAccessNotPossibleError,
    );
  });
});

describe('the report in the execution output', () => {
  it('keeps failed service accounts first when it must cut lists to fit, and says how many it left out', () => {
    const row = (index: number, result: string) => ({
      namespace: 'ns',
      serviceAccount: `sa-${index}`,
      result,
      reason: 'x'.repeat(400),
      steps: [],
    });
    const serviceAccounts = Array.from({ length: 1000 }, (_, index) =>
      row(index, index === 999 ? 'failed' : 'migrated'),
    );
    const report = {
      workflow: 'migrate-to-pod-identity',
      serviceAccounts,
      roles: [],
      findings: [],
      restarts: [],
    } as unknown as RunReport;
    const fitted = fitToOutput(report);
    assert.ok(Buffer.byteLength(JSON.stringify(fitted)) <= REPORT_OUTPUT_BYTES);
    assert.equal(fitted.serviceAccounts[0]?.serviceAccount, 'sa-999');
    assert.equal((fitted.entriesOmitted ?? 0) + fitted.serviceAccounts.length, 1000);
  });
});
