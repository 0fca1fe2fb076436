/**
 * Who this process acts as. STS names a role caller by its session
 * (`arn:aws:sts::A:assumed-role/R/session`), which IAM and EKS access entries do not accept as a
 * principal; they want the role's own ARN, which carries the role's path
 * (`arn:aws:iam::A:role/teams/R`) while the session ARN does not. So the role is looked up in
 * IAM to learn its real ARN.
 */
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { iamClient, stsClient } from './clients.ts';

export interface CallerIdentity {
  account: string;
  /** As STS reports it (for a role: the assumed-role session ARN). */
  arn: string;
  /** The IAM principal to grant things to: the role's ARN (with its path) or the user's ARN. */
  principalArn: string;
}

const ASSUMED_ROLE = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/.+$/;

/**
 * Keyed by the STS client, which `configureAwsClients` replaces when the process is pointed at
 * another account or simulator, so a cached identity never outlives the credentials it belongs to.
 */
const identities = new WeakMap<STSClient, Promise<CallerIdentity>>();

async function resolveCallerIdentity(): Promise<CallerIdentity> {
  const response = await stsClient().send(new GetCallerIdentityCommand({}));
  const arn = response.Arn ?? '';
  const account = response.Account ?? '';
  const assumed = ASSUMED_ROLE.exec(arn);
  if (!assumed) return { account, arn, principalArn: arn };
  const [, partition = 'aws', roleAccount = account, roleName = ''] = assumed;
  const { Role: role } = await iamClient().send(new GetRoleCommand({ RoleName: roleName }));
  return {
    account,
    arn,
    principalArn: role?.Arn ?? `arn:${partition}:iam::${roleAccount}:role/${roleName}`,
  };
}

/** The caller's identity, asked once per process (per configured credentials). */
export function callerIdentity(): Promise<CallerIdentity> {
  const sts = stsClient();
  let identity = identities.get(sts);
  if (!identity) {
    identity = resolveCallerIdentity();
    // A failed lookup is not cached: the next call asks again.
    identity.catch(() => identities.delete(sts));
    identities.set(sts, identity);
  }
  return identity;
}
