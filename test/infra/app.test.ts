import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { createAutomationApp, STACK_NAME } from '../../infra/automation-app.ts';
import { StackNameError } from '../../infra/errors.ts';
import { GRANTS } from '../../infra/grants.ts';
import type { GrantTable } from '../../infra/task-permissions.ts';
import {
  expectedLogGroupName,
  FIXTURE_STACK_PROPS,
  NO_BUNDLING,
  testAppProps,
} from './fixture-stack.ts';

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

/** Synthesises the app (cdk-nag included) on the fixtures; returns the error and the report. */
function synthWithNag(grants: GrantTable = GRANTS): {
  error: unknown;
  report: ValidationReport;
} {
  const appProps = testAppProps();
  const { app } = createAutomationApp({
    appProps,
    stackProps: { ...FIXTURE_STACK_PROPS, grants },
  });
  let error: unknown;
  try {
    app.synth();
  } catch (caught) {
    error = caught;
  }
  const reportFile = path.join(appProps.outdir ?? '', 'validation-report.json');
  return { error, report: JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport };
}

function violations(report: ValidationReport): { rule: string; path: string }[] {
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs.map((construct) => ({
        rule: violation.ruleName,
        path: construct.constructPath,
      })),
    ),
  );
}

describe('the app checked by cdk-nag AwsSolutions', () => {
  it('synthesises the fixture workflows with every finding acknowledged', () => {
    const { error, report } = synthWithNag();

    assert.equal(error, undefined);
    assert.deepEqual(violations(report), []);
  });

  it('fails on a task wildcard that its grant does not acknowledge', () => {
    const describeClusters = GRANTS['describe-clusters'];
    assert.ok(describeClusters);
    const { error, report } = synthWithNag({
      ...GRANTS,
      'describe-clusters': {
        ...describeClusters,
        build: (context) => ({ statements: describeClusters.build(context).statements }),
      },
    });

    assert.match(String(error), /Validation failed/);
    assert.deepEqual(violations(report), [
      {
        rule: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:eks:<AWS::Region>:<AWS::AccountId>:cluster/*]',
        path: `${STACK_NAME}/LookupClusterFunction/TaskPolicy/Resource`,
      },
    ]);
  });

  it('does not let the X-Ray acknowledgement on the role cover a task’s own Resource::*', () => {
    const { error, report } = synthWithNag({
      ...GRANTS,
      'describe-clusters': {
        summary: 'lists clusters',
        build: () => ({
          statements: [
            new iam.PolicyStatement({ actions: ['eks:ListClusters'], resources: ['*'] }),
          ],
        }),
      },
    });

    assert.match(String(error), /Validation failed/);
    assert.deepEqual(violations(report), [
      {
        rule: 'AwsSolutions-IAM5[Resource::*]',
        path: `${STACK_NAME}/LookupClusterFunction/TaskPolicy/Resource`,
      },
    ]);
  });
});

describe('the app in a pinned environment', () => {
  it('still matches every acknowledgement, now that ARNs carry the account and region', () => {
    const appProps = testAppProps();
    const { app } = createAutomationApp({
      appProps,
      stackProps: { ...FIXTURE_STACK_PROPS, env: { account: '111122223333', region: 'eu-west-1' } },
    });

    assert.doesNotThrow(() => app.synth());
  });
});

describe('choosing workflows with -c workflows=...', () => {
  it('deploys only the named workflows and what they nest', () => {
    const { stack } = createAutomationApp({
      appProps: { ...testAppProps(), context: { ...NO_BUNDLING.context, workflows: 'child' } },
      stackProps: { ...FIXTURE_STACK_PROPS },
    });

    assert.deepEqual([...stack.workflows.keys()], ['child']);
  });

  it('deploys nothing when the list is empty', () => {
    const { stack } = createAutomationApp({
      appProps: { ...testAppProps(), context: { ...NO_BUNDLING.context, workflows: '' } },
      stackProps: { ...FIXTURE_STACK_PROPS },
    });

    assert.equal(stack.workflows.size, 0);
  });
});

describe('naming the stack with -c stackName=...', () => {
  it('deploys under that name, with log groups named after it', () => {
    const { stack } = createAutomationApp({
      appProps: {
        ...testAppProps(),
        context: { ...NO_BUNDLING.context, stackName: 'pod-identity-prod' },
      },
      stackProps: { ...FIXTURE_STACK_PROPS },
    });

    assert.equal(stack.stackName, 'pod-identity-prod');
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: expectedLogGroupName('pod-identity-prod', 'child'),
    });
  });

  it('uses EksPodIdentityAutomation, the remote engine’s default, without it', () => {
    const { stack } = createAutomationApp({
      appProps: testAppProps(),
      stackProps: { ...FIXTURE_STACK_PROPS },
    });

    assert.equal(stack.stackName, STACK_NAME);
    assert.equal(STACK_NAME, 'EksPodIdentityAutomation');
  });

  it('refuses a name CloudFormation would refuse', () => {
    assert.throws(
      () =>
        createAutomationApp({
          appProps: {
            ...testAppProps(),
            context: { ...NO_BUNDLING.context, stackName: 'pod_identity' },
          },
          stackProps: { ...FIXTURE_STACK_PROPS },
        }),
      (error: unknown) => error instanceof StackNameError && /stack name/.test(error.message),
    );
  });
});
