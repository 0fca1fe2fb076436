/**
 * Simulated STS (AWS Query protocol, version 2011-06-15): GetCallerIdentity for the world's
 * caller, both as an SDK call (form POST) and as the presigned GET that an EKS bearer token wraps.
 */
import type { SimulatorState } from '../state.ts';
import { queryService } from './query.ts';

const version = '2011-06-15';

/** The session name the simulated automation assumed its role with. */
export const callerSessionName = 'eks-pia';

export const stsService = queryService('sts', version, {
  GetCallerIdentity: () => callerIdentity,
});

// A type alias, not an interface: only aliases are assignable to the XML renderer's index signature.
type CallerIdentity = {
  Account: string;
  Arn: string;
  UserId: string;
};

/**
 * A role caller answers as the session it assumed (`assumed-role/<name>/<session>`), as real STS
 * does for credentials obtained from a role; users and roots answer as themselves.
 */
function callerIdentity(state: SimulatorState): CallerIdentity {
  const caller = state.world.caller;
  const match = /^arn:([\w-]+):(iam|sts)::(\d{12}):(.+)$/.exec(caller);
  if (!match) return { Account: state.account, Arn: caller, UserId: state.account };
  const [, partition, , account = state.account, resource = ''] = match;
  const roleName = /^role\/(?:.*\/)?([^/]+)$/.exec(resource)?.[1];
  if (roleName !== undefined) {
    return {
      Account: account,
      Arn: `arn:${partition}:sts::${account}:assumed-role/${roleName}/${callerSessionName}`,
      UserId: `${roleIdOf(state, roleName)}:${callerSessionName}`,
    };
  }
  const assumed = /^assumed-role\/([^/]+)\/(.+)$/.exec(resource);
  if (assumed?.[1] !== undefined) {
    return {
      Account: account,
      Arn: caller,
      UserId: `${roleIdOf(state, assumed[1])}:${assumed[2]}`,
    };
  }
  const userName = /^user\/(?:.*\/)?([^/]+)$/.exec(resource)?.[1];
  if (userName !== undefined) {
    return {
      Account: account,
      Arn: caller,
      UserId: `AIDA${state.roleIdFor(`user/${userName}`).slice(4)}`,
    };
  }
  return { Account: account, Arn: caller, UserId: account };
}

function roleIdOf(state: SimulatorState, roleName: string): string {
  return state.role(roleName)?.roleId ?? state.roleIdFor(roleName);
}
