/**
 * `@trailbot sg sg-5887f224 12h` (issue 17 item 1). Slack does not offer slash commands inside threads, and incident
 * channels work in threads, so a mention is the way to ask there. It goes through the same front door as `/trail`
 * (parse, policy, per-thread dedupe, limits, audit); the answer is a reply in the mention's thread, or in a new thread
 * under the mention when it was posted at top level.
 *
 * Events API facts (https://docs.slack.dev/reference/events/app_mention): the event carries `text` with the bot's own
 * mention as `<@U…>`, `ts`, and `thread_ts` only when the mention is a reply. It has no response_url, so what only
 * the asker should see goes through chat.postEphemeral with `thread_ts`, which shows it in that thread.
 */
import type { WebClient } from '@slack/web-api';
import { userMessageOf } from '../../core/errors';
import type { Dispatcher, Prepared } from '../../core/input';
import { mentionText } from './command-text';
import { truncate } from './escape';
import type { FollowUps } from './follow-ups';
import type { TrailLogger } from './logger';

/** What an `app_mention` event gives the listener (Bolt's AppMentionEvent, the fields trailbot reads). */
export interface MentionEvent {
  text: string;
  user?: string;
  channel: string;
  ts: string;
  thread_ts?: string;
  bot_id?: string;
}

/** Handles one mention: prepare (no I/O), say what needs saying to the asker in the thread, run the slow part. */
export async function answerMention(
  event: MentionEvent,
  botUserId: string | undefined,
  deps: { dispatcher: Dispatcher; client: WebClient; log: TrailLogger; followUps?: FollowUps },
): Promise<void> {
  const { dispatcher, client, log } = deps;
  // Another bot's message (or our own, which Bolt already drops) is not a question.
  if (event.user === undefined || event.bot_id !== undefined) return;
  const userId = event.user;
  const threadTs = event.thread_ts ?? event.ts;
  const tell = async (text: string): Promise<void> => {
    try {
      await client.chat.postEphemeral({
        channel: event.channel,
        user: userId,
        thread_ts: threadTs,
        text: truncate(text, 3000),
      });
    } catch (err) {
      // Ephemerals fail where the bot is not in the channel; the log keeps what the asker could not be told.
      log.warn(`could not answer a mention privately in ${event.channel}`, err);
    }
  };
  let prepared: Prepared;
  try {
    prepared = dispatcher.prepare({
      text: mentionText(event.text, botUserId),
      userId,
      channelId: event.channel,
      surface: 'slack',
      threadTs,
    });
  } catch (err) {
    log.error('mention: prepare failed', err);
    await tell(userMessageOf(err));
    return;
  }
  if (prepared.kind === 'reply') {
    await tell(prepared.text);
    return;
  }
  if (prepared.ackText !== undefined) await tell(prepared.ackText);
  // As for a slash command (follow-ups.ts): the slow part waits while other requests are owed their ack.
  if (deps.followUps) await deps.followUps.quiet();
  await prepared.run().catch((err: unknown) => log.error('mention: run failed', err));
}
