/**
 * What Slack sends for a mention and for a pivot click, signed as Slack signs it, so tests drive Bolt's real HTTP
 * receiver (Events API: https://docs.slack.dev/apis/events-api/ — an `event_callback` envelope posted as JSON;
 * interactivity: `payload=<json>`).
 */
import { SIGNING_SECRET, type SlackBot } from './bot';
import { interactiveBody, signSlackRequest } from './slack-signing';

let events = 0;

export interface MentionFields {
  /** Message text as Slack delivers it: the bot's mention `<@U000BOT>` and entities (`&lt;`) included. */
  text: string;
  userId?: string;
  channelId?: string;
  /** The mention's own ts (the fake Slack must know it as a message when answers thread under it). */
  ts: string;
  /** Set when the mention is a reply in a thread. */
  threadTs?: string;
}

/** An `app_mention` event_callback (fields of Slack's app_mention event reference). */
export function appMentionEnvelope(f: MentionFields): Record<string, unknown> {
  events++;
  return {
    token: 'deprecated-verification-token',
    team_id: 'T000FAKE',
    api_app_id: 'A0TRAIL',
    type: 'event_callback',
    event_id: `Ev${String(events).padStart(8, '0')}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T000FAKE', user_id: 'U000BOT', is_bot: true }],
    event: {
      type: 'app_mention',
      user: f.userId ?? 'U0ASKER',
      text: f.text,
      ts: f.ts,
      channel: f.channelId ?? 'C0SECOPS',
      event_ts: f.ts,
      ...(f.threadTs ? { thread_ts: f.threadTs } : {}),
    },
  };
}

async function postSigned(bot: SlackBot, body: string, contentType: string): Promise<{ status: number; body: string }> {
  const signed = signSlackRequest(SIGNING_SECRET, body);
  const res = await fetch(bot.eventsUrl, {
    method: 'POST',
    headers: { ...signed.headers, 'content-type': contentType },
    body: signed.body,
  });
  return { status: res.status, body: await res.text() };
}

/** Slack's handshake when an events Request URL is saved: the app must answer with the challenge. */
export function urlVerification(bot: SlackBot, challenge: string): Promise<{ status: number; body: string }> {
  return postSigned(
    bot,
    JSON.stringify({ token: 'deprecated-verification-token', challenge, type: 'url_verification' }),
    'application/json',
  );
}

/** Delivers a mention to the bot as the Events API does; resolves to Bolt's HTTP answer. */
export function mention(bot: SlackBot, f: MentionFields): Promise<{ status: number; body: string }> {
  return postSigned(bot, JSON.stringify(appMentionEnvelope(f)), 'application/json');
}

/** The element a person clicked on a trailbot message: a button, or one option of an overflow menu. */
export type ClickedElement =
  | { type: 'button'; action_id: string; value: string }
  | { type: 'overflow'; action_id: string; value: string };

/** A `block_actions` payload for an element of a block (`block_id` as trailbot set it). */
export function elementClick(
  bot: SlackBot,
  f: { blockId: string; element: ClickedElement; userId?: string; channelId?: string; messageTs?: string },
): Promise<{ status: number; body: string }> {
  const channelId = f.channelId ?? 'C0SECOPS';
  const messageTs = f.messageTs ?? '1700000000.000100';
  const action =
    f.element.type === 'button'
      ? {
          type: 'button',
          action_id: f.element.action_id,
          value: f.element.value,
          text: { type: 'plain_text', text: 'b' },
        }
      : {
          type: 'overflow',
          action_id: f.element.action_id,
          selected_option: { text: { type: 'plain_text', text: 'o' }, value: f.element.value },
        };
  const payload = {
    type: 'block_actions',
    team: { id: 'T000FAKE', domain: 'fake' },
    user: { id: f.userId ?? 'U0ASKER', username: 'asker', team_id: 'T000FAKE' },
    api_app_id: 'A0TRAIL',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: messageTs, channel_id: channelId, is_ephemeral: false },
    trigger_id: `1337.44.${Math.random().toString(36).slice(2)}`,
    channel: { id: channelId, name: 'secops' },
    message: { type: 'message', ts: messageTs, text: 'trailbot message' },
    response_url: bot.fake.responseUrl(),
    actions: [{ ...action, block_id: f.blockId, action_ts: '1700000001.000200' }],
  };
  return postSigned(bot, interactiveBody(payload), 'application/x-www-form-urlencoded');
}
