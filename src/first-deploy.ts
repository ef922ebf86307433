import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { healthFile, resultsDirOf } from './health';

/**
 * What the CDK stack writes into each field of the Slack secret until the real tokens are put (infra/README.md,
 * "First deploy"). The stack imports it from here so the two cannot drift apart.
 */
export const SLACK_TOKEN_PLACEHOLDER = 'replace-me';

const SLACK_FIELDS = ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET'] as const;

/**
 * The Slack variables still holding the first deploy's placeholder, when the bot cannot start without them: the bot
 * token, or both the app token (Socket Mode) and the signing secret (HTTP). Empty when it can start.
 */
export function pendingSlackTokens(env: NodeJS.ProcessEnv): string[] {
  const pending = SLACK_FIELDS.filter((name) => env[name] === SLACK_TOKEN_PLACEHOLDER);
  const set = new Set<string>(pending);
  const blocked = set.has('SLACK_BOT_TOKEN') || (set.has('SLACK_APP_TOKEN') && set.has('SLACK_SIGNING_SECRET'));
  return blocked ? pending : [];
}

/** The environment without placeholder values: an unused route (the signing secret in Socket Mode) counts as unset. */
export function withoutPlaceholders(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!SLACK_FIELDS.some((name) => env[name] === SLACK_TOKEN_PLACEHOLDER)) return env;
  const copy = { ...env };
  for (const name of SLACK_FIELDS) if (copy[name] === SLACK_TOKEN_PLACEHOLDER) delete copy[name];
  return copy;
}

/**
 * The first deploy: the stack creates the secret with placeholders and starts the task at once. Exiting would fail
 * the task, the ECS deployment circuit breaker would roll the whole stack back, and nothing would be left to put the
 * tokens into. So the bot stays up, says once what to do, keeps its health file fresh (the health check passes) and
 * exits 0 on SIGTERM, when the service is restarted with the real tokens. ECS reads secrets only when a task starts
 * ("ECS injects sensitive data … when the container is initially started", Amazon ECS Developer Guide, "Pass
 * Secrets Manager secrets through Amazon ECS environment variables"), hence the restart.
 */
export async function waitForTokens(
  fields: string[],
  env: NodeJS.ProcessEnv,
  o: { heartbeatMs?: number; write?: (line: string) => void } = {},
): Promise<void> {
  // Healthy before anyone reads the line below: the health check passes from the first moment.
  const file = healthFile(resultsDirOf(env));
  const beat = async () => {
    await mkdir(path.dirname(file), { recursive: true }).catch(() => {});
    await writeFile(file, new Date().toISOString()).catch(() => {});
  };
  await beat();
  // Listen for the stop before saying we wait: whoever reads the line below may stop us at once.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  const write = o.write ?? ((line: string) => process.stderr.write(line));
  write(
    `${JSON.stringify({
      at: new Date().toISOString(),
      level: 'warn',
      message:
        `trailbot is waiting for its Slack tokens: ${fields.join(', ')} still hold the placeholder of the first ` +
        'deploy. Put the real values into the secret named by the stack output SlackSecretName ' +
        '(aws secretsmanager put-secret-value), then restart the service ' +
        '(aws ecs update-service --force-new-deployment). See infra/README.md, "First deploy".',
      waitingFor: fields,
    })}\n`,
  );
  const timer = setInterval(() => void beat(), o.heartbeatMs ?? 30_000);
  await stopped;
  clearInterval(timer);
  await rm(file, { force: true }).catch(() => {});
}
