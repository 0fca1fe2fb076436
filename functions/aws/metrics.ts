/**
 * CloudWatch metrics in Embedded Metric Format (Powertools Metrics): one log line Lambda's log
 * group turns into a metric, no PutMetricData call or permission. The stack alarms on them.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  FAILED_ITEMS_METRIC,
  METRICS_NAMESPACE,
  WORKFLOW_DIMENSION,
} from '../core/metric-names.ts';

let metrics: Metrics | undefined;

/**
 * Publishes the run's failed items at once, zero included, so the alarm sees every run. Built on
 * first use: the environment (POWERTOOLS_METRICS_DISABLED on a laptop) is read then.
 */
export function recordFailedItems(workflow: string, failed: number): void {
  metrics ??= new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: 'eks-pod-identity-automation',
  });
  metrics.addDimension(WORKFLOW_DIMENSION, workflow);
  metrics.addMetric(FAILED_ITEMS_METRIC, MetricUnit.Count, failed);
  metrics.publishStoredMetrics();
}
