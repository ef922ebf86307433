/**
 * Settings for the chat surface: Slack when a bot token is set (Socket Mode with an app token, else HTTP), else the
 * terminal. Secrets (tokens, signing secret) are never echoed in messages.
 */
import { type EnvReader, setting } from './setting';
import type { ChatConfig } from './types';
import { dropUndefined, httpUrl, signingSecretSchema, slackToken, wholeNumber } from './values';

export const SLACK_BOT_TOKEN = setting(
  'SLACK_BOT_TOKEN',
  slackToken('xoxb-', 'the Bot User OAuth Token from OAuth & Permissions'),
  { unset: 'terminal', doc: '`xoxb-…` from OAuth & Permissions; setting it selects Slack' },
);
export const SLACK_SIGNING_SECRET = setting('SLACK_SIGNING_SECRET', signingSecretSchema, {
  unset: 'required with Slack over HTTP',
  doc: 'from Basic Information → App Credentials',
});
export const SLACK_APP_TOKEN = setting(
  'SLACK_APP_TOKEN',
  slackToken('xapp-', 'an app-level token with connections:write'),
  { unset: 'HTTP', doc: '`xapp-…` app-level token; setting it selects Socket Mode (no signing secret needed)' },
);
export const PORT = setting('PORT', wholeNumber(1, 65_535), {
  default: '3000',
  doc: "HTTP port for Slack's requests (ignored without Slack)",
});
export const SLACK_API_URL = setting('TRAIL_SLACK_API_URL', httpUrl, {
  unset: "Slack's",
  doc: "Slack Web API base URL, e.g. a local fake for the production image's start-up test",
});

export const CHAT_SETTINGS = [SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, PORT, SLACK_API_URL];

export function readChat(r: EnvReader): ChatConfig {
  if (!r.isSet(SLACK_BOT_TOKEN)) {
    for (const s of [SLACK_APP_TOKEN, SLACK_SIGNING_SECRET]) {
      if (r.isSet(s)) {
        r.problem(
          SLACK_BOT_TOKEN.name,
          `required when ${s.name} is set: the xoxb- token from OAuth & Permissions (without both, trailbot runs in the terminal)`,
        );
        break;
      }
    }
    return { kind: 'terminal' };
  }
  const botToken = r.optional(SLACK_BOT_TOKEN) ?? '';
  const appToken = r.optional(SLACK_APP_TOKEN);
  const signingSecret = r.optional(SLACK_SIGNING_SECRET);
  if (!r.isSet(SLACK_SIGNING_SECRET) && !r.isSet(SLACK_APP_TOKEN)) {
    r.problem(
      SLACK_SIGNING_SECRET.name,
      'required for Slack over HTTP (Basic Information → App Credentials), or set SLACK_APP_TOKEN (xapp-…) for Socket Mode',
    );
  }
  return dropUndefined({
    kind: 'slack' as const,
    botToken,
    signingSecret: signingSecret ?? '',
    appToken,
    port: r.get(PORT),
    apiUrl: r.optional(SLACK_API_URL),
  });
}
