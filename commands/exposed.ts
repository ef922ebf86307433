import { detectionCommand } from './detections/command';
import { exposedFlags, exposedTarget } from './detections/exposed-flags';

/** `/trail exposed 24h`: resources made public or shared with another account. */
export const ExposedResources = detectionCommand({
  name: 'exposed',
  summary:
    'resources made public or shared with another account: EBS snapshots, AMIs, RDS snapshots, S3 bucket policies, ACLs and Block Public Access',
  examples: ['exposed 24h', 'exposed 7d', 'exposed yesterday'],
  template: 'exposed_resources',
  rules: exposedFlags,
  target: exposedTarget,
});
