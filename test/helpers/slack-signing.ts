/**
 * Builds requests exactly as Slack sends them to an HTTP Request URL, so tests drive Bolt's real receiver:
 * form-encoded bodies signed with `v0=HMAC-SHA256(signing secret, "v0:{timestamp}:{raw body}")` in
 * `X-Slack-Signature`, plus `X-Slack-Request-Timestamp` (Slack docs,
 * "Verifying requests from Slack").
 */
import { createHmac } from 'node:crypto';

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/** Signs a raw body. `timestamp` is epoch seconds (default now); pass an old one to test the 5-minute staleness rule. */
export function signSlackRequest(
  signingSecret: string,
  body: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): SignedRequest {
  const signature = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex');
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': `v0=${signature}`,
    },
  };
}

export interface SlashCommandFields {
  text: string;
  command?: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  channelName?: string;
  teamId?: string;
  teamDomain?: string;
  apiAppId?: string;
  responseUrl?: string;
  triggerId?: string;
}

/**
 * Slack gives every invocation its own trigger_id, so no two real requests have the same body; the defaults follow
 * suit, or two identical commands signed in the same second would be one replayed request (src/surfaces/slack/
 * replay-guard.ts).
 */
let triggers = 0;
const nextTriggerId = (kind: number) => `1337.${kind}.${(++triggers).toString(36)}`;

/** A slash-command body as Slack posts it (fields per Bolt's `SlashCommand`; `token` is deprecated and left out). */
export function slashCommandBody(f: SlashCommandFields): string {
  return new URLSearchParams({
    command: f.command ?? '/trail',
    text: f.text,
    response_url: f.responseUrl ?? 'https://hooks.slack.com/commands/T000FAKE/1/abc',
    trigger_id: f.triggerId ?? nextTriggerId(42),
    user_id: f.userId ?? 'U0ASKER',
    user_name: f.userName ?? 'asker',
    team_id: f.teamId ?? 'T000FAKE',
    team_domain: f.teamDomain ?? 'fake',
    channel_id: f.channelId ?? 'C0SECOPS',
    channel_name: f.channelName ?? 'secops',
    api_app_id: f.apiAppId ?? 'A0TRAIL',
  }).toString();
}

export interface BlockActionFields {
  actionId: string;
  value: string;
  userId?: string;
  channelId?: string;
  /** ts of the message the button is on (a thread reply or the parent). */
  messageTs?: string;
  responseUrl?: string;
  teamId?: string;
  apiAppId?: string;
  triggerId?: string;
}

/** The JSON of a `block_actions` payload for one button click (trimmed to what Bolt and trailbot read). */
export function blockActionPayload(f: BlockActionFields): Record<string, unknown> {
  const messageTs = f.messageTs ?? '1700000000.000100';
  return {
    type: 'block_actions',
    team: { id: f.teamId ?? 'T000FAKE', domain: 'fake' },
    user: { id: f.userId ?? 'U0ASKER', username: 'asker', team_id: f.teamId ?? 'T000FAKE' },
    api_app_id: f.apiAppId ?? 'A0TRAIL',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: messageTs, channel_id: f.channelId ?? 'C0SECOPS', is_ephemeral: false },
    trigger_id: f.triggerId ?? nextTriggerId(43),
    channel: { id: f.channelId ?? 'C0SECOPS', name: 'secops' },
    message: { type: 'message', ts: messageTs, text: 'trailbot message' },
    response_url: f.responseUrl ?? 'https://hooks.slack.com/actions/T000FAKE/1/abc',
    actions: [
      {
        type: 'button',
        action_id: f.actionId,
        block_id: 'trail_actions',
        text: { type: 'plain_text', text: 'Button' },
        value: f.value,
        action_ts: '1700000001.000200',
      },
    ],
  };
}

/** Interactive payloads arrive as a form with one field, `payload=<json>`. */
export function interactiveBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
