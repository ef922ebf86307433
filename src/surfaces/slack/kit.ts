/**
 * The Block Kit pieces every Slack message of trailbot is built from, and the limits they hold BY CONSTRUCTION: text
 * is cut with "…", context elements are capped, and nothing here can produce a block Slack would reject (≤ 50 blocks,
 * section text ≤ 3000, header ≤ 150, one table of ≤ 100 rows × ≤ 20 cells, context ≤ 10 elements;
 * https://docs.slack.dev/reference/block-kit/blocks, its header-block page and
 * https://docs.slack.dev/reference/block-kit/blocks/table-block). Total block text is also kept under ~12k
 * characters, because bolt-js issue #2509 saw `msg_blocks_too_long` near 13.2k, below any documented limit.
 */

import type { Button, ContextBlock, KnownBlock, SectionBlock } from '@slack/web-api';
import { truncateEscaped } from './escape';

/** A message ready for chat.postMessage / chat.update / respond: blocks plus the plain `text` fallback. */
export interface SlackMessage {
  /** Shown in notifications and read by screen readers; Slack asks for it whenever blocks are sent. */
  text: string;
  blocks: KnownBlock[];
}

/** `action_id`s of trailbot's buttons; the button `value` is the execution id (the page button adds its row). */
export const ACTION_IDS = {
  cancel: 'trail_cancel',
  rerun: 'trail_rerun',
  showSql: 'trail_show_sql',
  confirm: 'trail_confirm',
  /** "Show next 20 rows": the value is `<execution id>@<first row of the page>` (tables.ts pageValue). */
  page: 'trail_page',
} as const;

export interface RenderOptions {
  /** IANA zone windows are shown in (TRAIL_TIME_ZONE). */
  timeZone: string;
  /** "Now" for formatWindow's year elision; tests pin it. Default: the current time. */
  now?: Date;
}

export interface ResultRenderOptions extends RenderOptions {
  /** Data rows in the table (default 20, at most 99: the header takes one of the table block's 100 rows). */
  maxRows?: number;
  /** Columns shown (default 10, at most 20 cells per table row). */
  maxColumns?: number;
  /** Longest cell text before it is cut with "…" (default 80; JSON cells are cut at 60). */
  maxCellChars?: number;
  /** Flags listed by name (default 15); the count always covers all of them. */
  maxFlags?: number;
  /**
   * `block` = a Slack table block (default); `monospace` = aligned text in a code block, for workspaces or clients
   * without table blocks. Either way the CSV in the thread holds every row and column.
   */
  table?: 'block' | 'monospace';
}

// Documented limits (see the file comment).
export const MAX_SECTION_TEXT = 3000;
const MAX_CONTEXT_ELEMENTS = 10;
/** Plain `text` fallback: Slack recommends ≤ 4,000 characters. */
export const MAX_FALLBACK_TEXT = 3000;

export const count = (n: number): string => n.toLocaleString('en-US');
export const plural = (n: number, one: string, many = `${one}s`): string => `${count(n)} ${n === 1 ? one : many}`;

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** An option as a whole number within [min, max]; the default when it is missing or not a number. */
export function clampInt(v: number | undefined, fallbackValue: number, min: number, max: number): number {
  if (v === undefined || !Number.isFinite(v)) return fallbackValue;
  return Math.min(max, Math.max(min, Math.floor(v)));
}

/**
 * Every mrkdwn object trailbot sends is `verbatim`: Slack then still applies formatting and the manual strings
 * trailbot writes itself (`<@U…>`), but does not turn URLs into links or parse channel names and `@here` in the plain
 * text ("verbatim", Block Kit text object reference), so data that slipped past inline code still cannot link or ping.
 */
function mrkdwn(text: string): { type: 'mrkdwn'; text: string; verbatim: true } {
  return { type: 'mrkdwn', text: truncateEscaped(text, MAX_SECTION_TEXT), verbatim: true };
}

export function mrkdwnSection(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(text) };
}

export function context(parts: string[]): ContextBlock {
  const elements = parts
    .filter((p) => p.length > 0)
    .slice(0, MAX_CONTEXT_ELEMENTS)
    .map((p) => mrkdwn(p));
  return { type: 'context', elements };
}

export function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text, emoji: true },
    action_id: actionId,
    value,
    ...(style ? { style } : {}),
  };
}

/** The plain `text` of a message, from lines that are already escaped. */
export function fallback(lines: string[]): string {
  return truncateEscaped(lines.filter((l) => l.length > 0).join('\n'), MAX_FALLBACK_TEXT);
}
