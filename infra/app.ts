import { createAutomationApp } from './automation-app.ts';

// Environment-agnostic unless the CLI resolved an account and region from the caller's profile.
createAutomationApp({
  stackProps: {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  },
});
