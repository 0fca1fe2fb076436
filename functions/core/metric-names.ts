/** Names of the metrics the tasks publish, shared with the alarms infra builds on them. */
export const METRICS_NAMESPACE = 'EksPodIdentityAutomation';
/** Items (associations, service accounts, roles) that a run reported as failed. */
export const FAILED_ITEMS_METRIC = 'FailedItems';
/** Items a drift check found differing from their cluster's desired state, healed or not. */
export const DRIFTED_ITEMS_METRIC = 'DriftedItems';
export const WORKFLOW_DIMENSION = 'Workflow';
