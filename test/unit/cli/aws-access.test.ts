/**
 * The CLI on a real AWS setup that does not work: a profile the shared files lack, no
 * credentials, an endpoint out of reach. Nothing leaves 127.0.0.1: the shared files are
 * temporary, instance metadata is off, and every endpoint is a closed local port.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { awsAccessError } from '../../../local/cli/aws-access.ts';
import { cli, scratch } from './run-cli.ts';

/** Every variable that could give the SDK credentials, a region, an endpoint or a profile. */
const AWS_VARIABLES = [
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_ENDPOINT_URL',
  'CONFIG_BUCKET',
];

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let saved: Record<string, string | undefined>;
let port: number;
let files: { config: string; credentials: string };

before(async () => {
  saved = Object.fromEntries(AWS_VARIABLES.map((key) => [key, process.env[key]]));
  port = await closedPort();
});

after(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

beforeEach(() => {
  for (const key of AWS_VARIABLES) delete process.env[key];
  const dir = scratch();
  files = { config: join(dir, 'config'), credentials: join(dir, 'credentials') };
  writeFileSync(
    files.config,
    '[default]\nregion = us-west-2\n[profile prod]\nregion = eu-central-1\n',
  );
  writeFileSync(files.credentials, '');
  Object.assign(process.env, {
    AWS_CONFIG_FILE: files.config,
    AWS_SHARED_CREDENTIALS_FILE: files.credentials,
    AWS_EC2_METADATA_DISABLED: 'true',
    // Anything that still went out would meet a closed local port.
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
  });
});

const GET = ['get', 'podidentityassociation', '--cluster', 'demo'];

describe('eks-pia on an AWS setup that does not work', () => {
  it('names a --profile the shared files lack, with or without a region, and where it looked', async () => {
    const expected =
      `Error: AWS profile "nosuch" (--profile) is not defined: profiles are read from ${files.config} (AWS_CONFIG_FILE) ` +
      `and ${files.credentials} (AWS_SHARED_CREDENTIALS_FILE), which define default, prod; ` +
      'create it with `aws configure --profile nosuch` (`aws configure sso --profile nosuch` for SSO), ' +
      'or name one they define with --profile\n';
    for (const region of [['--region', 'us-west-2'], []]) {
      for (const engine of ['local', 'remote']) {
        const result = await cli('--engine', engine, ...region, '--profile', 'nosuch', ...GET);
        assert.equal(result.code, 2, result.err);
        assert.equal(result.err, expected);
      }
    }
  });

  it('names an AWS_PROFILE the shared files lack, and says how to stop naming it', async () => {
    process.env.AWS_PROFILE = 'nosuch';
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(scratch(), 'missing');
    const result = await cli('--engine', 'remote', ...GET);
    assert.equal(result.code, 2, result.err);
    assert.match(
      result.err,
      /^Error: AWS profile "nosuch" \(AWS_PROFILE\) is not defined: .*\/missing \(AWS_SHARED_CREDENTIALS_FILE; no such file\), which define default, prod; .*or set AWS_PROFILE to one they define, or unset it to use the default credentials\n$/,
    );
  });

  it('leaves a missing profile to the SDK where a pod or container gives credentials without one', async () => {
    process.env.AWS_PROFILE = 'nosuch';
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `http://127.0.0.1:${port}/credentials`;
    const result = await cli('--engine', 'remote', '--region', 'us-west-2', ...GET);
    assert.doesNotMatch(result.err, /AwsProfileNotFoundError|is not defined/);
    assert.match(result.err, /credentials/i);
  });

  it('lists only profiles, not the SSO sessions beside them', async () => {
    writeFileSync(
      files.config,
      '[default]\nregion = us-west-2\n[sso-session corp]\nsso_region = us-east-1\n',
    );
    const result = await cli('--profile', 'nosuch', ...GET);
    assert.equal(result.code, 2, result.err);
    assert.match(result.err, /which define default; /);
  });

  it('says which profile has no credentials, what it was doing and how to give it some', async () => {
    const result = await cli('--profile', 'prod', ...GET);
    assert.equal(result.code, 1, result.err);
    assert.equal(
      result.err,
      'Error: no AWS credentials to read stack EksPodIdentityAutomation in eu-central-1: profile "prod" gives none the SDK can use; ' +
        'give it credentials (`aws configure --profile prod`, or `aws sso login --profile prod` when it signs in with SSO) or name another profile ' +
        '(the SDK said: Could not load credentials from any providers)\n',
    );
    // --profile stays in AWS_PROFILE, and the region found in AWS_REGION, for this process.
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_REGION;
    const none = await cli('--engine', 'remote', ...GET);
    assert.equal(none.code, 1, none.err);
    assert.match(
      none.err,
      /^Error: no AWS credentials to read stack EksPodIdentityAutomation in us-west-2: none in the environment \(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\), in the default profile of .*; set them, run `aws configure`, or name a profile with --profile or AWS_PROFILE/,
    );
  });

  it('says which endpoint it could not reach, and for what', async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    const stack = await cli('--engine', 'remote', '--region', 'us-west-2', ...GET);
    assert.equal(stack.code, 1, stack.err);
    assert.equal(
      stack.err,
      `Error: cannot reach 127.0.0.1:${port} to read stack EksPodIdentityAutomation in us-west-2: connect ECONNREFUSED 127.0.0.1:${port}; ` +
        `check the network connection, any proxy (HTTPS_PROXY) and AWS_ENDPOINT_URL (http://127.0.0.1:${port})\n`,
    );
    const addons = await cli('--region', 'us-west-2', 'get', 'addon', '--cluster', 'demo');
    assert.equal(addons.code, 1, addons.err);
    assert.match(
      addons.err,
      new RegExp(
        `^Error: cannot reach 127\\.0\\.0\\.1:${port} to read the add-ons of cluster demo in us-west-2: `,
      ),
    );
  });

  it('reads an unknown host as a possibly wrong region, and leaves other failures alone', () => {
    const lookup = Object.assign(new Error('getaddrinfo ENOTFOUND eks.xx-west-9.amazonaws.com'), {
      code: 'ENOTFOUND',
      hostname: 'eks.xx-west-9.amazonaws.com',
    });
    assert.equal(
      awsAccessError(lookup, 'read cluster demo')?.message,
      'cannot reach eks.xx-west-9.amazonaws.com to read cluster demo: getaddrinfo ENOTFOUND eks.xx-west-9.amazonaws.com; ' +
        `check the network connection, any proxy (HTTPS_PROXY), the region (--region) and AWS_ENDPOINT_URL (http://127.0.0.1:${port})`,
    );
    const denied = Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' });
    assert.equal(awsAccessError(denied, 'read cluster demo'), undefined);
  });
});
