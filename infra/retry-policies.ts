/**
 * The one retry policy of each kind of Task state. Every Task in state-machines/ carries exactly
 * the policy of its kind (test/infra/state-machine-policies.test.ts fails on drift), so a fix to
 * one error name reaches every state at once.
 */

import { NESTED_RUN_RESOURCE } from '../functions/core/workflow-files.ts';

/** A Retrier as ASL writes it. */
export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds: number;
  readonly MaxAttempts: number;
  readonly BackoffRate: number;
  readonly JitterStrategy: 'FULL' | 'NONE';
}

/**
 * A Lambda task: the throttling and server errors its AWS calls end with once the SDK's own
 * retries are spent (the names the services use: EKS, IAM, S3, STS, EventBridge, CloudFormation
 * and the Kubernetes API's 429), then the Lambda service errors AWS's best practice says to
 * retry.
 */
export const LAMBDA_TASK_RETRY: readonly Retrier[] = [
  {
    ErrorEquals: [
      'ThrottlingException',
      'Throttling',
      'TooManyRequests',
      'TooManyRequestsException',
      'ServerException',
      'ServiceUnavailableException',
      'ServiceFailure',
      'SlowDown',
      'InternalError',
      'Lambda.ClientExecutionTimeoutException',
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
    ],
    IntervalSeconds: 2,
    MaxAttempts: 5,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
];

/**
 * A nested run (`states:startExecution.sync:2`): failures carry the Step Functions API's error
 * names, which have no `Exception` suffix. Too many open executions drain slowly, so the waits are
 * long; StartExecution's own throttle refills within seconds.
 */
export const NESTED_RUN_RETRY: readonly Retrier[] = [
  {
    ErrorEquals: ['StepFunctions.ExecutionLimitExceeded'],
    IntervalSeconds: 30,
    MaxAttempts: 5,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
  {
    ErrorEquals: ['StepFunctions.ThrottlingException'],
    IntervalSeconds: 2,
    MaxAttempts: 5,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
];

/** The policy a Task state must carry, by its Resource (a Lambda placeholder or ARN, or a nested run). */
export function retryPolicyFor(resource: string): readonly Retrier[] {
  return NESTED_RUN_RESOURCE.test(resource) ? NESTED_RUN_RETRY : LAMBDA_TASK_RETRY;
}
