/**
 * The event every workflow puts on EventBridge when it finishes (functions/aws/events.ts sends it;
 * the stack grants and routes it by these names), so other automation (alerts, audit, chat
 * notifications) can react without polling Step Functions.
 */

export const EVENT_SOURCE = 'eks-pod-identity-automation';
export const RUN_COMPLETED = 'Pod Identity Automation Run Completed';
