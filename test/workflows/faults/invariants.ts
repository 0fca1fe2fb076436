/**
 * Safety invariants that must hold in every state a run can leave behind, interrupted or not:
 * - no trust policy holds the same statement twice;
 * - no IRSA annotation and no OIDC trust of a service account is gone while it has no association;
 * - no other cluster's OIDC trust statement was changed or removed;
 * - (once a rerun finished) no role the service created is left without an association using it.
 */
import { isDeepStrictEqual } from 'node:util';
import { ROLE_PATH } from '../../../functions/core/naming.ts';
import type { World } from '../../../local/simulator/index.ts';

const ANNOTATION = 'eks.amazonaws.com/role-arn';

type Statement = Record<string, unknown>;

function statementsOf(document: unknown): Statement[] {
  const statements = (document as { Statement?: unknown })?.Statement;
  if (Array.isArray(statements)) return statements as Statement[];
  return statements === undefined ? [] : [statements as Statement];
}

function providerOf(statement: Statement): string | undefined {
  const principal = statement.Principal as { Federated?: unknown } | undefined;
  return typeof principal?.Federated === 'string' ? principal.Federated : undefined;
}

function issuerHost(issuer: string): string {
  return issuer.replace(/^https:\/\//, '');
}

/** `namespace/name` of each service account a statement trusts by exact `:sub` value. */
function exactSubjects(statement: Statement): string[] {
  const equals = (statement.Condition as { StringEquals?: Record<string, unknown> } | undefined)
    ?.StringEquals;
  return Object.entries(equals ?? {})
    .filter(([key]) => key.endsWith(':sub'))
    .flatMap(([, value]) => (Array.isArray(value) ? value : [value]))
    .flatMap((value) => {
      const parts = String(value).split(':');
      return parts.length === 4 && parts[0] === 'system' && parts[1] === 'serviceaccount'
        ? [`${parts[2]}/${parts[3]}`]
        : [];
    });
}

function associationKeys(world: World): Set<string> {
  return new Set(
    world.clusters.flatMap((cluster) =>
      cluster.podIdentityAssociations.map(
        (association) => `${cluster.name} ${association.namespace}/${association.serviceAccount}`,
      ),
    ),
  );
}

export function invariantProblems(
  start: World,
  state: World,
  options: { final?: boolean } = {},
): string[] {
  const problems: string[] = [];
  const associations = associationKeys(state);
  const roles = new Map(state.roles.map((role) => [role.name, role]));

  for (const role of state.roles) {
    const statements = statementsOf(role.assumeRolePolicyDocument);
    statements.forEach((statement, index) => {
      if (statements.slice(0, index).some((earlier) => isDeepStrictEqual(earlier, statement))) {
        problems.push(`role ${role.name} holds a duplicate trust statement`);
      }
    });
  }

  for (const cluster of start.clusters) {
    const live = state.clusters.find((candidate) => candidate.name === cluster.name);
    const host = cluster.oidcIssuer ? issuerHost(cluster.oidcIssuer) : undefined;
    for (const sa of cluster.serviceAccounts) {
      if (sa.annotations[ANNOTATION] === undefined) continue;
      const now = live?.serviceAccounts.find(
        (candidate) => candidate.namespace === sa.namespace && candidate.name === sa.name,
      );
      const key = `${cluster.name} ${sa.namespace}/${sa.name}`;
      if (now && now.annotations[ANNOTATION] === undefined && !associations.has(key)) {
        problems.push(`the annotation of ${key} was removed while it has no association`);
      }
    }
    if (host === undefined) continue;
    for (const role of start.roles) {
      const now = roles.get(role.name);
      if (!now) continue;
      const trusted = (document: unknown) =>
        new Set(
          statementsOf(document)
            .filter((statement) => providerOf(statement)?.endsWith(`oidc-provider/${host}`))
            .flatMap(exactSubjects),
        );
      const after = trusted(now.assumeRolePolicyDocument);
      for (const subject of trusted(role.assumeRolePolicyDocument)) {
        if (!after.has(subject) && !associations.has(`${cluster.name} ${subject}`)) {
          problems.push(
            `role ${role.name} lost the OIDC trust of ${cluster.name} ${subject} while it has no association`,
          );
        }
      }
    }
  }

  const ownHosts = start.clusters.flatMap((cluster) =>
    cluster.oidcIssuer ? [issuerHost(cluster.oidcIssuer)] : [],
  );
  for (const role of start.roles) {
    const foreign = statementsOf(role.assumeRolePolicyDocument).filter((statement) => {
      const provider = providerOf(statement);
      return provider !== undefined && !ownHosts.some((host) => provider.endsWith(host));
    });
    const now = statementsOf(roles.get(role.name)?.assumeRolePolicyDocument);
    for (const statement of foreign) {
      if (!now.some((candidate) => isDeepStrictEqual(candidate, statement))) {
        problems.push(`role ${role.name} lost or changed another cluster's trust statement`);
      }
    }
  }

  if (options.final === true) {
    const used = new Set(
      state.clusters.flatMap((cluster) =>
        cluster.podIdentityAssociations.map((association) => association.roleArn.split('/').pop()),
      ),
    );
    for (const role of state.roles) {
      if (role.path === ROLE_PATH && !used.has(role.name)) {
        problems.push(`role ${role.name} was created by eks-pia and nothing uses it (orphaned)`);
      }
    }
  }
  return problems;
}
