/**
 * The demo's cluster after its migration, for the tests of the guardrails' "its own role" rule:
 * payments/ledger keeps its IRSA role, which eks-pia did not create, nobody opted in by tag and no
 * pattern allows.
 */
export const MIGRATED_ACCOUNT = '111122223333';
export const LEDGER_WRITER = `arn:aws:iam::${MIGRATED_ACCOUNT}:role/teams/ledger-writer`;
export const WORKER_ROLE = `arn:aws:iam::${MIGRATED_ACCOUNT}:role/payments-worker`;

const PODS_TRUST = `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}`;

/** The world file, with `more` (top-level keys such as `buckets:`) after it. */
export function migratedWorld(more = ''): string {
  return `
account: "${MIGRATED_ACCOUNT}"
region: us-west-2
caller: arn:aws:iam::${MIGRATED_ACCOUNT}:role/automation
clusters:
  - name: demo
    version: "1.31"
    addons: [{name: eks-pod-identity-agent, version: v1.3.4-eksbuild.1}]
    namespaces: [default, payments]
    podIdentityAssociations:
      - {namespace: payments, serviceAccount: ledger, roleArn: "${LEDGER_WRITER}"}
      - {namespace: payments, serviceAccount: worker, roleArn: "${WORKER_ROLE}"}
roles:
  - {name: automation, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}}
  - {name: ledger-writer, path: /teams/, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {team: payments}}
  - {name: payments-worker, assumeRolePolicyDocument: ${PODS_TRUST}}
${more}`;
}
