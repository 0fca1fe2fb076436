/**
 * CloudWatch metrics in Embedded Metric Format (Powertools Metrics): one log line Lambda's log
 * group turns into a metric, no PutMetricData call or permission. The stack alarms on them.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  DRIFTED_ITEMS_METRIC,
  FAILED_ITEMS_METRIC,
  METRICS_NAMESPACE,
  WORKFLOW_DIMENSION,
} from '../core/metric-names.ts';
import { instanceCache } from './clients.ts';

/**
 * Publishes one count of a run at once, zero included, so the alarm sees every run. Built on
 * first use (the environment, POWERTOOLS_METRICS_DISABLED on a laptop, is read then), one per
 * Lambda instance.
 */
function publishCount(workflow: string, metricName: string, value: number): void {
  const metrics = instanceCache(
    'metrics',
    () => new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'eks-pod-identity-automation' }),
  );
  metrics.addDimension(WORKFLOW_DIMENSION, workflow);
  metrics.addMetric(metricName, MetricUnit.Count, value);
  metrics.publishStoredMetrics();
}

/** The run's failed items. */
export function recordFailedItems(workflow: string, failed: number): void {
  publishCount(workflow, FAILED_ITEMS_METRIC, failed);
}

/** The items a drift check found differing from their desired state. */
export function recordDriftedItems(workflow: string, drifted: number): void {
  publishCount(workflow, DRIFTED_ITEMS_METRIC, drifted);
}
