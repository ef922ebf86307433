import { detectionCommand } from './detections/command';
import { iamFlags, iamTarget } from './detections/iam-flags';

/** `/trail iam 7d`: persistence through IAM (new users, keys, passwords and roles, admin policies, outside trusts). */
export const IamPersistence = detectionCommand({
  name: 'iam',
  summary:
    'persistence through IAM: users, access keys, console passwords and roles created, admin policies attached, trust policies opened to another account',
  examples: ['iam 24h', 'iam 7d', 'iam today'],
  template: 'iam_persistence',
  rules: iamFlags,
  target: iamTarget,
});
