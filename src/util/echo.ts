/**
 * Text that did not come from trailbot (a CloudTrail field, a command someone typed, an engine's error message) shown
 * inside a chat message, so that it can only ever be data: it cannot ping anyone, link anywhere, start a new line,
 * quote, bold, strike out, or turn text around.
 *
 * Slack parses `<…>` as links and mentions and asks apps to escape `&`, `<` and `>` as HTML entities (Slack
 * "Formatting text for app surfaces", escaping); inside an inline code span mrkdwn markers (`*_~`) and a leading `>`
 * have no effect, and a code span cannot hold a backtick or a line break, so those are neutralised here. Bidi
 * controls (U+202E turns the rest of a line around: "Trojan Source", CVE-2021-42574) and zero-width characters are
 * removed. Surface-neutral on purpose: the runner and the dispatcher use it too, and the terminal shows the same text.
 */

/** Format characters (Unicode Cf: bidi embeddings/overrides/isolates, zero-width space/joiners, BOM, soft hyphen…). */
const FORMAT_CHARS = /\p{Cf}/gu;
/** Control characters (Unicode Cc: C0, DEL, C1; tab, CR and LF included). */
const CONTROL_CHARS = /\p{Cc}/gu;
const CONTROLS_BUT_NEWLINE = /[^\P{Cc}\n]/gu;
/** A modifier letter grave accent (U+02CB): looks like a backtick, closes no code span. */
const BACKTICK_LOOKALIKE = 'ˋ';
const ZERO_WIDTH_SPACE = '\u200b';

/** `&`, `<`, `>` as HTML entities, the three characters Slack's message parser treats as control characters. */
export function escapeEntities(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** One line: controls become spaces, format characters go, every run of whitespace is one space, ends trimmed. */
export function oneLine(s: string): string {
  return s.replace(CONTROL_CHARS, ' ').replace(FORMAT_CHARS, '').replace(/\s+/gu, ' ').trim();
}

/**
 * Inline code holding `s` as data: one line, entities escaped, backticks swapped for a look-alike (a code span cannot
 * contain one). An empty value shows as `—`, since Slack shows an empty code span as two backticks.
 */
export function codeSpan(s: string): string {
  const line = oneLine(s);
  if (line === '') return '`—`';
  return `\`${escapeEntities(line).replaceAll('`', BACKTICK_LOOKALIKE)}\``;
}

/**
 * The body of a fenced code block holding `s` as data. Newlines stay; other controls and format characters do not.
 * No two backticks are left side by side (a zero-width space goes between them), so no run of any length (```,
 * ````, …) can close the fence, and a backtick at either end is kept away from the fence's own backticks.
 * With `entities: false` `&<>` stay as they are (the terminal shows entities literally).
 */
export function fenceBody(s: string, o: { entities?: boolean } = {}): string {
  const cleaned = s.replace(FORMAT_CHARS, '').replace(CONTROLS_BUT_NEWLINE, ' ');
  const escaped = o.entities === false ? cleaned : escapeEntities(cleaned);
  let body = escaped.replace(/`(?=`)/g, `\`${ZERO_WIDTH_SPACE}`);
  if (body.startsWith('`')) body = ZERO_WIDTH_SPACE + body;
  if (body.endsWith('`')) body += ZERO_WIDTH_SPACE;
  return body;
}

/** A fenced code block on lines of its own. */
export function codeBlock(s: string, o: { entities?: boolean } = {}): string {
  return `\`\`\`\n${fenceBody(s, o)}\n\`\`\``;
}

/** How much of a typed command is echoed back. */
export const MAX_ECHOED_COMMAND = 200;

/**
 * A command as someone typed it, echoed into a reply (history, status, schedules, Re-run, Confirm, …) that other
 * people may read: `/trail …` as inline code, cut to MAX_ECHOED_COMMAND characters.
 */
export function echoCommand(commandText: string): string {
  const line = oneLine(`/trail ${commandText}`);
  const chars = Array.from(line);
  const cut = chars.length > MAX_ECHOED_COMMAND ? `${chars.slice(0, MAX_ECHOED_COMMAND - 1).join('')}…` : line;
  return codeSpan(cut);
}
