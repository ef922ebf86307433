import { detectionCommand } from './detections/command';
import { tamperFlags, tamperTarget } from './detections/tamper-flags';

/** `/trail tamper 24h`: logging and defences turned off or narrowed (an attacker's first moves). */
export const TamperEvents = detectionCommand({
  name: 'tamper',
  summary:
    'logging and defences turned off or narrowed: CloudTrail stopped, deleted or narrowed, flow logs and DNS query logs deleted, GuardDuty / Security Hub / Config disabled, an account leaving the organization',
  examples: ['tamper 24h', 'tamper 7d', 'tamper yesterday'],
  template: 'tamper_events',
  rules: tamperFlags,
  target: tamperTarget,
});
