#!/usr/bin/env node
/**
 * CDK entry point: `cd infra && npx cdk synth -c trailBucket=… -c accounts=… -c regions=…` (see infra/README.md).
 * All settings come from CDK context; a bad or missing one stops synth with the list of what to fix.
 */
import { App } from 'aws-cdk-lib';
import { deploymentErrorMessage, readDeployment } from '../lib/context';
import { TrailbotStack } from '../lib/trailbot-stack';

/** Stack name; also the prefix of the Slack secret's name (`<stackName>/slack`). */
const STACK_NAME = 'Trailbot';

const app = new App();
try {
  new TrailbotStack(app, STACK_NAME, {
    deployment: readDeployment(app.node),
    description: 'trailbot: Slack app for CloudTrail forensics (Athena, DynamoDB, Fargate)',
  });
} catch (err) {
  const message = deploymentErrorMessage(err);
  if (message === undefined) throw err;
  console.error(message);
  process.exit(1);
}
