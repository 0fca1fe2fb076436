/**
 * The deployable stack built from the repository's real workflows and tasks (bundling skipped):
 * what each of the three workflows gets, and the IAM of the bootstrap and migration tasks.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import { GuardrailSettingsError } from '../../functions/core/associations/guardrails.ts';
import {
  MIGRATABLE_ROLES_ENV,
  migratableRolesFromEnv,
} from '../../functions/core/migration/migratable.ts';
import { kubernetesApiTasks, sharedTaskRoles } from '../../functions/core/task-descriptor.ts';
import { handlerEntry, listWorkflows } from '../../functions/core/workflow-files.ts';
import { createAutomationApp } from '../../infra/automation-app.ts';
import { FUNCTIONS_DIR, STATE_MACHINES_DIR } from '../../infra/paths.ts';
import { stateMachineArnOutput } from '../../infra/stack-outputs.ts';
import type { PodIdentityAutomationStackProps } from '../../infra/stacks/pod-identity-automation-stack.ts';
import {
  expectedLogGroupName,
  logicalIdOf,
  NO_BUNDLING,
  propertiesOf,
  type ResolvedStatement,
  taskPolicyStatements,
  testAppProps,
  variablesOfTask,
} from './fixture-stack.ts';

const WORKFLOWS = [
  'associations',
  'bootstrap-cluster',
  'drift-check',
  'ensure-addon',
  'fleet-associations',
  'fleet-migration',
  'migrate-to-pod-identity',
];
const ANY_CLUSTER = 'arn:aws:eks:eu-west-1:111122223333:cluster/*';
const ANY_ROLE = 'arn:aws:iam::111122223333:role/*';
const DEFAULT_BUS = 'arn:aws:events:eu-west-1:111122223333:event-bus/default';
const RUN_COMPLETED_ONLY = {
  StringEquals: {
    'events:source': 'eks-pod-identity-automation',
    'events:detail-type': 'Pod Identity Automation Run Completed',
  },
};

function realStack(props: PodIdentityAutomationStackProps = {}) {
  const { stack } = createAutomationApp({ appProps: testAppProps(), stackProps: props });
  return { stack, template: Template.fromStack(stack) };
}

function statementsWith(statements: ResolvedStatement[], action: string): ResolvedStatement[] {
  return statements.filter((statement) => statement.Action.includes(action));
}

function onlyStatementWith(statements: ResolvedStatement[], action: string): ResolvedStatement {
  const found = statementsWith(statements, action);
  assert.equal(found.length, 1, `one statement grants ${action}`);
  const [statement] = found;
  assert.ok(statement);
  return statement;
}

function actionsOf(statements: ResolvedStatement[]): string[] {
  return statements.flatMap((statement) => statement.Action);
}

/** Relative `.ts` imports of a module, as absolute paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/from '(\.{1,2}\/[^']+\.ts)'/g)].flatMap(([, target]) =>
    target === undefined ? [] : [path.resolve(path.dirname(file), target)],
  );
}

/** Whether a task's handler reaches `module` through its relative imports. */
function reaches(task: string, module: string): boolean {
  const seen = new Set<string>();
  const pending = [handlerEntry(FUNCTIONS_DIR, task)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (file === module) return true;
    if (seen.has(file)) continue;
    seen.add(file);
    pending.push(...importsOf(file));
  }
  return false;
}

describe('the deployable stack’s workflows', () => {
  const { stack, template } = realStack();

  it('deploys the five workflows and the ensure-addon workflow they nest', () => {
    assert.deepEqual(listWorkflows(STATE_MACHINES_DIR), WORKFLOWS);
    assert.deepEqual([...stack.workflows.keys()].sort(), WORKFLOWS);
  });

  for (const workflow of WORKFLOWS) {
    describe(workflow, () => {
      const built = stack.workflows.get(workflow);
      assert.ok(built);
      const machineId = logicalIdOf(built.stateMachine);

      it('logs every event with execution data to its own vended log group, with tracing', () => {
        template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
          StateMachineType: 'STANDARD',
          TracingConfiguration: { Enabled: true },
          LoggingConfiguration: {
            Level: 'ALL',
            IncludeExecutionData: true,
            Destinations: [
              {
                CloudWatchLogsLogGroup: {
                  LogGroupArn: { 'Fn::GetAtt': [logicalIdOf(built.logGroup), 'Arn'] },
                },
              },
            ],
          },
        });
        template.hasResourceProperties('AWS::Logs::LogGroup', {
          LogGroupName: expectedLogGroupName('EksPodIdentityAutomation', workflow),
        });
      });

      it('raises alarms on failed, timed-out, aborted and throttled executions', () => {
        const metrics = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
          .map((alarm) => alarm.Properties as { MetricName: string; Dimensions?: unknown })
          .filter(
            (alarm) =>
              JSON.stringify(alarm.Dimensions) ===
              JSON.stringify([{ Name: 'StateMachineArn', Value: { Ref: machineId } }]),
          )
          .map((alarm) => alarm.MetricName)
          .sort();

        assert.deepEqual(metrics, [
          'ExecutionThrottled',
          'ExecutionsAborted',
          'ExecutionsFailed',
          'ExecutionsTimedOut',
        ]);
      });

      it('outputs its ARN under the key the remote engine reads', () => {
        template.hasOutput(stateMachineArnOutput(workflow), { Value: { Ref: machineId } });
      });
    });
  }

  it('starts bootstrap-cluster on CreateCluster, and associations on config uploads', () => {
    const bootstrap = stack.workflows.get('bootstrap-cluster');
    const associations = stack.workflows.get('associations');
    assert.ok(bootstrap && associations);
    assert.ok(stack.clusterCreatedTrigger && stack.configUploadTrigger);

    const targetOf = (rule: Parameters<typeof logicalIdOf>[0]) =>
      propertiesOf<{ Targets: { Arn: unknown }[] }>(
        template,
        'AWS::Events::Rule',
        logicalIdOf(rule),
      ).Targets[0]?.Arn;
    assert.deepEqual(targetOf(stack.clusterCreatedTrigger.rule), {
      Ref: logicalIdOf(bootstrap.stateMachine),
    });
    assert.deepEqual(targetOf(stack.configUploadTrigger.rule), {
      Ref: logicalIdOf(associations.stateMachine),
    });
  });

  for (const [parent, children] of [
    ['bootstrap-cluster', ['associations', 'ensure-addon']],
    ['migrate-to-pod-identity', ['ensure-addon']],
    ['fleet-migration', ['migrate-to-pod-identity']],
    ['associations', []],
  ] as const) {
    it(`lets ${parent} start exactly the workflows it nests${children.length === 0 ? ' (none)' : `: ${children.join(', ')}`}`, () => {
      const machine = stack.workflows.get(parent)?.stateMachine;
      assert.ok(machine);
      const statements = Object.values(
        template.findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: logicalIdOf(machine.role) }] },
        }),
      ).flatMap(
        (policy) =>
          (policy.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } })
            .PolicyDocument.Statement,
      );
      const started = statements
        .filter((statement) => statement.Action === 'states:StartExecution')
        .map((statement) => statement.Resource);

      assert.deepEqual(
        started,
        children.map((child) => {
          const nested = stack.workflows.get(child);
          assert.ok(nested);
          return { Ref: logicalIdOf(nested.stateMachine) };
        }),
      );
    });
  }

  it('runs every task on Node 22, arm64', () => {
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
    });
  });

  it('grants no task a wildcard action', () => {
    for (const task of stack.taskFunctions.keys()) {
      assert.deepEqual(
        actionsOf(taskPolicyStatements(stack, task)).filter((action) => action.includes('*')),
        [],
        task,
      );
    }
  });

  it('lets only the report tasks put events, and only the run-completed event', () => {
    for (const task of stack.taskFunctions.keys()) {
      const puts = statementsWith(taskPolicyStatements(stack, task), 'events:PutEvents');
      if (!task.startsWith('report-')) {
        assert.deepEqual(puts, [], task);
        continue;
      }
      assert.deepEqual(
        puts,
        [
          {
            Effect: 'Allow',
            Action: ['events:PutEvents'],
            Resource: [DEFAULT_BUS],
            Condition: RUN_COMPLETED_ONLY,
          },
        ],
        task,
      );
      assert.equal(variablesOfTask(stack, task, template).EVENT_BUS_NAME, 'default', task);
    }
  });

  it('places in a VPC exactly the tasks whose handlers reach the Kubernetes client', () => {
    const kubernetes = path.join(FUNCTIONS_DIR, 'aws', 'kubernetes.ts');
    const calling = [...stack.taskFunctions.keys()].filter((task) => reaches(task, kubernetes));

    assert.deepEqual(calling.sort(), kubernetesApiTasks(FUNCTIONS_DIR));
  });

  it('runs each Kubernetes-calling task under the role its access entry is granted to', () => {
    const accessEntries = path.join(FUNCTIONS_DIR, 'aws', 'access-entries.ts');
    const granting = [...stack.taskFunctions.keys()].filter((task) => reaches(task, accessEntries));
    for (const task of kubernetesApiTasks(FUNCTIONS_DIR)) {
      const role = stack.taskFunctions.get(task)?.taskRole;
      const sharedWith = granting.filter(
        (granter) => stack.taskFunctions.get(granter)?.taskRole === role,
      );
      assert.equal(sharedWith.length, 1, `${task} shares its role with one access-entry task`);
    }
    for (const [group, tasks] of Object.entries(sharedTaskRoles(FUNCTIONS_DIR))) {
      const roles = new Set(tasks.map((task) => stack.taskFunctions.get(task)?.taskRole));
      assert.equal(roles.size, 1, group);
    }
  });
});

describe('the bootstrap-cluster tasks’ permissions', () => {
  const { stack } = realStack();
  const bucketId = logicalIdOf(stack.configBucket.bucket);
  const objects = (prefix: string) => `<${bucketId}.Arn>/${prefix}*`;

  it('read-cluster-event calls no AWS API', () => {
    assert.deepEqual(taskPolicyStatements(stack, 'read-cluster-event'), []);
  });

  it('poll-cluster-status only describes clusters', () => {
    assert.deepEqual(taskPolicyStatements(stack, 'poll-cluster-status'), [
      { Effect: 'Allow', Action: ['eks:DescribeCluster'], Resource: [ANY_CLUSTER] },
    ]);
  });

  it('find-cluster-config lists and reads only clusters/, defaults/ and fleet/, and writes only run documents', () => {
    const statements = taskPolicyStatements(stack, 'find-cluster-config');

    assert.deepEqual(onlyStatementWith(statements, 's3:ListBucket'), {
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [`<${bucketId}.Arn>`],
      Condition: { StringLike: { 's3:prefix': ['clusters/*', 'defaults/*', 'fleet/*'] } },
    });
    assert.deepEqual(onlyStatementWith(statements, 's3:GetObject').Resource, [
      objects('clusters/'),
      objects('defaults/'),
      objects('fleet/'),
    ]);
    assert.deepEqual(onlyStatementWith(statements, 's3:PutObject').Resource, [objects('runs/')]);
    assert.deepEqual(
      actionsOf(statements).filter((action) => !action.startsWith('s3:')),
      [],
    );
  });

  it('lets the nested associations run read the config the bootstrap run handed over', () => {
    const reads = statementsWith(
      taskPolicyStatements(stack, 'read-association-config'),
      's3:GetObject',
    );

    assert.ok(
      reads.some((statement) =>
        statement.Resource.includes(`<${bucketId}.Arn>/runs/*/cluster-config.json`),
      ),
    );
  });
});

describe('the fleet-associations tasks’ permissions', () => {
  const { stack, template } = realStack();

  it('select-fleet-clusters only lists and describes clusters', () => {
    assert.deepEqual(taskPolicyStatements(stack, 'select-fleet-clusters'), [
      { Effect: 'Allow', Action: ['eks:ListClusters'], Resource: ['*'] },
      { Effect: 'Allow', Action: ['eks:DescribeCluster'], Resource: [ANY_CLUSTER] },
    ]);
  });

  it('read-fleet-config and prepare-fleet-configs call nothing but S3', () => {
    for (const task of ['read-fleet-config', 'prepare-fleet-configs']) {
      assert.deepEqual(
        actionsOf(taskPolicyStatements(stack, task)).filter((action) => !action.startsWith('s3:')),
        [],
        task,
      );
    }
  });

  // ListBucket (on runs/ only) makes a cluster without an outcome read as missing, not as denied.
  it('fleet-migration reads its input with no permission; the Map reports and the outcome records touch only run documents and the event', () => {
    assert.deepEqual(taskPolicyStatements(stack, 'read-fleet-migration-input'), []);
    for (const task of ['report-fleet', 'report-fleet-migration', 'report-drift']) {
      assert.deepEqual(
        [...new Set(actionsOf(taskPolicyStatements(stack, task)))].sort(),
        ['events:PutEvents', 's3:GetObject', 's3:ListBucket', 's3:PutObject'],
        task,
      );
    }
    assert.deepEqual(actionsOf(taskPolicyStatements(stack, 'record-cluster-outcome')), [
      's3:PutObject',
    ]);
  });

  it('starts a fleet run for a config uploaded under fleet/ only', () => {
    const fleetRuns = stack.workflows.get('fleet-associations')?.stateMachine;
    assert.ok(fleetRuns);
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter((rule) =>
      JSON.stringify(rule).includes(logicalIdOf(fleetRuns)),
    );
    assert.equal(rules.length, 1);
    assert.deepEqual(rules[0]?.Properties.EventPattern.detail.object, {
      key: [{ prefix: 'fleet/' }],
    });
  });
});

describe('the drift check', () => {
  const { stack, template } = realStack();
  const bucketId = logicalIdOf(stack.configBucket.bucket);
  const desired = `<${bucketId}.Arn>/desired/*`;

  it('lists and reads desired states and describes clusters, and nothing else', () => {
    const statements = taskPolicyStatements(stack, 'list-desired-clusters');
    assert.deepEqual(onlyStatementWith(statements, 's3:ListBucket').Condition, {
      StringLike: { 's3:prefix': ['desired/*'] },
    });
    assert.deepEqual(onlyStatementWith(statements, 's3:GetObject').Resource, [desired]);
    assert.deepEqual(actionsOf(statements).sort(), [
      'eks:DescribeCluster',
      's3:GetObject',
      's3:ListBucket',
    ]);
  });

  it('lets only record-desired-state write a desired state', () => {
    const writers = [...stack.taskFunctions.keys()].filter((task) =>
      statementsWith(taskPolicyStatements(stack, task), 's3:PutObject').some((statement) =>
        statement.Resource.includes(desired),
      ),
    );
    assert.deepEqual(writers, ['record-desired-state']);
  });

  it('runs daily without heal, and alarms on drifted items', () => {
    const driftChecks = stack.workflows.get('drift-check')?.stateMachine;
    assert.ok(driftChecks);
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));
    assert.equal(schedules.length, 1);
    assert.equal(schedules[0]?.Properties.ScheduleExpression, 'rate(1 day)');
    assert.equal(schedules[0]?.Properties.Target.Input, JSON.stringify({ heal: false }));
    assert.deepEqual(schedules[0]?.Properties.Target.Arn, { Ref: logicalIdOf(driftChecks) });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DriftedItems',
      Dimensions: [{ Name: 'Workflow', Value: 'drift-check' }],
    });
  });

  it('takes its schedule and heal from the stack props, or no schedule when off', () => {
    const healing = realStack({ driftCheckSchedule: 'cron(0 3 * * ? *)', healDrift: true });
    const [schedule] = Object.values(healing.template.findResources('AWS::Scheduler::Schedule'));
    assert.equal(schedule?.Properties.ScheduleExpression, 'cron(0 3 * * ? *)');
    assert.equal(schedule?.Properties.Target.Input, JSON.stringify({ heal: true }));
    const off = realStack({ driftCheckSchedule: 'off' });
    assert.deepEqual(off.template.findResources('AWS::Scheduler::Schedule'), {});
  });

  it('takes them from CDK context as -c passes them (text), or no schedule when off', () => {
    const fromContext = (settings: Record<string, string>) =>
      Template.fromStack(
        createAutomationApp({
          appProps: {
            ...testAppProps(),
            context: { ...NO_BUNDLING.context, workflows: 'drift-check', ...settings },
          },
        }).stack,
      ).findResources('AWS::Scheduler::Schedule');
    const [schedule] = Object.values(
      fromContext({ driftCheckSchedule: 'rate(6 hours)', healDrift: 'true' }),
    );
    assert.equal(schedule?.Properties.ScheduleExpression, 'rate(6 hours)');
    assert.equal(schedule?.Properties.Target.Input, JSON.stringify({ heal: true }));
    assert.deepEqual(fromContext({ driftCheckSchedule: 'off' }), {});
  });
});

describe('the migrate-to-pod-identity tasks’ permissions', () => {
  const { stack } = realStack();

  it('load-migration-request calls no AWS API', () => {
    assert.deepEqual(taskPolicyStatements(stack, 'load-migration-request'), []);
  });

  it('find-oidc-provider only lists the OIDC providers', () => {
    assert.deepEqual(taskPolicyStatements(stack, 'find-oidc-provider'), [
      { Effect: 'Allow', Action: ['iam:ListOpenIDConnectProviders'], Resource: ['*'] },
    ]);
  });

  it('ensure-migration-access creates an access entry for its own role only, with the view or edit policy', () => {
    const statements = taskPolicyStatements(stack, 'ensure-migration-access');
    const role = stack.taskFunctions.get('ensure-migration-access')?.taskRole;
    assert.ok(role);
    const roleId = logicalIdOf(role);

    assert.deepEqual(onlyStatementWith(statements, 'eks:CreateAccessEntry').Condition, {
      StringEquals: { 'eks:principalArn': { 'Fn::GetAtt': [roleId, 'Arn'] } },
    });
    assert.deepEqual(onlyStatementWith(statements, 'eks:AssociateAccessPolicy'), {
      Effect: 'Allow',
      Action: ['eks:AssociateAccessPolicy'],
      Resource: [
        `arn:aws:eks:eu-west-1:111122223333:access-entry/*/role/111122223333/<${roleId}>/*`,
      ],
      Condition: {
        StringEquals: {
          'eks:policyArn': [
            'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy',
            'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy',
          ],
        },
      },
    });
  });

  it('discover-irsa only reads: IAM, CloudFormation, EKS, and writes its plan', () => {
    const statements = taskPolicyStatements(stack, 'discover-irsa');
    const actions = actionsOf(statements);

    assert.deepEqual(
      actions.filter(
        (action) =>
          !/^(iam:(Get|List)|cloudformation:(Describe|List)|eks:(Describe|List)|s3:PutObject$)/.test(
            action,
          ),
      ),
      [],
    );
    assert.deepEqual(onlyStatementWith(statements, 'iam:ListRoles'), {
      Effect: 'Allow',
      Action: [
        'iam:ListRoles',
        'iam:GetAccountSummary',
        'cloudformation:DescribeStacks',
        'eks:DescribeAddonConfiguration',
      ],
      Resource: ['*'],
    });
    assert.deepEqual(onlyStatementWith(statements, 'iam:GetRole').Resource, [ANY_ROLE]);
  });

  for (const task of ['add-pod-identity-trust', 'remove-oidc-trust']) {
    it(`${task} edits trust policies only of eksctl IRSA roles and opted-in roles by default, the rest of IAM only through eksctl's stacks`, () => {
      const statements = taskPolicyStatements(stack, task);

      // Only through CloudFormation, and only on eksctl's IRSA roles (tagged by their stack).
      const viaStack = onlyStatementWith(statements, 'iam:TagRole');
      assert.deepEqual(viaStack.Condition, {
        'ForAnyValue:StringEquals': { 'aws:CalledVia': 'cloudformation.amazonaws.com' },
        StringLike: { 'iam:ResourceTag/alpha.eksctl.io/iamserviceaccount-name': '*' },
      });
      assert.deepEqual(
        statementsWith(statements, 'iam:UpdateAssumeRolePolicy').filter(
          (statement) => statement !== viaStack,
        ),
        [
          {
            Effect: 'Allow',
            Action: ['iam:UpdateAssumeRolePolicy'],
            Resource: [ANY_ROLE],
            Condition: {
              StringLike: { 'iam:ResourceTag/alpha.eksctl.io/iamserviceaccount-name': '*' },
            },
          },
          {
            Effect: 'Allow',
            Action: ['iam:UpdateAssumeRolePolicy'],
            Resource: [ANY_ROLE],
            Condition: { StringLike: { 'iam:ResourceTag/eks-pia/assignable': 'true' } },
          },
        ],
      );
      assert.deepEqual(
        [
          ...new Set(
            actionsOf(statements.filter((statement) => statement !== viaStack)).filter((action) =>
              action.startsWith('iam:'),
            ),
          ),
        ],
        ['iam:GetRole', 'iam:UpdateAssumeRolePolicy'],
      );
      const changeSets = onlyStatementWith(statements, 'cloudformation:ExecuteChangeSet');
      const resources = JSON.stringify(changeSets.Resource);
      assert.match(resources, /stack\/eksctl-\*-addon-iamserviceaccount-\*\/\*/);
      assert.match(resources, /changeSet\/eks-pia-\*\/\*/);
      assert.doesNotMatch(resources, /stack\/\*/);
    });
  }

  it('create-migration-associations passes roles to EKS Pod Identity only', () => {
    const statements = taskPolicyStatements(stack, 'create-migration-associations');

    const passes = statementsWith(statements, 'iam:PassRole');
    assert.equal(passes.length, 2);
    for (const statement of passes) {
      assert.deepEqual(statement.Condition?.StringEquals, {
        'iam:PassedToService': 'pods.eks.amazonaws.com',
      });
      assert.ok(statement.Condition?.StringLike, 'only roles carrying a tag');
    }
    assert.deepEqual(onlyStatementWith(statements, 'eks:CreatePodIdentityAssociation').Resource, [
      ANY_CLUSTER,
    ]);
  });

  it('remove-irsa-annotations calls no IAM API', () => {
    assert.deepEqual(
      actionsOf(taskPolicyStatements(stack, 'remove-irsa-annotations')).filter((action) =>
        action.startsWith('iam:'),
      ),
      [],
    );
  });
});

describe('migratable roles', () => {
  const PATTERNS = ['arn:aws:iam::111122223333:role/irsa/*'];
  const migrationIam = (props: PodIdentityAutomationStackProps) => {
    const { stack } = realStack(props);
    return {
      trust: onlyStatementWith(
        taskPolicyStatements(stack, 'add-pod-identity-trust'),
        'iam:UpdateAssumeRolePolicy',
      ).Resource,
      pass: onlyStatementWith(
        taskPolicyStatements(stack, 'create-migration-associations'),
        'iam:PassRole',
      ).Resource,
    };
  };

  it('narrows trust edits and passing to migratableRoleArnPatterns', () => {
    assert.deepEqual(migrationIam({ migratableRoleArnPatterns: PATTERNS }), {
      trust: PATTERNS,
      pass: PATTERNS,
    });
  });

  it('tells the plan step the patterns, so the plan leaves out what IAM would refuse', () => {
    const { stack } = realStack({ migratableRoleArnPatterns: PATTERNS });
    const variables = variablesOfTask(stack, 'discover-irsa');
    assert.deepEqual(
      migratableRolesFromEnv({ [MIGRATABLE_ROLES_ENV]: variables[MIGRATABLE_ROLES_ENV] as string }),
      PATTERNS,
    );
    const { stack: unset } = realStack();
    assert.equal(variablesOfTask(unset, 'discover-irsa')[MIGRATABLE_ROLES_ENV], undefined);
  });

  it('defaults to the guardrails’ allowed role patterns, besides the tagged roles', () => {
    const { stack } = realStack({ guardrails: { allowedRoleArnPatterns: PATTERNS } });
    assert.deepEqual(
      statementsWith(
        taskPolicyStatements(stack, 'add-pod-identity-trust'),
        'iam:UpdateAssumeRolePolicy',
      )[0]?.Resource,
      PATTERNS,
    );
  });

  it('reads the patterns from context, as `cdk deploy -c migratableRoleArnPatterns=...` passes them', () => {
    const { stack } = createAutomationApp({
      appProps: {
        ...testAppProps(),
        context: { ...NO_BUNDLING.context, migratableRoleArnPatterns: JSON.stringify(PATTERNS) },
      },
    });

    assert.deepEqual(
      onlyStatementWith(
        taskPolicyStatements(stack, 'remove-oidc-trust'),
        'iam:UpdateAssumeRolePolicy',
      ).Resource,
      PATTERNS,
    );
  });

  it('refuses context that is not a list of role ARN patterns', () => {
    for (const value of ['role/*', '[]', '["arn:aws:s3:::bucket/*"]', '{"a":1}']) {
      assert.throws(
        () =>
          createAutomationApp({
            appProps: {
              ...testAppProps(),
              context: { ...NO_BUNDLING.context, migratableRoleArnPatterns: value },
            },
          }),
        (error: unknown) =>
          error instanceof GuardrailSettingsError &&
          /must be a JSON list of role ARN patterns/.test(error.message),
        value,
      );
    }
  });

  it('still synthesises cdk-nag clean when narrowed', () => {
    const appProps = testAppProps();
    const { app } = createAutomationApp({
      appProps,
      stackProps: { migratableRoleArnPatterns: PATTERNS },
    });

    let error: unknown;
    try {
      app.synth();
    } catch (caught) {
      error = caught;
    }
    const report = readFileSync(path.join(appProps.outdir ?? '', 'validation-report.json'), 'utf8');
    assert.equal(error, undefined, report);
  });
});

describe('alarms and their notifications', () => {
  const { stack, template } = realStack({ alarmEmail: 'ops@example.com' });

  it('sends every alarm of the stack to the one alarm topic', () => {
    const topic = logicalIdOf(stack.alarmTopic);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    assert.ok(alarms.length > 10);
    for (const alarm of alarms) {
      assert.deepEqual(alarm.Properties.AlarmActions, [{ Ref: topic }]);
    }
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topic },
    });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topic } });
  });

  it('alarms when a run of associations or migrate-to-pod-identity reports a failed item', () => {
    for (const workflow of ['associations', 'migrate-to-pod-identity']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'EksPodIdentityAutomation',
        MetricName: 'FailedItems',
        Dimensions: [{ Name: 'Workflow', Value: workflow }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('subscribes no address unless one is set', () => {
    Template.fromStack(realStack().stack).resourceCountIs('AWS::SNS::Subscription', 0);
  });
});
