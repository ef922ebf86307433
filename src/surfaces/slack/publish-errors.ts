/**
 * What a failed Slack call means for publishing: whether a retry may help (rate limits, 5xx, network) or a person
 * must act (scopes, channel membership, a token), and which refusals are about a message's layout, so that a simpler
 * rendering of the same content may pass (issue 12).
 */
import { ErrorCode } from '@slack/web-api';
import { TrailError } from '../../core/errors';

/**
 * A Slack call that did not succeed even after the WebClient's own retries. The runner keeps the execution
 * unpublished and tries again later when `retryable`; otherwise the problem needs a person (scopes, channel
 * membership, a bad token) and `userMessage` says what to do.
 */
export class SlackPublishError extends TrailError {
  constructor(
    /** Which publishing step failed, e.g. `announce`. */
    readonly step: string,
    /** Slack's error code (`not_in_channel`, `invalid_blocks`, …) or the HTTP failure, when known. */
    readonly slackError: string | undefined,
    /** true when trying again later may succeed (rate limits, Slack 5xx, network). */
    readonly retryable: boolean,
    userMessage: string,
    options?: { cause?: unknown },
  ) {
    super('SLACK_PUBLISH', userMessage, options);
    this.name = 'SlackPublishError';
  }
}

/** Slack error codes that a later retry will not fix, with what a person should do. */
const PERMANENT_ERRORS: Record<string, string> = {
  not_in_channel: 'trailbot is not in this channel: invite it with `/invite @trailbot` (or grant chat:write.public).',
  channel_not_found: 'trailbot cannot see this channel: invite it with `/invite @trailbot`.',
  is_archived: 'the channel is archived.',
  invalid_auth: 'the Slack bot token is not valid: check SLACK_BOT_TOKEN.',
  not_authed: 'no Slack bot token was sent: check SLACK_BOT_TOKEN.',
  token_revoked: 'the Slack bot token was revoked: reinstall the app and update SLACK_BOT_TOKEN.',
  account_inactive: 'the Slack app was deactivated: reinstall it and update SLACK_BOT_TOKEN.',
  missing_scope: 'the Slack app lacks a scope: add it in manifest.yml (chat:write, files:write) and reinstall.',
  invalid_blocks: 'Slack rejected the message layout (a trailbot bug; the details are in its log).',
  invalid_blocks_format: 'Slack rejected the message layout (a trailbot bug; the details are in its log).',
  msg_blocks_too_long: 'Slack found the message too long (a trailbot bug; the details are in its log).',
  msg_too_long: 'Slack found the message too long (a trailbot bug; the details are in its log).',
  only_one_table_allowed: 'Slack allows one table per message (a trailbot bug; the details are in its log).',
  message_not_found: 'the message to update no longer exists.',
  thread_not_found: 'the thread no longer exists.',
  invalid_thread_ts: 'the thread reference is not a thread parent (a trailbot bug).',
  restricted_action: 'a workspace setting prevents trailbot from posting here.',
};

/**
 * Refusals of a message's layout rather than of the call: a simpler rendering of the same content can pass (a
 * workspace that does not accept `table` blocks answers `invalid_blocks`).
 */
export const LAYOUT_ERRORS = new Set([
  'invalid_blocks',
  'invalid_blocks_format',
  'msg_blocks_too_long',
  'msg_too_long',
  'only_one_table_allowed',
]);

interface SlackErrorShape {
  code?: string;
  data?: { error?: string };
  statusCode?: number;
  message?: string;
}

/** Turns whatever the WebClient threw into a SlackPublishError that says whether to retry. */
export function toPublishError(step: string, err: unknown): SlackPublishError {
  if (err instanceof SlackPublishError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SlackErrorShape;
  let slackError: string | undefined;
  let retryable: boolean;
  switch (e.code) {
    case ErrorCode.PlatformError:
      slackError = e.data?.error;
      retryable = slackError === undefined || !(slackError in PERMANENT_ERRORS);
      break;
    case ErrorCode.HTTPError:
      slackError = `http_${e.statusCode ?? 'error'}`;
      retryable = e.statusCode === undefined || e.statusCode >= 500 || e.statusCode === 429;
      break;
    case ErrorCode.RateLimitedError:
      slackError = 'ratelimited';
      retryable = true;
      break;
    case ErrorCode.RequestError:
      slackError = 'request_failed';
      retryable = true;
      break;
    case ErrorCode.FileUploadInvalidArgumentsError:
    case ErrorCode.FileUploadReadFileDataError:
      slackError = 'invalid_upload';
      retryable = false;
      break;
    default:
      // After its last retry of a 429 the WebClient throws a plain Error ("A rate limit was exceeded").
      retryable = true;
  }
  const hint =
    slackError !== undefined && slackError in PERMANENT_ERRORS
      ? PERMANENT_ERRORS[slackError]
      : retryable
        ? 'Slack did not answer in time; trailbot will try again.'
        : 'Slack refused the request.';
  const what = slackError !== undefined ? ` (${slackError})` : '';
  return new SlackPublishError(step, slackError, retryable, `Could not ${step} in Slack${what}: ${hint}`, {
    cause: err,
  });
}
