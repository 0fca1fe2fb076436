/**
 * The input of the migrate-to-pod-identity workflow (console, CLI) and its validation. A typo in
 * a flag name must not quietly turn an approved run into a plan or the reverse, so unknown keys
 * are refused, and every problem is listed at once.
 */

import { isClusterName, isNamespaceName } from '../config/formats.ts';
import { NamedError } from '../errors.ts';
import { withoutStartedBy } from '../nested-runs.ts';
import { isRegionName } from '../well-known-policies.ts';
import * as z from '../zod.ts';
import { DISCOVERY_MODES, type DiscoveryMode } from './discovery-modes.ts';

export const WORKFLOW = 'migrate-to-pod-identity';

export class InvalidMigrationInputError extends NamedError {
  override readonly name = 'InvalidMigrationInputError';
}

/** How a migration runs, whatever the cluster: shared by one cluster's input and a fleet's. */
const optionFields = {
  region: z.optional(
    z
      .string()
      .check(z.refine(isRegionName, { message: 'must be an AWS region such as us-west-2' })),
  ),
  approve: z._default(z.boolean(), false),
  removeOidcProviderTrustRelationship: z._default(z.boolean(), false),
  discovery: z._default(z.enum(DISCOVERY_MODES), 'auto'),
  namespaces: z.optional(
    z
      .array(
        z
          .string()
          .check(z.refine(isNamespaceName, { message: 'must be a Kubernetes namespace name' })),
      )
      .check(
        z.minLength(1, {
          message: 'must list at least one namespace when given (leave it out for all)',
        }),
      ),
  ),
  /**
   * Also migrate roles of CloudFormation stacks this service may not update (not named as eksctl
   * names its role stacks). Their trust policy is then changed outside the stack (drift), which
   * the next stack update reverts. eksctl-named stacks are updated through CloudFormation.
   */
  allowStackDrift: z._default(z.boolean(), false),
};

const inputSchema = z.strictObject({
  clusterName: z.string().check(
    z.refine(isClusterName, {
      message:
        'must be an EKS cluster name (letters, digits, - and _, starting with a letter or digit)',
    }),
  ),
  ...optionFields,
});

export type MigrationInput = z.input<typeof inputSchema>;

export interface MigrationRequest {
  clusterName: string;
  region: string;
  approve: boolean;
  removeOidcProviderTrustRelationship: boolean;
  discovery: DiscoveryMode;
  /** Sorted, without duplicates; empty means every namespace. */
  namespaces: string[];
  allowStackDrift: boolean;
}

/**
 * The validated request. The region defaults to the deployment's: each deployment serves the
 * clusters of its own region, so a request for another region is refused.
 */
const OPTION_SHAPES =
  '"region"?: "...", "approve"?: false, "removeOidcProviderTrustRelationship"?: false, ' +
  '"discovery"?: "auto" | "kubernetes" | "iam", "namespaces"?: ["..."], "allowStackDrift"?: false}';

/** The input parsed by `schema`, or InvalidMigrationInputError listing every problem. */
export function parseMigrationShape<T>(
  schema: z.ZodMiniType<T>,
  input: unknown,
  workflow: string,
  firstFields: string,
): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return `  ${path === '' ? '(input)' : path}: ${issue.message}`;
  });
  throw new InvalidMigrationInputError(
    `invalid ${workflow} input:\n${problems.join('\n')}\nexpected {${firstFields}, ${OPTION_SHAPES}`,
  );
}

/**
 * The options as a run uses them. The region defaults to the deployment's: each deployment
 * serves the clusters of its own region, so a request for another region is refused.
 */
export function migrationOptions(
  options: z.output<z.ZodMiniObject<typeof optionFields>>,
  deploymentRegion: string,
): Omit<MigrationRequest, 'clusterName'> {
  const region = options.region ?? deploymentRegion;
  if (deploymentRegion !== '' && region !== deploymentRegion) {
    throw new InvalidMigrationInputError(
      `this deployment manages clusters in ${deploymentRegion}, but the request is for ${region}; send it to the ${region} deployment`,
    );
  }
  return {
    region,
    approve: options.approve,
    removeOidcProviderTrustRelationship: options.removeOidcProviderTrustRelationship,
    discovery: options.discovery,
    namespaces: [...new Set(options.namespaces ?? [])].sort(),
    allowStackDrift: options.allowStackDrift,
  };
}

/** The fleet-migration input: a selector instead of a cluster name, the same options. */
export const fleetMigrationSchema = z.strictObject({ clusters: z.string(), ...optionFields });

/** The validated request. A nested run (a fleet's) carries the parent's execution id, not an option. */
export function parseMigrationInput(input: unknown, deploymentRegion: string): MigrationRequest {
  const request = parseMigrationShape(
    inputSchema,
    withoutStartedBy(input),
    WORKFLOW,
    '"clusterName": "..."',
  );
  return { clusterName: request.clusterName, ...migrationOptions(request, deploymentRegion) };
}
