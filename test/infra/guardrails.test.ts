import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Fn, Stack } from 'aws-cdk-lib';
import {
  type GuardrailSettings,
  GuardrailSettingsError,
  guardrailsFromEnv,
} from '../../functions/core/associations/guardrails.ts';
import { createAutomationApp } from '../../infra/automation-app.ts';
import {
  checkGuardrails,
  type GuardrailProps,
  guardrailsEnvironment,
  guardrailsFromContext,
} from '../../infra/guardrails.ts';
import {
  associationsFixtureStack,
  FIXTURE_ASSOCIATIONS_DIR,
  FIXTURE_FUNCTIONS_DIR,
  NO_BUNDLING,
  taskPolicyStatements,
  testAppProps,
  variablesOfTask,
} from './fixture-stack.ts';

const EVERY_SETTING: GuardrailProps = {
  deniedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess', 'arn:*:iam::*:policy/Admin*'],
  deniedActions: ['*', 'iam:*', 'sts:AssumeRole on *', { action: 'kms:*', resource: '*' }],
  enforcedPermissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/eks-pia-boundary',
  allowedRoleArnPatterns: ['arn:aws:iam::111122223333:role/apps/*'],
  assignableRoleTag: 'team/assignable=yes',
  allowedNamespaces: ['team-*', 'default'],
};

/** What the tasks make of EVERY_SETTING. */
const EVERY_SETTING_READ: GuardrailSettings = {
  deniedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess', 'arn:*:iam::*:policy/Admin*'],
  deniedActions: [
    { action: '*' },
    { action: 'iam:*' },
    { action: 'sts:AssumeRole', resource: '*' },
    { action: 'kms:*', resource: '*' },
  ],
  enforcedPermissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/eks-pia-boundary',
  allowedRoleArnPatterns: ['arn:aws:iam::111122223333:role/apps/*'],
  assignableRoleTag: { key: 'team/assignable', value: 'yes' },
  allowedNamespaces: ['team-*', 'default'],
};

describe('guardrailsEnvironment', () => {
  it('writes settings the tasks read back exactly as given', () => {
    const environment = guardrailsEnvironment(new Stack(), EVERY_SETTING);

    assert.deepEqual(guardrailsFromEnv(environment), EVERY_SETTING_READ);
  });

  it('sets nothing when no setting is given, leaving the tasks their defaults', () => {
    assert.deepEqual(guardrailsEnvironment(new Stack(), {}), {});
    assert.deepEqual(guardrailsEnvironment(new Stack(), { allowedNamespaces: undefined }), {});
  });
});

describe('guardrails in the stack', () => {
  const { stack } = associationsFixtureStack({ guardrails: EVERY_SETTING });

  it('gives them to load-association-request, which validates requests and reads them back unchanged', () => {
    const value = variablesOfTask(stack, 'load-association-request').GUARDRAILS;

    assert.equal(typeof value, 'string');
    assert.deepEqual(guardrailsFromEnv({ GUARDRAILS: value as string }), EVERY_SETTING_READ);
  });

  it('gives them to prepare-association-batch, which checks them again, and to no other task', () => {
    assert.deepEqual(
      guardrailsFromEnv({
        GUARDRAILS: variablesOfTask(stack, 'prepare-association-batch').GUARDRAILS as string,
      }),
      EVERY_SETTING_READ,
    );
    for (const task of [
      'apply-association-batch',
      'check-cluster-readiness',
      'get-associations',
      'plan-associations',
      'ensure-kubernetes-access',
      'report-associations',
    ]) {
      assert.equal(variablesOfTask(stack, task).GUARDRAILS, undefined, task);
    }
  });

  it('fails the synth on settings the tasks would refuse, naming the problem', () => {
    assert.throws(
      () =>
        associationsFixtureStack({
          guardrails: { enforcedPermissionsBoundaryArn: 'arn:aws:iam::111122223333:role/oops' },
        }),
      (error: unknown) =>
        error instanceof GuardrailSettingsError && /is not an IAM policy ARN/.test(error.message),
    );
    assert.throws(
      () => associationsFixtureStack({ guardrails: { deniedActions: ['iam:* on everything'] } }),
      GuardrailSettingsError,
    );
  });

  it('accepts a boundary known only at deploy time and passes it to the tasks and to IAM', () => {
    const deployed = 'arn:aws:iam::111122223333:policy/imported-boundary';
    const { stack: withToken } = associationsFixtureStack({
      guardrails: {
        enforcedPermissionsBoundaryArn: Fn.importValue('EksPiaBoundaryArn'),
        allowedNamespaces: ['team-*'],
      },
    });
    const variable = variablesOfTask(withToken, 'load-association-request').GUARDRAILS as {
      'Fn::Join': [string, unknown[]];
    };
    // What CloudFormation makes of the variable once the import resolves.
    const [separator, parts] = variable['Fn::Join'];
    const text = parts
      .map((part) => (typeof part === 'string' ? part : JSON.stringify(deployed).slice(1, -1)))
      .join(separator);

    assert.deepEqual(
      guardrailsFromEnv({ GUARDRAILS: text }).enforcedPermissionsBoundaryArn,
      deployed,
    );
    const createRole = taskPolicyStatements(withToken, 'apply-association-batch').find(
      (statement) => statement.Action.includes('iam:CreateRole'),
    );
    assert.deepEqual(createRole?.Condition, {
      StringEquals: { 'iam:PermissionsBoundary': { 'Fn::ImportValue': 'EksPiaBoundaryArn' } },
    });
  });

  it('checks settings without tokens only', () => {
    assert.doesNotThrow(() =>
      checkGuardrails({ enforcedPermissionsBoundaryArn: Fn.importValue('NotAnArnYet') }),
    );
    assert.throws(
      () => checkGuardrails({ enforcedPermissionsBoundaryArn: 'not-an-arn' }),
      GuardrailSettingsError,
    );
  });
});

describe('guardrails from CDK context', () => {
  function contextNode(value: unknown) {
    return new App({ context: { ...NO_BUNDLING.context, guardrails: value } }).node;
  }

  it('reads JSON text, as `cdk synth -c guardrails=...` passes it', () => {
    assert.deepEqual(
      guardrailsFromContext(contextNode(JSON.stringify(EVERY_SETTING))),
      EVERY_SETTING,
    );
  });

  it('reads an object, as cdk.json holds it', () => {
    assert.deepEqual(guardrailsFromContext(contextNode({ allowedNamespaces: ['team-*'] })), {
      allowedNamespaces: ['team-*'],
    });
  });

  it('reads nothing when the context is absent', () => {
    assert.equal(guardrailsFromContext(new App().node), undefined);
  });

  it('refuses text that is not JSON, an array, and unknown settings', () => {
    for (const value of ['{allowedNamespaces:', '["team-*"]', '{"allowedNamespace":["a"]}']) {
      assert.throws(
        () => guardrailsFromContext(contextNode(value)),
        (error: unknown) =>
          error instanceof GuardrailSettingsError && /^context "guardrails"/.test(error.message),
        value,
      );
    }
  });

  it('reaches the tasks through the app, unless stack props set guardrails', () => {
    const fromContext = createAutomationApp({
      appProps: {
        ...testAppProps(),
        context: { ...NO_BUNDLING.context, guardrails: '{"allowedNamespaces":["team-*"]}' },
      },
      stackProps: {
        functionsDir: FIXTURE_FUNCTIONS_DIR,
        stateMachinesDir: FIXTURE_ASSOCIATIONS_DIR,
      },
    });
    assert.match(
      JSON.stringify(variablesOfTask(fromContext.stack, 'load-association-request').GUARDRAILS),
      /allowedNamespaces.*team-\*/,
    );

    const fromProps = createAutomationApp({
      appProps: {
        ...testAppProps(),
        context: { ...NO_BUNDLING.context, guardrails: '{"allowedNamespaces":["team-*"]}' },
      },
      stackProps: {
        functionsDir: FIXTURE_FUNCTIONS_DIR,
        stateMachinesDir: FIXTURE_ASSOCIATIONS_DIR,
        guardrails: { allowedNamespaces: ['platform'] },
      },
    });
    const fromPropsValue = JSON.stringify(
      variablesOfTask(fromProps.stack, 'load-association-request').GUARDRAILS,
    );
    assert.match(fromPropsValue, /allowedNamespaces.*platform/);
    assert.doesNotMatch(fromPropsValue, /team-/);
  });
});

describe('guardrails enforced by IAM as well', () => {
  it('conditions role creation on the boundary from context', () => {
    const { stack } = createAutomationApp({
      appProps: {
        ...testAppProps(),
        context: {
          ...NO_BUNDLING.context,
          guardrails: {
            enforcedPermissionsBoundaryArn: EVERY_SETTING.enforcedPermissionsBoundaryArn,
          },
        },
      },
      stackProps: {
        functionsDir: FIXTURE_FUNCTIONS_DIR,
        stateMachinesDir: FIXTURE_ASSOCIATIONS_DIR,
      },
    });
    const createRole = taskPolicyStatements(stack, 'apply-association-batch').find((statement) =>
      statement.Action.includes('iam:CreateRole'),
    );

    assert.deepEqual(createRole?.Condition, {
      StringEquals: { 'iam:PermissionsBoundary': EVERY_SETTING.enforcedPermissionsBoundaryArn },
    });
  });
});
