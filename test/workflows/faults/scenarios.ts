/**
 * The workflow scenarios the fault-injection suite runs. To cover another workflow, add a
 * `FaultScenario` here: a world, the runs that prepare its start state, and the run to fault.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseWorld, type World } from '../../../local/simulator/index.ts';
import type { FaultScenario, WorkflowRun } from './convergence.ts';

const ACCOUNT = '111122223333';
const ISSUER_HOST = 'oidc.eks.us-west-2.amazonaws.com/id';
const PODS_TRUST = `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}`;
const DEMO_WORLD = join(import.meta.dirname, '..', '..', '..', 'events', 'worlds', 'demo.yaml');

/** A cluster with the agent, a Helm service account in use, and two roles given by ARN. */
export function associationsWorldYaml({
  serviceAccounts = `[{namespace: default, name: web, labels: {app.kubernetes.io/managed-by: Helm}}]`,
  associations = '[]',
  behaviour = '{}',
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
    serviceAccounts: ${serviceAccounts}
    pods: [{namespace: default, name: web-1, serviceAccount: web}]
    podIdentityAssociations: ${associations}
roles:
  - {name: automation, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}}
  - {name: app-data-reader, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {eks-pia/assignable: "true"}}
  - {name: other-reader, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {eks-pia/assignable: "true"}}
behaviour: ${behaviour}
`;
}

function associationsWorld(): World {
  return parseWorld(associationsWorldYaml());
}

/** An associations run on an inline config of demo with these entries (YAML flow mappings). */
export function associations(
  operation: string,
  entries: string[],
  extra: object = {},
): WorkflowRun {
  const config = parseYaml(
    `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: demo, region: us-west-2}\niam:\n  podIdentityAssociations:\n${entries.map((entry) => `    - ${entry}`).join('\n')}`,
  );
  return { workflow: 'associations', input: { operation, config: { inline: config }, ...extra } };
}

const INLINE = `{Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["sqs:SendMessage"], Resource: "arn:aws:sqs:us-west-2:${ACCOUNT}:jobs"}]}`;
/** An owned role with managed and inline policies, and a service account eks-pia creates. */
const OWNED_NEW_SA = `{namespace: payments, serviceAccountName: worker, createServiceAccount: true, permissionPolicyARNs: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"], permissionPolicy: ${INLINE}, tags: {team: payments}}`;
/** createServiceAccount on a Helm service account that exists: used, never relabelled or deleted. */
const OWNED_HELM_SA = `{namespace: default, serviceAccountName: web, createServiceAccount: true, wellKnownPolicies: {autoScaler: true}}`;
const GIVEN_ROLE = `{namespace: payments, serviceAccountName: reports, roleARN: "arn:aws:iam::${ACCOUNT}:role/app-data-reader"}`;
const CREATED = [OWNED_NEW_SA, OWNED_HELM_SA, GIVEN_ROLE];

type MigrationPath = 'roles' | 'eksctl-stack' | 'addon';

/**
 * The demo world cut down to one migration path, so each path's mutating calls are sampled on
 * their own: `roles` (hand-made IRSA roles, plus a role two clusters trust whose other statement
 * must survive), `eksctl-stack` (a role owned by an eksctl iamserviceaccount stack, changed
 * through change sets) or `addon` (vpc-cni moved from IRSA to pod identity by UpdateAddon).
 */
function migrationWorld(path: MigrationPath): World {
  const world = parseWorld(readFileSync(DEMO_WORLD, 'utf8'));
  const demo = world.clusters[0];
  if (!demo?.oidcIssuer) throw new Error('the demo world has no OIDC issuer');
  const host = demo.oidcIssuer.replace('https://', '');
  const statement = (providerHost: string, sub: string) => ({
    Effect: 'Allow',
    Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${providerHost}` },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: {
      StringEquals: { [`${providerHost}:sub`]: sub, [`${providerHost}:aud`]: 'sts.amazonaws.com' },
    },
  });
  world.roles.push({
    name: 'shared-exporter',
    path: '/',
    maxSessionDuration: 3600,
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        statement(host, 'system:serviceaccount:monitoring:exporter'),
        statement(`${ISSUER_HOST}/OTHER1`, 'system:serviceaccount:monitoring:exporter'),
      ],
    },
    attachedPolicies: [],
    inlinePolicies: {},
    permissionsBoundary: null,
    // Not eksctl's: its owner opts it in to the migration's trust edits.
    tags: { 'eks-pia/assignable': 'true' },
  } as World['roles'][number]);
  world.openIdConnectProviders.push(`arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER_HOST}/OTHER1`);
  const stackRoleArn = `arn:aws:iam::${ACCOUNT}:role/eksctl-demo-addon-iamserviceaccount-Role1-DEMO`;
  const usesStackRole = (sa: { annotations?: Record<string, string> }) =>
    sa.annotations?.['eks.amazonaws.com/role-arn'] === stackRoleArn;
  if (path !== 'eksctl-stack') {
    world.stacks = world.stacks.filter((stack) => !stack.name.includes('-iamserviceaccount-'));
  }
  if (path !== 'addon') {
    for (const addon of demo.addons) delete addon.serviceAccountRoleArn;
  }
  if (path !== 'roles') {
    demo.serviceAccounts = demo.serviceAccounts.filter(
      (sa) =>
        !sa.annotations?.['eks.amazonaws.com/role-arn'] ||
        (path === 'eksctl-stack' && usesStackRole(sa)),
    );
    return world;
  }
  demo.serviceAccounts.push({
    namespace: 'monitoring',
    name: 'exporter',
    annotations: { 'eks.amazonaws.com/role-arn': `arn:aws:iam::${ACCOUNT}:role/shared-exporter` },
    labels: {},
  } as World['clusters'][number]['serviceAccounts'][number]);
  return world;
}

function migrate(removeOidcProviderTrustRelationship: boolean): WorkflowRun {
  return {
    workflow: 'migrate-to-pod-identity',
    input: {
      clusterName: 'demo',
      region: 'us-west-2',
      approve: true,
      removeOidcProviderTrustRelationship,
    },
  };
}

/** An add-ons run (`create|update addon -f`) on an inline config of demo with this `addons:` list. */
function addons(operation: string, list: string): WorkflowRun {
  const config = parseYaml(
    `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: demo, region: us-west-2}\naddons: ${list}`,
  );
  return {
    workflow: 'associations',
    input: { operation, scope: 'addons', config: { inline: config } },
  };
}

/** vpc-cni with a role eks-pia creates, and the EBS CSI driver with EKS's recommended one. */
const ADDONS_WITH_ROLES = `[{name: vpc-cni, version: v1.19.2-eksbuild.1, podIdentityAssociations: [{namespace: kube-system, serviceAccountName: aws-node, permissionPolicyARNs: ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]}]}, {name: aws-ebs-csi-driver, useDefaultPodIdentityAssociations: true}]`;

function bootstrapWorld(): World {
  const file = `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: demo, region: us-west-2}
iam:
  podIdentityAssociations:
    - ${OWNED_NEW_SA}
    - ${GIVEN_ROLE}
`;
  const world = associationsWorld();
  const demo = world.clusters[0];
  if (!demo) throw new Error('no cluster');
  demo.status = 'CREATING';
  demo.addons = [];
  world.buckets.push({
    name: `eks-pia-configs-${ACCOUNT}`,
    objects: { 'clusters/demo.yaml': file },
  });
  return world;
}

export const FAULT_SCENARIOS: FaultScenario[] = [
  {
    name: 'associations create (owned roles, createServiceAccount)',
    world: associationsWorld(),
    run: associations('create', CREATED),
  },
  {
    name: 'associations update (owned role reconciled, given role changed)',
    world: associationsWorld(),
    prepare: [associations('create', CREATED)],
    run: associations('update', [
      `{namespace: payments, serviceAccountName: worker, permissionPolicyARNs: ["arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"], wellKnownPolicies: {autoScaler: true}}`,
      `{namespace: payments, serviceAccountName: reports, roleARN: "arn:aws:iam::${ACCOUNT}:role/other-reader", disableSessionTags: true}`,
    ]),
  },
  {
    name: 'associations delete (owned roles and service accounts)',
    world: associationsWorld(),
    prepare: [associations('create', CREATED)],
    run: associations('delete', [
      '{namespace: payments, serviceAccountName: worker}',
      '{namespace: default, serviceAccountName: web}',
      '{namespace: payments, serviceAccountName: reports}',
    ]),
  },
  {
    name: 'associations apply with prune',
    world: associationsWorld(),
    prepare: [associations('create', CREATED)],
    run: associations(
      'apply',
      [
        `{namespace: payments, serviceAccountName: worker, createServiceAccount: true, permissionPolicyARNs: ["arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"], tags: {team: payments}}`,
        `{namespace: payments, serviceAccountName: batch, createServiceAccount: true, permissionPolicy: ${INLINE}}`,
        GIVEN_ROLE,
      ],
      { prune: true },
    ),
  },
  ...(['roles', 'eksctl-stack', 'addon'] as const).flatMap((path) => [
    {
      name: `migrate-to-pod-identity (${path})`,
      world: migrationWorld(path),
      run: migrate(false),
    },
    {
      name: `migrate-to-pod-identity with OIDC-trust removal (${path})`,
      world: migrationWorld(path),
      run: migrate(true),
    },
  ]),
  {
    name: 'addons create (created and recommended roles)',
    world: associationsWorld(),
    run: addons('create', ADDONS_WITH_ROLES),
  },
  {
    name: 'addons update (declarative: associations and their roles removed)',
    world: associationsWorld(),
    prepare: [addons('create', ADDONS_WITH_ROLES)],
    run: addons(
      'update',
      '[{name: vpc-cni, podIdentityAssociations: []}, {name: aws-ebs-csi-driver, podIdentityAssociations: []}]',
    ),
  },
  {
    name: 'bootstrap-cluster',
    world: bootstrapWorld(),
    run: { workflow: 'bootstrap-cluster', input: { clusterName: 'demo', region: 'us-west-2' } },
  },
];
