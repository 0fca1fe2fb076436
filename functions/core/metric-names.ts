/** Names of the metrics the tasks publish, shared with the alarms infra builds on them. */
export const METRICS_NAMESPACE = 'EksPodIdentityAutomation';
/** Items (associations, service accounts, roles) that a run reported as failed. */
export const FAILED_ITEMS_METRIC = 'FailedItems';
export const WORKFLOW_DIMENSION = 'Workflow';
