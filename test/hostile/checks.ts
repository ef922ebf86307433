import { blockKitProblems } from '../helpers/fake-slack';
import { FORGED } from './values';

/**
 * What must never be seen, whatever the data holds (issue 13, "Build"):
 * - terminal: no C0 control (line feed aside), DEL or C1 character, no bidi or zero-width character;
 * - CSV: no cell a spreadsheet evaluates as a formula;
 * - Slack: no live control token (`<!channel>`, `<@U…>` of someone who did not ask, `<#C…>`, `<https://…|…>`), no
 *   bidi or zero-width character, data (the hostile values' telltales) only inside code, and every message within
 *   Block Kit limits;
 * - everywhere: no line that a data value started (a value's line break followed by `FORGED`).
 */
export type Surface = 'terminal' | 'csv' | 'slack';

export interface Violation {
  surface: Surface;
  rule: string;
  /** Where: the command, and the block or stream. */
  where: string;
  /** The offending text around the finding, JSON-escaped and cut. */
  example: string;
}

/** C0 except LF, DEL, C1. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
/** Bidi controls, zero-width and other invisible format characters, line and paragraph separators. */
const INVISIBLE = /[\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
/** Line breaks as Slack, terminals and editors honour them. */
const LINE_BREAK = /\r\n|[\n\r\u000b\u000c\u0085\u2028\u2029]/;
/** A formula a spreadsheet would run (OWASP "CSV Injection"), unless the cell is a plain number. */
const FORMULA = /^(?:[\s\u0000]*[=+\-@＝＋－＠﹦﹢﹣﹫]|[\t\r\n\u0000])/u;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Telltales of hostile text that must only ever appear inside code in mrkdwn. */
const TELLTALES = ['evil.example', 'APPROVED', '@here', '@channel', '@everyone', 'approved change', FORGED];

export function excerpt(text: string, at: number, width = 60): string {
  return JSON.stringify(text.slice(Math.max(0, at - width / 2), at + width / 2));
}

function forgedLines(text: string): number | undefined {
  let offset = 0;
  for (const line of text.split(LINE_BREAK)) {
    const trimmed = line.replace(/^[\s>*_~`•·⚠✔✖▶-]+/u, '');
    if (trimmed.startsWith(FORGED.replace(/^✔ /, '')) || line.trimStart().startsWith(FORGED)) return offset;
    offset += line.length + 1;
  }
  return undefined;
}

/** Everything a terminal would receive (stdout and stderr together). */
export function terminalViolations(text: string, where: string): Violation[] {
  const out: Violation[] = [];
  const c = CONTROL.exec(text);
  if (c) out.push({ surface: 'terminal', rule: 'control character', where, example: excerpt(text, c.index) });
  const i = INVISIBLE.exec(text);
  if (i) out.push({ surface: 'terminal', rule: 'bidi / zero-width character', where, example: excerpt(text, i.index) });
  const f = forgedLines(text);
  if (f !== undefined)
    out.push({ surface: 'terminal', rule: 'a value started a line', where, example: excerpt(text, f) });
  return out;
}

export function csvViolations(records: string[][], where: string): Violation[] {
  const out: Violation[] = [];
  for (const record of records)
    for (const cell of record)
      if (FORMULA.test(cell) && !NUMBER.test(cell)) {
        out.push({ surface: 'csv', rule: 'cell starts a formula', where, example: JSON.stringify(cell.slice(0, 60)) });
        return out;
      }
  return out;
}

interface TextObject {
  /** `raw`: table cells, shown as typed (mentions and links are defused there by a zero-width space after `<`). */
  kind: 'mrkdwn' | 'plain' | 'raw';
  text: string;
  path: string;
}

/** Every text a Slack client shows from a message: fallback text, text objects, fields, context, table cells. */
export function slackTexts(message: { text?: unknown; blocks?: unknown }): TextObject[] {
  const out: TextObject[] = [];
  // The fallback `text` is shown in notifications and parsed as mrkdwn.
  if (typeof message.text === 'string') out.push({ kind: 'mrkdwn', text: message.text, path: 'text' });
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) {
      for (const [i, x] of node.entries()) walk(x, `${path}[${i}]`);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (typeof o.text === 'string' && typeof o.type === 'string') {
      // `raw_text` table cells and `plain_text` objects are never parsed for mrkdwn or mentions.
      const kind = o.type === 'mrkdwn' ? 'mrkdwn' : o.type === 'raw_text' ? 'raw' : 'plain';
      out.push({ kind, text: o.text, path: `${path}.${o.type}` });
    } else if (typeof o.text === 'string') out.push({ kind: 'plain', text: o.text, path: `${path}.text` });
    for (const [k, v] of Object.entries(o)) if (k !== 'text' || typeof v !== 'string') walk(v, `${path}.${k}`);
  };
  walk(message.blocks, 'blocks');
  return out;
}

/** Removes code fences and inline code spans: what is left is rendered as mrkdwn. */
function outsideCode(text: string): string {
  return text.replace(/```[\s\S]*?```/g, ' ').replace(/`[^`\n]*`/g, ' ');
}

/**
 * Slack control tokens in mrkdwn. Allowed: mentions of the people who asked and links to their channels, which
 * trailbot writes itself.
 */
function liveTokens(text: string, allowed: ReadonlySet<string>): RegExpExecArray | undefined {
  const re = /<([!#@]|https?:|mailto:|tel:|slack:)[^>]*>/gi;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const id = m[0].slice(1, -1).split('|')[0]!;
    if (!allowed.has(id)) return m;
  }
  return undefined;
}

export function slackViolations(
  message: { text?: unknown; blocks?: unknown },
  where: string,
  o: { allowedTokens: ReadonlySet<string> },
): Violation[] {
  const out: Violation[] = [];
  const once = new Set<string>();
  const add = (rule: string, path: string, example: string) => {
    if (once.has(rule)) return;
    once.add(rule);
    out.push({ surface: 'slack', rule, where: `${where} ${path}`, example });
  };
  for (const p of blockKitProblems(message.blocks ?? [])) add('Block Kit limit', 'blocks', JSON.stringify(p));
  for (const t of slackTexts(message)) {
    // trailbot's own defusal of `<` in table cells (src/surfaces/slack/tables.ts) is not data.
    const i = INVISIBLE.exec(t.kind === 'raw' ? t.text.replaceAll('<\u200b', '<') : t.text);
    if (i) add('bidi / zero-width character', t.path, excerpt(t.text, i.index));
    const f = forgedLines(t.text);
    if (f !== undefined) add('a value started a line', t.path, excerpt(t.text, f));
    if (t.kind === 'plain') continue;
    const m = liveTokens(t.text, o.allowedTokens);
    if (m) add('live Slack control token', t.path, excerpt(t.text, m.index));
    if (t.kind === 'raw') continue;
    const bare = outsideCode(t.text);
    const tell = TELLTALES.find((x) => bare.includes(x));
    if (tell) add('data outside code in mrkdwn', t.path, excerpt(bare, bare.indexOf(tell)));
  }
  return out;
}
