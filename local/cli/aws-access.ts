/**
 * The caller's AWS setup, as the CLI explains it when it fails: a profile the shared files do not
 * define, no credentials, an endpoint out of reach. The SDK's own words ("Could not load
 * credentials from any providers", "getaddrinfo EAI_AGAIN ...") say neither what was being done
 * nor how to fix it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getHomeDir, loadSharedConfigFiles } from '@smithy/core/config';
import { asError, NamedError } from '../../functions/core/errors.ts';

/** `--profile` (or AWS_PROFILE) names a profile neither shared file defines. */
export class AwsProfileNotFoundError extends NamedError {
  override readonly name = 'AwsProfileNotFoundError';
}

/** The SDK found no credentials to sign a request with. */
export class AwsCredentialsError extends NamedError {
  override readonly name = 'AwsCredentialsError';
}

/** A request never got an answer: no network, no DNS, a wrong region or endpoint. */
export class AwsEndpointUnreachableError extends NamedError {
  override readonly name = 'AwsEndpointUnreachableError';
}

/** Node's answers when a connection cannot be made or is lost before a response. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** The SDK's credential and token chains fail with these when nothing gives credentials. */
const CREDENTIALS_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError']);

/** Credential sources of the SDK's default chain that need no profile. */
const PROFILELESS_SOURCES = [
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
];

/** Sections of the config file the SDK's loader keeps beside profiles, by their prefix. */
const NOT_PROFILES = ['sso-session.', 'services.'];

interface SharedFile {
  path: string;
  /** The environment variable that moves it. */
  variable: string;
}

/** The shared files, where the SDK and the AWS CLI read them. */
function sharedFiles(): { config: SharedFile; credentials: SharedFile } {
  const resolve = (path: string) =>
    path.startsWith('~/') ? join(getHomeDir(), path.slice(2)) : path;
  return {
    config: {
      path: resolve(process.env.AWS_CONFIG_FILE || join(getHomeDir(), '.aws', 'config')),
      variable: 'AWS_CONFIG_FILE',
    },
    credentials: {
      path: resolve(
        process.env.AWS_SHARED_CREDENTIALS_FILE || join(getHomeDir(), '.aws', 'credentials'),
      ),
      variable: 'AWS_SHARED_CREDENTIALS_FILE',
    },
  };
}

function describeFile(file: SharedFile): string {
  return `${file.path} (${file.variable}${existsSync(file.path) ? '' : '; no such file'})`;
}

/**
 * Refuses a named profile (`--profile`, else AWS_PROFILE) that neither shared file defines,
 * before the SDK reports it as missing credentials or a missing region.
 *
 * @param source who named it, for the message (`--profile` or `AWS_PROFILE`).
 */
export async function checkProfile(source: '--profile' | 'AWS_PROFILE'): Promise<void> {
  const profile = process.env.AWS_PROFILE;
  if (!profile) return;
  // Past a profile it cannot find, the SDK's chain goes on to these (a pod's web identity, a
  // container's credentials endpoint), so a missing profile is no failure where they are set.
  if (PROFILELESS_SOURCES.some((variable) => process.env[variable])) return;
  const files = sharedFiles();
  const { configFile, credentialsFile } = await loadSharedConfigFiles({
    configFilepath: files.config.path,
    filepath: files.credentials.path,
    ignoreCache: true,
  });
  if (Object.hasOwn(configFile, profile) || Object.hasOwn(credentialsFile, profile)) return;
  const defined = [
    ...new Set([...Object.keys(configFile), ...Object.keys(credentialsFile)]),
  ].filter((section) => !NOT_PROFILES.some((prefix) => section.startsWith(prefix)));
  const instead =
    source === '--profile'
      ? 'name one they define with --profile'
      : 'set AWS_PROFILE to one they define, or unset it to use the default credentials';
  throw new AwsProfileNotFoundError(
    `AWS profile "${profile}" (${source}) is not defined: profiles are read from ` +
      `${describeFile(files.config)} and ${describeFile(files.credentials)}, which define ` +
      `${defined.length > 0 ? defined.join(', ') : 'none'}; create it with ` +
      `\`aws configure --profile ${profile}\` (\`aws configure sso --profile ${profile}\` for SSO), or ${instead}`,
  );
}

/**
 * The named error for a failure of the caller's AWS setup (no credentials, an endpoint out of
 * reach) met while doing `doing` ("read stack S in R"); undefined for any other failure.
 */
export function awsAccessError(error: unknown, doing: string): Error | undefined {
  const failure = asError(error);
  if (CREDENTIALS_ERRORS.has(failure.name)) {
    // --profile has set AWS_PROFILE: the SDK then reads that profile alone.
    const profile = process.env.AWS_PROFILE;
    const fix = profile
      ? `profile "${profile}" gives none the SDK can use; give it credentials (\`aws configure --profile ${profile}\`, or \`aws sso login --profile ${profile}\` when it signs in with SSO) or name another profile`
      : `none in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), in the default profile of ${describeFile(sharedFiles().credentials)} or ${describeFile(sharedFiles().config)}, nor from an instance or container role; set them, run \`aws configure\`, or name a profile with --profile or AWS_PROFILE`;
    return new AwsCredentialsError(
      `no AWS credentials to ${doing}: ${fix} (the SDK said: ${failure.message})`,
      { cause: failure },
    );
  }
  const { code, hostname, address, port } = failure as Error & {
    code?: string;
    hostname?: string;
    address?: string;
    port?: number;
  };
  if (code === undefined || !UNREACHABLE_CODES.has(code)) return undefined;
  const target = hostname ?? (address === undefined ? 'AWS' : `${address}:${port ?? ''}`);
  const hints = ['the network connection', 'any proxy (HTTPS_PROXY)'];
  if (code === 'ENOTFOUND') hints.push('the region (--region)');
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (endpoint) hints.push(`AWS_ENDPOINT_URL (${endpoint})`);
  return new AwsEndpointUnreachableError(
    `cannot reach ${target} to ${doing}: ${failure.message}; check ${hints.slice(0, -1).join(', ')} and ${hints.at(-1)}`,
    { cause: failure },
  );
}
