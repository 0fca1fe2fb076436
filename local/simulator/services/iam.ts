/**
 * Simulated IAM (AWS Query protocol, version 2010-05-08): roles, their trust, managed and inline
 * policies, permissions boundaries, tags, OIDC providers, the account's customer managed
 * policies (GetPolicy, GetPolicyVersion) and the account summary.
 *
 * Kept as real IAM behaves where callers trip: documents come back URL-encoded, role names are
 * unique regardless of case, the trust-policy size, attached-policy and inline-size quotas are
 * enforced with IAM's messages, a trust policy may only name OIDC providers and roles that exist,
 * and a role still holding policies cannot be deleted.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimError, XmlMap, type XmlValue } from '../protocol.ts';
import type { SimulatorState } from '../state.ts';
import type { WorldManagedPolicy, WorldRole } from '../world.ts';
import { trustBeforeWrite, trustWrittenKey } from './eks-shared.ts';
import {
  assertPattern,
  paginate,
  type QueryAction,
  type QueryParams,
  type QueryTag,
  queryService,
  validationError,
} from './query.ts';

const version = '2010-05-08';

/** The thumbprint IAM stores for every EKS OIDC provider (the root CA of the issuer's certificate). */
const eksOidcThumbprint = '9e99a48a9960b14926bb7f3b02e22da2b0ab7280';
export const maxTagsPerRole = 50;
/** IAM's tag key and value patterns, as its API model spells them. */
const TAG_KEY_PATTERN = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+';
const TAG_VALUE_PATTERN = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*';

const actions: Record<string, QueryAction> = {
  CreateRole(params) {
    const name = roleNameParam(params);
    const path = pathParam(params, 'Path') ?? '/';
    const trustText = params.required('AssumeRolePolicyDocument');
    const description = params.string('Description');
    if (description !== undefined && description.length > 1000) {
      throw validationError(
        'Description',
        description,
        'Member must have length less than or equal to 1000',
      );
    }
    const maxSessionDuration = params.integer('MaxSessionDuration') ?? 3600;
    if (maxSessionDuration < 3600 || maxSessionDuration > 43200) {
      throw validationError(
        'MaxSessionDuration',
        String(maxSessionDuration),
        maxSessionDuration < 3600
          ? 'Member must have value greater than or equal to 3600'
          : 'Member must have value less than or equal to 43200',
      );
    }
    const boundary = params.string('PermissionsBoundary');
    const tags = tagsParam(params);
    return (state) => {
      if (findRole(state, name)) {
        throw new SimError('EntityAlreadyExists', `Role with name ${name} already exists.`);
      }
      if (state.world.roles.length >= state.world.quotas.roles) {
        throw new SimError(
          'LimitExceeded',
          `Cannot exceed quota for RolesPerAccount: ${state.world.quotas.roles}`,
        );
      }
      const trust = trustPolicy(state, trustText);
      if (boundary !== undefined) checkPolicyArn(state, boundary);
      const role: WorldRole = {
        name,
        path,
        // A new id even when the name was used before, as IAM does: trust naming the old role's
        // id no longer matches the new role.
        roleId: state.roleIdFor(state.newId('', `role/${name}`)),
        ...(description === undefined ? {} : { description }),
        maxSessionDuration,
        createDate: isoSeconds(state.now()),
        assumeRolePolicyDocument: trust,
        attachedPolicies: [],
        inlinePolicies: {},
        permissionsBoundary: boundary ?? null,
        tags: Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value])),
      };
      state.world.roles.push(role);
      // EKS sees a role created during the run only after a few calls (eventual consistency).
      // The EKS service reads this counter as the role's generation: 0 for world roles, 1 once
      // created in this run, 2 when deleted and created again (new to EKS once more).
      state.count(`iam:created:${state.roleArn(role)}`);
      recordTrustWrite(state, state.roleArn(role), undefined);
      return { Role: roleXml(state, role, 'created') };
    };
  },

  GetRole: roleAction({
    find: requireRole,
    run: (state, role) => ({ Role: roleXml(state, role, 'full') }),
  }),

  DeleteRole: roleAction({
    find: requireModifiableRole,
    run: (state, role) => {
      if (role.attachedPolicies.length > 0) {
        throw new SimError(
          'DeleteConflict',
          'Cannot delete entity, must detach all policies first.',
        );
      }
      if (Object.keys(role.inlinePolicies).length > 0) {
        throw new SimError('DeleteConflict', 'Cannot delete entity, must delete policies first.');
      }
      state.world.roles.splice(state.world.roles.indexOf(role), 1);
      // A stack whose role was deleted outside CloudFormation no longer lists it, which keeps
      // the dumped world loadable (a world's stacks may only name roles it has).
      for (const stack of state.world.stacks) {
        stack.roles = stack.roles.filter((stackRole) => stackRole !== role.name);
      }
      return undefined;
    },
  }),

  ListRoles(params) {
    const prefix = pathParam(params, 'PathPrefix') ?? '/';
    const paging = pagingParams(params);
    return (state) => {
      const roles = state.world.roles.filter((role) => role.path.startsWith(prefix));
      const page = markerPage(roles, (role) => role.name, paging);
      return {
        Roles: page.items.map((role) => roleXml(state, role, 'list')),
        ...page.fields,
      };
    };
  },

  UpdateAssumeRolePolicy: roleAction({
    find: requireModifiableRole,
    args: (params) => ({ text: params.required('PolicyDocument') }),
    run: (state, role, { text }) => {
      const previous = role.assumeRolePolicyDocument;
      role.assumeRolePolicyDocument = trustPolicy(state, text);
      recordTrustWrite(state, state.roleArn(role), previous);
      return undefined;
    },
  }),

  AttachRolePolicy: roleAction({
    find: requireModifiableRole,
    args: (params) => ({ policyArn: policyArnParam(params, 'PolicyArn') }),
    run: (state, role, { policyArn }) => {
      checkPolicyArn(state, policyArn);
      if (role.attachedPolicies.includes(policyArn)) return undefined;
      const quota = state.world.quotas.attachedPoliciesPerRole;
      if (role.attachedPolicies.length >= quota) {
        throw new SimError('LimitExceeded', `Cannot exceed quota for PoliciesPerRole: ${quota}`);
      }
      role.attachedPolicies.push(policyArn);
      return undefined;
    },
  }),

  DetachRolePolicy: roleAction({
    find: requireModifiableRole,
    args: (params) => ({ policyArn: policyArnParam(params, 'PolicyArn') }),
    run: (_state, role, { policyArn }) => {
      const index = role.attachedPolicies.indexOf(policyArn);
      if (index < 0) throw new SimError('NoSuchEntity', `Policy ${policyArn} was not found.`);
      role.attachedPolicies.splice(index, 1);
      return undefined;
    },
  }),

  ListAttachedRolePolicies: roleAction({
    find: requireRole,
    args: (params) => ({
      prefix: pathParam(params, 'PathPrefix') ?? '/',
      paging: pagingParams(params),
    }),
    run: (_state, role, { prefix, paging }) => {
      const attached = role.attachedPolicies.filter((arn) => policyPath(arn).startsWith(prefix));
      const page = markerPage(attached, (arn) => arn, paging);
      return {
        AttachedPolicies: page.items.map((arn) => ({
          PolicyName: policyName(arn),
          PolicyArn: arn,
        })),
        ...page.fields,
      };
    },
  }),

  PutRolePolicy: roleAction({
    find: requireModifiableRole,
    args: (params) => ({
      policy: policyNameParam(params),
      text: params.required('PolicyDocument'),
    }),
    run: (state, role, { policy, text }) => {
      const document = permissionsPolicy(text);
      const quota = state.world.quotas.rolePolicySize;
      const others = Object.entries(role.inlinePolicies).filter(
        ([existing]) => existing !== policy,
      );
      const total =
        others.reduce((sum, [, existing]) => sum + compactSize(JSON.stringify(existing)), 0) +
        compactSize(text);
      if (total > quota) {
        throw new SimError(
          'LimitExceeded',
          `Maximum policy size of ${quota} bytes exceeded for role ${role.name}`,
        );
      }
      role.inlinePolicies = Object.fromEntries([...others, [policy, document]]);
      return undefined;
    },
  }),

  GetRolePolicy: roleAction({
    find: requireRole,
    args: (params) => ({ policy: policyNameParam(params) }),
    run: (_state, role, { policy }) => {
      const document = Object.hasOwn(role.inlinePolicies, policy)
        ? role.inlinePolicies[policy]
        : undefined;
      if (!document) throw noSuchRolePolicy(policy);
      return {
        RoleName: role.name,
        PolicyName: policy,
        PolicyDocument: encodeURIComponent(JSON.stringify(document)),
      };
    },
  }),

  DeleteRolePolicy: roleAction({
    find: requireModifiableRole,
    args: (params) => ({ policy: policyNameParam(params) }),
    run: (_state, role, { policy }) => {
      if (!Object.hasOwn(role.inlinePolicies, policy)) throw noSuchRolePolicy(policy);
      role.inlinePolicies = Object.fromEntries(
        Object.entries(role.inlinePolicies).filter(([existing]) => existing !== policy),
      );
      return undefined;
    },
  }),

  ListRolePolicies: roleAction({
    find: requireRole,
    args: (params) => ({ paging: pagingParams(params) }),
    run: (_state, role, { paging }) => {
      const names = Object.keys(role.inlinePolicies);
      const page = markerPage(names, (policy) => policy, paging);
      return { PolicyNames: page.items, ...page.fields };
    },
  }),

  PutRolePermissionsBoundary: roleAction({
    find: requireModifiableRole,
    args: (params) => ({ boundary: policyArnParam(params, 'PermissionsBoundary') }),
    run: (state, role, { boundary }) => {
      checkPolicyArn(state, boundary);
      role.permissionsBoundary = boundary;
      return undefined;
    },
  }),

  DeleteRolePermissionsBoundary: roleAction({
    find: requireModifiableRole,
    run: (_state, role) => {
      role.permissionsBoundary = null;
      return undefined;
    },
  }),

  TagRole: roleAction({
    find: requireRole,
    args: (params) => ({ tags: tagsParam(params) }),
    run: (_state, role, { tags }) => {
      // Tag keys are case-insensitive in IAM: a key differing only in case replaces the old one.
      const merged = new Map(
        Object.entries(role.tags).map(([key, value]) => [key.toLowerCase(), [key, value]]),
      );
      for (const tag of tags) merged.set(tag.Key.toLowerCase(), [tag.Key, tag.Value]);
      if (merged.size > maxTagsPerRole) {
        throw new SimError(
          'LimitExceeded',
          `Cannot exceed quota for TagsPerRole: ${maxTagsPerRole}`,
        );
      }
      role.tags = Object.fromEntries(merged.values());
      return undefined;
    },
  }),

  UntagRole: roleAction({
    find: requireRole,
    args: (params) => {
      const keys = params.list('TagKeys').map((key) => key.toLowerCase());
      if (keys.length > maxTagsPerRole) {
        throw validationError(
          'TagKeys',
          `[${keys.join(', ')}]`,
          'Member must have length less than or equal to 50',
        );
      }
      return { keys };
    },
    run: (_state, role, { keys }) => {
      role.tags = Object.fromEntries(
        Object.entries(role.tags).filter(([key]) => !keys.includes(key.toLowerCase())),
      );
      return undefined;
    },
  }),

  ListRoleTags: roleAction({
    find: requireRole,
    args: (params) => ({ paging: pagingParams(params) }),
    run: (_state, role, { paging }) => {
      const tags = Object.entries(role.tags).map(([Key, Value]) => ({ Key, Value }));
      const page = markerPage(tags, (tag) => tag.Key, paging);
      return { Tags: page.items, ...page.fields };
    },
  }),

  GetPolicy(params) {
    const policyArn = policyArnParam(params, 'PolicyArn');
    return (state) => {
      const policy = requirePolicy(state, policyArn);
      return {
        Policy: {
          PolicyName: policyName(policy.arn),
          PolicyId: state.stableIdFor('ANPA', policy.arn),
          Arn: policy.arn,
          Path: policyPath(policy.arn),
          DefaultVersionId: POLICY_VERSION,
          AttachmentCount: attachmentCount(state, policy.arn),
          PermissionsBoundaryUsageCount: state.world.roles.filter(
            (role) => role.permissionsBoundary === policy.arn,
          ).length,
          IsAttachable: true,
          CreateDate: '2024-01-01T00:00:00Z',
          UpdateDate: '2024-01-01T00:00:00Z',
        },
      };
    };
  },

  GetPolicyVersion(params) {
    const policyArn = policyArnParam(params, 'PolicyArn');
    const versionId = params.required('VersionId');
    assertPattern('VersionId', versionId, 'v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?');
    return (state) => {
      const policy = requirePolicy(state, policyArn);
      if (versionId !== POLICY_VERSION) {
        throw new SimError(
          'NoSuchEntity',
          `Policy ${policyArn} version ${versionId} does not exist or is not attachable.`,
        );
      }
      return {
        PolicyVersion: {
          Document: encodeURIComponent(JSON.stringify(policy.document)),
          VersionId: POLICY_VERSION,
          IsDefaultVersion: true,
          CreateDate: '2024-01-01T00:00:00Z',
        },
      };
    };
  },

  ListOpenIDConnectProviders() {
    return (state) => ({
      OpenIDConnectProviderList: state.world.openIdConnectProviders.map((arn) => ({ Arn: arn })),
    });
  },

  GetOpenIDConnectProvider(params) {
    const arn = params.required('OpenIDConnectProviderArn');
    if (!/^arn:[\w-]+:iam::\d{12}:oidc-provider\/.+/.test(arn)) {
      throw new SimError('InvalidInput', `ARN ${arn} is not valid.`);
    }
    return (state) => {
      if (!state.world.openIdConnectProviders.includes(arn)) {
        throw new SimError('NoSuchEntity', `OpenIDConnect Provider not found for arn ${arn}`);
      }
      return {
        // IAM reports the issuer without its scheme, as it appears in the provider ARN.
        Url: arn.slice(arn.indexOf(':oidc-provider/') + ':oidc-provider/'.length),
        ClientIDList: ['sts.amazonaws.com'],
        ThumbprintList: [eksOidcThumbprint],
        CreateDate: '2024-01-01T00:00:00Z',
      };
    };
  },

  GetAccountSummary() {
    return (state) => {
      const { quotas, roles, openIdConnectProviders } = state.world;
      return {
        SummaryMap: new XmlMap({
          AccessKeysPerUserQuota: 2,
          AccountAccessKeysPresent: 0,
          AccountMFAEnabled: 0,
          AccountSigningCertificatesPresent: 0,
          AssumeRolePolicySizeQuota: quotas.assumeRolePolicySize,
          AttachedPoliciesPerGroupQuota: 10,
          AttachedPoliciesPerRoleQuota: quotas.attachedPoliciesPerRole,
          AttachedPoliciesPerUserQuota: 10,
          GlobalEndpointTokenVersion: 1,
          GroupPolicySizeQuota: 5120,
          Groups: 0,
          GroupsPerUserQuota: 10,
          GroupsQuota: 300,
          InstanceProfiles: 0,
          InstanceProfilesQuota: 1000,
          MFADevices: 0,
          MFADevicesInUse: 0,
          Policies: 0,
          PoliciesQuota: 1500,
          PolicySizeQuota: 6144,
          PolicyVersionsInUse: 0,
          PolicyVersionsInUseQuota: 10000,
          Providers: openIdConnectProviders.length,
          RolePolicySizeQuota: quotas.rolePolicySize,
          Roles: roles.length,
          RolesQuota: quotas.roles,
          ServerCertificates: 0,
          ServerCertificatesQuota: 20,
          SigningCertificatesPerUserQuota: 2,
          UserPolicySizeQuota: 2048,
          Users: 0,
          UsersQuota: 5000,
          VersionsPerPolicyQuota: 5,
        }),
      };
    };
  },
};

export const iamService = queryService('iam', version, actions);

/**
 * An action on the one role its RoleName names, as most of IAM's role API is: RoleName is
 * checked first, then `args` checks the rest of the request's shape; when the call runs, `find`
 * looks the role up (`requireModifiableRole` for changes AWS refuses on service-linked roles).
 */
function roleAction<Args = undefined>(spec: {
  readonly find: (state: SimulatorState, name: string) => WorldRole;
  readonly args?: (params: QueryParams) => Args;
  readonly run: (state: SimulatorState, role: WorldRole, args: Args) => XmlValue | undefined;
}): QueryAction {
  return (params) => {
    const name = roleNameParam(params);
    const args = spec.args ? spec.args(params) : (undefined as Args);
    return (state) => spec.run(state, spec.find(state, name), args);
  };
}

// ---- request parameters ------------------------------------------------------------------

function roleNameParam(params: QueryParams): string {
  return namedParam(params, 'RoleName', 64);
}

function policyNameParam(params: QueryParams): string {
  return namedParam(params, 'PolicyName', 128);
}

function namedParam(params: QueryParams, field: string, maxLength: number): string {
  const value = params.required(field);
  if (value.length < 1)
    throw validationError(field, value, 'Member must have length greater than or equal to 1');
  if (value.length > maxLength) {
    throw validationError(
      field,
      value,
      `Member must have length less than or equal to ${maxLength}`,
    );
  }
  assertPattern(field, value, '[\\w+=,.@-]+');
  return value;
}

function pathParam(params: QueryParams, field: 'Path' | 'PathPrefix'): string | undefined {
  const value = params.string(field);
  if (value === undefined) return undefined;
  if (value.length > 512) {
    throw validationError(field, value, 'Member must have length less than or equal to 512');
  }
  const pattern = field === 'Path' ? /^\/([\x21-\x7e]*\/)?$/ : /^\/[\x21-\x7f]*$/;
  if (!pattern.test(value)) {
    throw validationError(
      field,
      value,
      field === 'Path'
        ? 'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)'
        : 'Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*',
    );
  }
  return value;
}

function policyArnParam(params: QueryParams, field: string): string {
  const value = params.required(field);
  if (value.length < 20) {
    throw validationError(field, value, 'Member must have length greater than or equal to 20');
  }
  if (value.length > 2048) {
    throw validationError(field, value, 'Member must have length less than or equal to 2048');
  }
  return value;
}

function tagsParam(params: QueryParams): QueryTag[] {
  const tags = params.tags('Tags');
  if (tags.length > maxTagsPerRole) {
    throw validationError(
      'Tags',
      `[${tags.map((tag) => tag.Key).join(', ')}]`,
      'Member must have length less than or equal to 50',
    );
  }
  const seen = new Set<string>();
  for (const tag of tags) {
    if (tag.Key.length < 1 || tag.Key.length > 128) {
      throw validationError(
        'Tags.member.key',
        tag.Key,
        'Member must have length less than or equal to 128',
      );
    }
    assertPattern('Tags.member.key', tag.Key, TAG_KEY_PATTERN);
    if (tag.Value.length > 256) {
      throw validationError(
        'Tags.member.value',
        tag.Value,
        'Member must have length less than or equal to 256',
      );
    }
    assertPattern('Tags.member.value', tag.Value, TAG_VALUE_PATTERN);
    if (seen.has(tag.Key.toLowerCase())) {
      throw new SimError(
        'InvalidInput',
        'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
      );
    }
    seen.add(tag.Key.toLowerCase());
  }
  return tags;
}

function pagingParams(params: QueryParams): { marker: string | undefined; maxItems: number } {
  const maxItems = params.integer('MaxItems') ?? 100;
  if (maxItems < 1)
    throw validationError(
      'MaxItems',
      String(maxItems),
      'Member must have value greater than or equal to 1',
    );
  if (maxItems > 1000)
    throw validationError(
      'MaxItems',
      String(maxItems),
      'Member must have value less than or equal to 1000',
    );
  return { marker: params.string('Marker'), maxItems };
}

/**
 * One page of an IAM list, as every IAM List* action pages: by Marker and MaxItems, an unknown
 * marker refused with InvalidInput, and `IsTruncated` (with the next Marker) beside the items.
 */
function markerPage<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  paging: { marker: string | undefined; maxItems: number },
): { items: T[]; fields: { IsTruncated: boolean; Marker?: string } } {
  const page = paginate(items, keyOf, paging.marker, paging.maxItems, invalidMarker);
  return {
    items: page.items,
    fields:
      page.next === undefined ? { IsTruncated: false } : { IsTruncated: true, Marker: page.next },
  };
}

function invalidMarker(): SimError {
  return new SimError('InvalidInput', 'Invalid Marker.');
}

// ---- roles ---------------------------------------------------------------------------------

/** IAM names are unique regardless of case, and IAM finds a role by any casing of its name. */
function findRole(state: SimulatorState, name: string): WorldRole | undefined {
  const wanted = name.toLowerCase();
  return state.world.roles.find((role) => role.name.toLowerCase() === wanted);
}

function requireRole(state: SimulatorState, name: string): WorldRole {
  const role = findRole(state, name);
  if (!role) throw new SimError('NoSuchEntity', `The role with name ${name} cannot be found.`);
  return role;
}

/** Service-linked roles only AWS may change. */
function requireModifiableRole(state: SimulatorState, name: string): WorldRole {
  const role = requireRole(state, name);
  if (role.path.startsWith('/aws-service-role/')) {
    throw new SimError(
      'UnmodifiableEntity',
      `Cannot perform the operation on the protected role '${role.name}' - this role is only modifiable by AWS`,
    );
  }
  return role;
}

/**
 * A role as IAM answers it: `created` (CreateRole) and `full` (GetRole) carry tags and the
 * boundary; `list` (ListRoles) leaves them out, as real IAM does.
 */
function roleXml(
  state: SimulatorState,
  role: WorldRole,
  view: 'created' | 'full' | 'list',
): XmlValue {
  const tags = Object.entries(role.tags).map(([Key, Value]) => ({ Key, Value }));
  const detailed = view !== 'list';
  return {
    Path: role.path,
    RoleName: role.name,
    RoleId: role.roleId ?? state.roleIdFor(role.name),
    Arn: state.roleArn(role),
    CreateDate: role.createDate ?? '2024-01-01T00:00:00Z',
    AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(role.assumeRolePolicyDocument)),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
    PermissionsBoundary:
      detailed && role.permissionsBoundary
        ? {
            PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
            PermissionsBoundaryArn: role.permissionsBoundary,
          }
        : undefined,
    Tags: detailed && tags.length > 0 ? tags : undefined,
    RoleLastUsed: view === 'full' ? {} : undefined,
  };
}

function noSuchRolePolicy(policy: string): SimError {
  return new SimError('NoSuchEntity', `The role policy with name ${policy} cannot be found.`);
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** What EKS keeps seeing until the new trust reaches it (eks-shared.ts, assertRoleTrustsPodIdentity). */
export function recordTrustWrite(state: SimulatorState, roleArn: string, previous: unknown): void {
  let before = trustBeforeWrite.get(state);
  if (!before) {
    before = new Map();
    trustBeforeWrite.set(state, before);
  }
  before.set(roleArn, previous);
  state.count(trustWrittenKey(roleArn));
}

// ---- managed policy ARNs -------------------------------------------------------------------

const policyArnPattern = /^arn:([\w-]+):iam::(aws|\d{12}):policy(\/.*)?\/([\w+=,.@-]+)$/;

/** `/service-role/AmazonEBSCSIDriverPolicy`: the path and name of every AWS managed policy. */
const AWS_MANAGED_POLICIES = new Set(
  readFileSync(join(import.meta.dirname, '..', 'data', 'aws-managed-policies.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('/')),
);

/** The one version of every simulated customer managed policy (none is ever edited). */
const POLICY_VERSION = 'v1';

/**
 * Only policies that exist can be attached or set as a boundary: AWS managed policies (AWS's
 * catalogue) and the customer managed policies the world lists (`managedPolicies`).
 */
export function checkPolicyArn(state: SimulatorState, arn: string): void {
  const match = policyArnPattern.exec(arn);
  if (!match) throw new SimError('InvalidInput', `ARN ${arn} is not valid.`);
  const [, partition, owner] = match;
  const exists =
    partition === state.partition &&
    (owner === 'aws'
      ? AWS_MANAGED_POLICIES.has(arn.slice(arn.indexOf(':policy/') + ':policy'.length))
      : customerPolicy(state, arn) !== undefined);
  if (!exists) {
    throw new SimError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
  }
}

function customerPolicy(state: SimulatorState, arn: string): WorldManagedPolicy | undefined {
  return state.world.managedPolicies.find((policy) => policy.arn === arn);
}

/**
 * A customer managed policy of the world, for GetPolicy and GetPolicyVersion. AWS managed
 * policies are attachable by ARN, but their documents are not simulated: reading one is refused
 * as not implemented rather than answered with a made-up document.
 */
function requirePolicy(state: SimulatorState, arn: string): WorldManagedPolicy {
  const match = policyArnPattern.exec(arn);
  if (!match) throw new SimError('InvalidInput', `ARN ${arn} is not valid.`);
  if (match[2] === 'aws') {
    throw new SimError(
      'NotImplemented',
      `The simulator does not hold the documents of AWS managed policies (${arn})`,
      501,
    );
  }
  const policy = customerPolicy(state, arn);
  if (!policy) throw new SimError('NoSuchEntity', `Policy ${arn} was not found.`);
  return policy;
}

function attachmentCount(state: SimulatorState, arn: string): number {
  return state.world.roles.filter((role) => role.attachedPolicies.includes(arn)).length;
}

function policyName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

function policyPath(arn: string): string {
  const resource = arn.slice(arn.indexOf(':policy/') + ':policy'.length);
  return resource.slice(0, resource.lastIndexOf('/') + 1);
}

// ---- policy documents ----------------------------------------------------------------------

function malformed(message: string): SimError {
  return new SimError('MalformedPolicyDocument', message);
}

/** IAM does not count whitespace against its policy size quotas. */
function compactSize(text: string): number {
  return [...text.replace(/\s/g, '')].length;
}

type Statement = Record<string, unknown>;

/** Parses a document and checks the grammar both kinds of policy share. */
function parseDocument(text: string): {
  document: Record<string, unknown>;
  statements: Statement[];
} {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw malformed('This policy contains invalid Json');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw malformed('This policy contains invalid Json');
  }
  const record = document as Record<string, unknown>;
  if ('Version' in record && record.Version !== '2012-10-17' && record.Version !== '2008-10-17') {
    throw malformed('Syntax errors in policy.');
  }
  const raw = record.Statement;
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (statements.length === 0) throw malformed('Syntax errors in policy.');
  for (const statement of statements) {
    if (typeof statement !== 'object' || statement === null || Array.isArray(statement)) {
      throw malformed('Syntax errors in policy.');
    }
    const effect = (statement as Statement).Effect;
    if (effect !== 'Allow' && effect !== 'Deny') throw malformed('Syntax errors in policy.');
    if (!('Action' in statement) && !('NotAction' in statement)) {
      throw malformed('Policy statement must contain actions.');
    }
  }
  return { document: record, statements: statements as Statement[] };
}

/** A trust policy: checked for grammar, principals that exist, and the account's size quota. */
export function trustPolicy(state: SimulatorState, text: string): Record<string, unknown> {
  const { document, statements } = parseDocument(text);
  for (const statement of statements) {
    if (!('Principal' in statement) && !('NotPrincipal' in statement)) {
      throw malformed(
        'Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!',
      );
    }
    if ('Resource' in statement || 'NotResource' in statement) {
      throw malformed(
        `Has prohibited field ${'Resource' in statement ? 'Resource' : 'NotResource'}`,
      );
    }
    checkPrincipalsExist(state, statement.Principal ?? statement.NotPrincipal);
  }
  const quota = state.world.quotas.assumeRolePolicySize;
  if (compactSize(text) > quota) {
    throw new SimError('LimitExceeded', `Cannot exceed quota for ACLSizePerRole: ${quota}`);
  }
  return document;
}

/**
 * IAM rejects a trust policy naming an OIDC provider or a role of this account that does not
 * exist (a migration that writes trust for a missing provider fails here in real AWS too).
 */
function checkPrincipalsExist(state: SimulatorState, principal: unknown): void {
  if (typeof principal !== 'object' || principal === null) return;
  const byType = principal as Record<string, unknown>;
  const accountPrefix = `arn:${state.partition}:iam::${state.account}:`;
  for (const federated of asStrings(byType.Federated)) {
    if (
      federated.startsWith(`${accountPrefix}oidc-provider/`) &&
      !state.world.openIdConnectProviders.includes(federated)
    ) {
      throw malformed(`Invalid principal in policy: "Federated":"${federated}"`);
    }
  }
  for (const aws of asStrings(byType.AWS)) {
    if (!aws.startsWith(`${accountPrefix}role/`)) continue;
    const exists = state.world.roles.some((role) => state.roleArn(role) === aws);
    if (!exists) throw malformed(`Invalid principal in policy: "AWS":"${aws}"`);
  }
}

function asStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/** An identity (inline) policy: checked for grammar; it may not name a principal. */
function permissionsPolicy(text: string): Record<string, unknown> {
  const { document, statements } = parseDocument(text);
  for (const statement of statements) {
    if ('Principal' in statement || 'NotPrincipal' in statement) {
      throw malformed('Policy document should not specify a principal.');
    }
    if (!('Resource' in statement) && !('NotResource' in statement)) {
      throw malformed('Policy statement must contain resources.');
    }
  }
  return document;
}
