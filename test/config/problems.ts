import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/core/errors';

/** The problems loadConfig reports for `env`; fails the test when it does not throw a ConfigError. */
export function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

export const SLACK_HTTP = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99yyyzzz85a5' };
export const ATHENA = { TRAIL_ATHENA_DATABASE: 'cloudtrail', AWS_REGION: 'eu-central-1' };
