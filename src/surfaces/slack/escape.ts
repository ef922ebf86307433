/**
 * Escaping and cutting for Slack mrkdwn. The surface-neutral escapes (entities, inline code, fenced code bodies) live
 * in src/util/echo.ts and are used from there; what is here is Slack's own: mentions, and cutting text that is already
 * escaped without breaking an entity, a surrogate pair or a code fence.
 *
 * Every value that comes from a user or from CloudTrail goes through `escapeMrkdwn` before it lands in mrkdwn, so a
 * cell holding `<!channel>` cannot ping anyone: Slack parses `<…>` as links and mentions and asks apps to escape
 * `&`, `<` and `>` as HTML entities (https://docs.slack.dev/messaging/formatting-message-text#escaping).
 */

import { slackMention } from '../../time/schedule-text';
import { escapeEntities } from '../../util/echo';

const ELLIPSIS = '…';

/**
 * Escapes the three characters Slack's message parser treats as control characters. After this, `<!channel>`,
 * `<@U123>` and `<https://x|y>` in a value are shown as typed and never become pings or links.
 */
export function escapeMrkdwn(s: string): string {
  return escapeEntities(s);
}

/**
 * A mention when the id looks like a Slack user id; otherwise the name as escaped text (terminal and scheduled runs
 * may carry other ids). A Slack user id holds no `&`, `<` or `>`, so escaping first leaves it whole.
 */
export function mention(userId: string): string {
  return slackMention(escapeMrkdwn(userId));
}

/** Cuts `s` to at most `max` characters (UTF-16 units), ending with "…", never splitting a surrogate pair. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 1) return ELLIPSIS.slice(0, max);
  let cut = max - 1;
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--; // would end on a high surrogate
  return s.slice(0, cut) + ELLIPSIS;
}

/** Where to cut already-escaped text at or before `at` without splitting an `&amp;`-style entity or a surrogate pair. */
function safeCut(escaped: string, at: number): number {
  let cut = Math.max(0, Math.min(at, escaped.length));
  const code = escaped.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  const amp = escaped.lastIndexOf('&', cut - 1);
  if (amp >= 0 && amp > cut - 5) {
    const semi = escaped.indexOf(';', amp);
    if (semi >= cut) cut = amp; // the entity would straddle the cut
  }
  return cut;
}

/** Cuts escaped mrkdwn to `max` characters ending in "…", never inside an entity (a half entity shows as junk). */
export function truncateEscaped(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  return escaped.slice(0, safeCut(escaped, max - 1)) + ELLIPSIS;
}

/** Splits escaped text into pieces of at most `max` characters, preferring line breaks. */
export function splitLines(s: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = s;
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n', max);
    if (cut <= 0) cut = safeCut(rest, max) || max;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/, '');
  }
  pieces.push(rest);
  return pieces;
}

/**
 * A piece of an escaped code block body between fences. A cut may leave a backtick at either end of the piece, where
 * it would join the fence's own three: a zero-width space keeps them apart.
 */
export function fenced(piece: string): string {
  const start = piece.startsWith('`') ? '\u200b' : '';
  const end = piece.endsWith('`') ? '\u200b' : '';
  return `\`\`\`${start}${piece}${end}\`\`\``;
}
