/**
 * A local fake of the Slack Web API, for driving the REAL `@slack/web-api` WebClient (and Bolt's `respond()`) over HTTP
 * on 127.0.0.1 ("fake the wire, not the SDK"). It implements only what trailbot calls, records every call, and is
 * stricter than Slack where strictness catches our bugs early: a message that breaks a Block Kit limit is rejected
 * with `invalid_blocks` and a description of every problem.
 *
 * Wire facts it mirrors (Slack docs "Implementing slash commands", the files.* and rate-limits pages):
 * - WebClient 8 sends `application/x-www-form-urlencoded` bodies and JSON-encodes object arguments (`blocks`,
 *   `files`) into strings; `respond()` POSTs `application/json` to the response_url. Both are accepted everywhere.
 * - `filesUploadV2` = `files.getUploadURLExternal` → POST the bytes to the returned absolute `upload_url` (WebClient
 *   sends a Buffer as multipart/form-data) → `files.completeUploadExternal`. The `upload_url` points back at this
 *   server.
 * - 429 with `Retry-After` is how Slack rate-limits; the WebClient waits and retries on its own.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';

/** One recorded request. `params` is the decoded body (JSON-valued form fields already parsed). */
export interface FakeSlackCall {
  /** Web API method (`chat.postMessage`), or `upload` (file bytes) / `response` (response_url POST). */
  method: string;
  params: Record<string, unknown>;
  /** HTTP status the fake answered with. */
  status: number;
  /** JSON the fake answered with (undefined for non-JSON answers). */
  response: Record<string, unknown> | undefined;
  authorization?: string;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
  /** Earlier versions, oldest first, pushed by every `chat.update`. */
  history: { text?: string; blocks?: unknown[] }[];
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  message_ts: string;
}

export interface FakeFile {
  id: string;
  filename: string;
  /** `length` declared to files.getUploadURLExternal. */
  length: number;
  /** Bytes received on the upload URL (undefined until uploaded). */
  bytes?: Buffer;
  /** Set by files.completeUploadExternal. */
  completed: boolean;
  title?: string;
  channel_id?: string;
  thread_ts?: string;
  initial_comment?: string;
}

export interface FakeResponsePost {
  id: string;
  body: Record<string, unknown>;
}

/** A non-fatal finding (Slack would accept the call, but it is a smell): missing `text` fallback, very long text. */
export interface FakeSlackWarning {
  method: string;
  message: string;
}

/**
 * How the next call(s) to a method fail. `{status: 429, retryAfter}` = Slack's rate limit answer (with `Retry-After`);
 * `{status}` = an HTTP error (500, 503, 404 for an expired response_url); `{error}` = HTTP 200 `{ok: false, error}`.
 */
export type FakeFailure = { status: 429; retryAfter: number } | { status: number } | { error: string };

export interface FakeSlackOptions {
  /** When set, Web API calls must carry `Authorization: Bearer <token>` (else `invalid_auth`). */
  token?: string;
  /** Identity returned by auth.test. */
  botUserId?: string;
  botId?: string;
  teamId?: string;
  /**
   * Block types this "workspace" does not accept: a message holding one is answered `invalid_blocks`, as Slack does
   * for a block type a workspace or client does not support (e.g. `table` before it was rolled out).
   */
  rejectBlockTypes?: string[];
  /**
   * The app-level token (`xapp-…`) that apps.connections.open must be called with (default: any `xapp-` token).
   * `token` (the bot token) is not asked of that method: Socket Mode authenticates with the app-level token.
   */
  appToken?: string;
}

/**
 * A refusal rule: the Slack error code to answer a Web API call with (HTTP 200, `ok: false`), or undefined to let it
 * through. Rules see the decoded params, so a test can refuse "every reply in a thread" or "every upload".
 */
export type FakeRefusal = (method: string, params: Record<string, unknown>) => string | undefined;

export interface FakeSlack {
  /** Web API base URL, for `slackApiUrl`: `http://127.0.0.1:PORT/api/`. */
  url: string;
  /** Every request, in arrival order. */
  calls: FakeSlackCall[];
  /** Messages posted with chat.postMessage (updated in place by chat.update). */
  messages: FakeMessage[];
  ephemerals: FakeEphemeral[];
  files: FakeFile[];
  /** JSON bodies POSTed to response URLs. */
  responses: FakeResponsePost[];
  warnings: FakeSlackWarning[];
  /** A response_url served by this fake: `http://127.0.0.1:PORT/response/<id>`. */
  responseUrl(id?: string): string;
  /** Make the next `times` calls to `method` fail (default once; `Infinity` for "Slack is down"). */
  failNext(method: string, failure: FakeFailure, times?: number): void;
  /** Slack is back: no more scheduled failures (refusal rules and rejected block types stay). */
  clearFailures(): void;
  /** From now on, answer `invalid_blocks` to any message holding a block of these types (replaces the option). */
  rejectBlockTypes(types: string[]): void;
  /** Adds a refusal rule (checked after the scheduled failures, before the method runs); returns its remover. */
  refuse(rule: FakeRefusal): () => void;
  /** Calls to one method. */
  callsTo(method: string): FakeSlackCall[];
  /** Adds a message as if someone had posted it (to thread under messages this fake did not create). */
  seedMessage(channel: string, text?: string): FakeMessage;
  /**
   * Serves apps.connections.open (Socket Mode): each call answers `{ok: true, url: nextUrl()}`, a fresh WebSocket URL
   * as Slack hands out one per connection (test/helpers/fake-socket-mode.ts). Returns its remover; without it the
   * method answers `unknown_method`.
   */
  serveSocketMode(nextUrl: () => string): () => void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------------
// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks and each block's page, e.g. table-block)
// ---------------------------------------------------------------------------------------------------------------------

const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3000;
const MAX_SECTION_FIELDS = 10;
const MAX_FIELD_TEXT = 2000;
const MAX_HEADER_TEXT = 150;
const MAX_CONTEXT_ELEMENTS = 10;
const MAX_ACTIONS_ELEMENTS = 25;
const MAX_BUTTON_TEXT = 75;
const MAX_BUTTON_VALUE = 2000;
/**
 * Overflow menu: "An array of up to five option objects" (https://docs.slack.dev/reference/block-kit/block-elements/
 * overflow-menu-element); the older reference and Slack's SDK validators also ask for at least two. Each option's
 * `text` is plain_text of at most 75 characters and its `value` at most 150 (https://docs.slack.dev/reference/
 * block-kit/composition-objects/option-object).
 */
const MIN_OVERFLOW_OPTIONS = 2;
const MAX_OVERFLOW_OPTIONS = 5;
const MAX_OPTION_TEXT = 75;
const MAX_OPTION_VALUE = 150;
const MAX_ACTION_ID = 255;
const MAX_BLOCK_ID = 255;
const MAX_TABLE_ROWS = 100;
const MAX_TABLE_CELLS = 20;
const MAX_TABLE_COLUMN_SETTINGS = 20;
/**
 * Not a documented limit: bolt-js issue #2509 saw `msg_blocks_too_long` at about 13.2k characters of block text. A
 * message above this is reported as a warning so renderers keep well clear of it.
 */
export const SOFT_MAX_BLOCK_TEXT_CHARS = 12_000;
/** chat.postMessage: "For best results, limit the number of characters in the text field to 4,000". */
const SOFT_MAX_MESSAGE_TEXT = 4000;

const KNOWN_BLOCK_TYPES = new Set([
  'section',
  'header',
  'context',
  'actions',
  'divider',
  'table',
  'rich_text',
  'image',
]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Problems with a text object (`{type: 'plain_text' | 'mrkdwn', text}`); `where` names it in messages. */
function textObjectProblems(t: unknown, where: string, max: number, plainOnly = false): string[] {
  if (!isRecord(t)) return [`${where}: missing text object`];
  const problems: string[] = [];
  if (t.type !== 'plain_text' && t.type !== 'mrkdwn') problems.push(`${where}: text type must be plain_text or mrkdwn`);
  if (plainOnly && t.type !== 'plain_text') problems.push(`${where}: text type must be plain_text`);
  // "verbatim … only usable with mrkdwn", "emoji … only usable with plain_text" (Block Kit text object reference).
  if (t.verbatim !== undefined && (t.type !== 'mrkdwn' || typeof t.verbatim !== 'boolean'))
    problems.push(`${where}: verbatim must be a boolean on a mrkdwn text object`);
  if (t.emoji !== undefined && (t.type !== 'plain_text' || typeof t.emoji !== 'boolean'))
    problems.push(`${where}: emoji must be a boolean on a plain_text text object`);
  if (typeof t.text !== 'string') problems.push(`${where}: text must be a string`);
  else if (t.text.length === 0) problems.push(`${where}: text must not be empty`);
  else if (t.text.length > max) problems.push(`${where}: text is ${t.text.length} characters (max ${max})`);
  return problems;
}

function buttonProblems(el: Record<string, unknown>, where: string): string[] {
  const problems = textObjectProblems(el.text, `${where} text`, MAX_BUTTON_TEXT, true);
  if (typeof el.action_id === 'string' && el.action_id.length > MAX_ACTION_ID)
    problems.push(`${where}: action_id longer than ${MAX_ACTION_ID}`);
  if (el.value !== undefined) {
    if (typeof el.value !== 'string') problems.push(`${where}: value must be a string`);
    else if (el.value.length > MAX_BUTTON_VALUE) problems.push(`${where}: value longer than ${MAX_BUTTON_VALUE}`);
  }
  if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger')
    problems.push(`${where}: style must be primary or danger`);
  return problems;
}

function overflowProblems(el: Record<string, unknown>, where: string): string[] {
  const problems: string[] = [];
  if (typeof el.action_id === 'string' && el.action_id.length > MAX_ACTION_ID)
    problems.push(`${where}: action_id longer than ${MAX_ACTION_ID}`);
  const options = el.options;
  if (!Array.isArray(options)) return [...problems, `${where}: options must be an array`];
  if (options.length < MIN_OVERFLOW_OPTIONS || options.length > MAX_OVERFLOW_OPTIONS)
    problems.push(`${where}: ${options.length} options (${MIN_OVERFLOW_OPTIONS}–${MAX_OVERFLOW_OPTIONS})`);
  const values = new Set<string>();
  options.forEach((option, k) => {
    const at = `${where} option ${k}`;
    if (!isRecord(option)) {
      problems.push(`${at}: not an object`);
      return;
    }
    problems.push(...textObjectProblems(option.text, `${at} text`, MAX_OPTION_TEXT, true));
    if (option.url === undefined) {
      if (typeof option.value !== 'string' || option.value.length === 0) problems.push(`${at}: value must be a string`);
      else if (option.value.length > MAX_OPTION_VALUE) problems.push(`${at}: value longer than ${MAX_OPTION_VALUE}`);
      else if (values.has(option.value)) problems.push(`${at}: duplicate value`);
      else values.add(option.value);
    }
  });
  return problems;
}

/** A section's accessory: the interactive elements trailbot uses there (button, overflow menu). */
function accessoryProblems(el: unknown, where: string): string[] {
  if (!isRecord(el)) return [`${where}: accessory must be an object`];
  if (el.type === 'button') return buttonProblems(el, where);
  if (el.type === 'overflow') return overflowProblems(el, where);
  if (el.type === 'image') return [];
  return [`${where}: accessory type ${String(el.type)} is not checked by this fake`];
}

function tableProblems(block: Record<string, unknown>, where: string): string[] {
  const problems: string[] = [];
  const rows = block.rows;
  if (!Array.isArray(rows) || rows.length === 0) return [`${where}: rows must be a non-empty array`];
  if (rows.length > MAX_TABLE_ROWS) problems.push(`${where}: ${rows.length} rows (max ${MAX_TABLE_ROWS})`);
  rows.forEach((row, r) => {
    if (!Array.isArray(row)) {
      problems.push(`${where} row ${r}: not an array`);
      return;
    }
    if (row.length === 0) problems.push(`${where} row ${r}: no cells`);
    if (row.length > MAX_TABLE_CELLS) problems.push(`${where} row ${r}: ${row.length} cells (max ${MAX_TABLE_CELLS})`);
    row.forEach((cell, c) => {
      if (!isRecord(cell)) {
        problems.push(`${where} row ${r} cell ${c}: not an object`);
      } else if (cell.type === 'raw_text') {
        // "The minimum length is 1 character" (@slack/types RawTextElement).
        if (typeof cell.text !== 'string' || cell.text.length === 0)
          problems.push(`${where} row ${r} cell ${c}: raw_text must have non-empty text`);
      } else if (cell.type === 'raw_number') {
        if (typeof cell.text !== 'string' && typeof cell.value !== 'number')
          problems.push(`${where} row ${r} cell ${c}: raw_number without a value`);
      } else if (cell.type === 'rich_text') {
        problems.push(...richTextCellProblems(cell, `${where} row ${r} cell ${c}`));
      } else {
        problems.push(`${where} row ${r} cell ${c}: cell type must be raw_text, raw_number or rich_text`);
      }
    });
  });
  // Stricter than the reference, which does not say what Slack does with ragged rows: ours are always rectangular.
  const widths = new Set(rows.filter(Array.isArray).map((row) => row.length));
  if (widths.size > 1) problems.push(`${where}: rows have different numbers of cells (${[...widths].join(', ')})`);
  if (block.column_settings !== undefined) {
    const settings = block.column_settings;
    if (!Array.isArray(settings)) problems.push(`${where}: column_settings must be an array`);
    else {
      if (settings.length > MAX_TABLE_COLUMN_SETTINGS)
        problems.push(`${where}: ${settings.length} column_settings (max ${MAX_TABLE_COLUMN_SETTINGS})`);
      // "If there are fewer items … than there are columns": more settings than columns describe nothing (a bug).
      const columns = Math.max(0, ...widths);
      if (settings.length > columns)
        problems.push(`${where}: ${settings.length} column_settings for ${columns} columns`);
      for (const [i, setting] of settings.entries())
        problems.push(...columnSettingProblems(setting, `${where} column_settings ${i}`));
    }
  }
  return problems;
}

/**
 * A column setting (table block reference, "Schema for column_settings"): `align` is left, center or right;
 * `is_wrapped` a boolean; both optional, nothing else.
 */
function columnSettingProblems(setting: unknown, where: string): string[] {
  if (!isRecord(setting)) return [`${where}: must be an object`];
  const problems: string[] = [];
  for (const key of Object.keys(setting))
    if (key !== 'align' && key !== 'is_wrapped') problems.push(`${where}: unknown field ${key}`);
  if (setting.align !== undefined && !['left', 'center', 'right'].includes(setting.align as string))
    problems.push(`${where}: align must be left, center or right`);
  if (setting.is_wrapped !== undefined && typeof setting.is_wrapped !== 'boolean')
    problems.push(`${where}: is_wrapped must be a boolean`);
  return problems;
}

/**
 * A rich_text table cell (https://docs.slack.dev/reference/block-kit/blocks/rich-text-block): a non-empty list of
 * rich text objects, each with its own elements. A `link` element needs a `url`; trailbot's are always https (stricter
 * than Slack, which would also take other schemes), and a link's `text`, when given, is a non-empty string.
 */
function richTextCellProblems(cell: Record<string, unknown>, where: string): string[] {
  const sections = cell.elements;
  if (!Array.isArray(sections) || sections.length === 0)
    return [`${where}: rich_text needs a non-empty elements array`];
  const problems: string[] = [];
  sections.forEach((section, i) => {
    if (!isRecord(section) || !RICH_TEXT_OBJECTS.has(String(section.type))) {
      problems.push(`${where} element ${i}: must be a rich_text_section, _list, _quote or _preformatted`);
      return;
    }
    if (!Array.isArray(section.elements) || section.elements.length === 0) {
      problems.push(`${where} element ${i}: needs a non-empty elements array`);
      return;
    }
    section.elements.forEach((el, j) => {
      if (!isRecord(el) || el.type !== 'link') return;
      if (typeof el.url !== 'string' || !/^https:\/\/[^\s<>|]+$/.test(el.url))
        problems.push(`${where} element ${i}.${j}: link url must be an https URL without spaces, <, > or |`);
      if (el.text !== undefined && (typeof el.text !== 'string' || el.text.length === 0))
        problems.push(`${where} element ${i}.${j}: link text must be a non-empty string`);
    });
  });
  return problems;
}

const RICH_TEXT_OBJECTS = new Set(['rich_text_section', 'rich_text_list', 'rich_text_quote', 'rich_text_preformatted']);

/**
 * Every way `blocks` breaks a documented Block Kit limit for a message, as human-readable lines (empty = valid).
 * Checks: ≤ 50 blocks; known block types; unique block_id ≤ 255; section text ≤ 3000 (non-empty), fields ≤ 10 × 2000;
 * header plain_text ≤ 150; context 1–10 elements; actions 1–25 elements, buttons (text ≤ 75 plain_text, value
 * ≤ 2000, unique action_id), overflow menus (2–5 options, text ≤ 75, value ≤ 150), section accessories; table 1–100 rows × 1–20 cells (raw_text non-empty, rich_text with https links; rows of one width), column_settings ≤ 20 and no more than the columns (align left|center|right, is_wrapped boolean), and at most
 * one table per message (Slack answers `only_one_table_allowed`).
 */
export function blockKitProblems(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return ['blocks must be an array'];
  const problems: string[] = [];
  if (blocks.length > MAX_BLOCKS) problems.push(`${blocks.length} blocks (max ${MAX_BLOCKS})`);
  const blockIds = new Set<string>();
  let tables = 0;
  blocks.forEach((block, i) => {
    const where = `block ${i}`;
    if (!isRecord(block)) {
      problems.push(`${where}: not an object`);
      return;
    }
    const type = block.type;
    if (typeof type !== 'string' || !KNOWN_BLOCK_TYPES.has(type)) {
      problems.push(`${where}: unknown block type ${String(type)}`);
      return;
    }
    if (block.block_id !== undefined) {
      if (typeof block.block_id !== 'string' || block.block_id.length === 0 || block.block_id.length > MAX_BLOCK_ID)
        problems.push(`${where}: block_id must be 1–${MAX_BLOCK_ID} characters`);
      else if (blockIds.has(block.block_id)) problems.push(`${where}: duplicate block_id ${block.block_id}`);
      else blockIds.add(block.block_id);
    }
    const at = `${where} (${type})`;
    switch (type) {
      case 'section': {
        if (block.text === undefined && block.fields === undefined) problems.push(`${at}: needs text or fields`);
        if (block.text !== undefined) problems.push(...textObjectProblems(block.text, at, MAX_SECTION_TEXT));
        if (block.accessory !== undefined) problems.push(...accessoryProblems(block.accessory, `${at} accessory`));
        if (block.fields !== undefined) {
          if (!Array.isArray(block.fields)) problems.push(`${at}: fields must be an array`);
          else {
            if (block.fields.length > MAX_SECTION_FIELDS)
              problems.push(`${at}: ${block.fields.length} fields (max ${MAX_SECTION_FIELDS})`);
            block.fields.forEach((f, j) => {
              problems.push(...textObjectProblems(f, `${at} field ${j}`, MAX_FIELD_TEXT));
            });
          }
        }
        break;
      }
      case 'header':
        problems.push(...textObjectProblems(block.text, at, MAX_HEADER_TEXT, true));
        break;
      case 'context': {
        const els = block.elements;
        if (!Array.isArray(els) || els.length === 0) problems.push(`${at}: elements must be a non-empty array`);
        else {
          if (els.length > MAX_CONTEXT_ELEMENTS)
            problems.push(`${at}: ${els.length} elements (max ${MAX_CONTEXT_ELEMENTS})`);
          els.forEach((el, j) => {
            if (isRecord(el) && el.type === 'image') return;
            problems.push(...textObjectProblems(el, `${at} element ${j}`, MAX_SECTION_TEXT));
          });
        }
        break;
      }
      case 'actions': {
        const els = block.elements;
        if (!Array.isArray(els) || els.length === 0) {
          problems.push(`${at}: elements must be a non-empty array`);
          break;
        }
        if (els.length > MAX_ACTIONS_ELEMENTS)
          problems.push(`${at}: ${els.length} elements (max ${MAX_ACTIONS_ELEMENTS})`);
        const actionIds = new Set<string>();
        els.forEach((el, j) => {
          if (!isRecord(el)) {
            problems.push(`${at} element ${j}: not an object`);
            return;
          }
          if (typeof el.action_id === 'string') {
            if (actionIds.has(el.action_id)) problems.push(`${at}: duplicate action_id ${el.action_id}`);
            actionIds.add(el.action_id);
          }
          if (el.type === 'button') problems.push(...buttonProblems(el, `${at} button ${j}`));
          else if (el.type === 'overflow') problems.push(...overflowProblems(el, `${at} overflow ${j}`));
        });
        break;
      }
      case 'table':
        tables++;
        problems.push(...tableProblems(block, at));
        break;
      default:
        break;
    }
  });
  if (tables > 1) problems.push(`${tables} table blocks (only one table is allowed per message)`);
  return problems;
}

/** Total characters of text inside blocks (section/header/context/button text and table cells). */
export function blockTextChars(blocks: unknown): number {
  let total = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isRecord(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') total += x.length;
        else walk(x);
      }
    }
  };
  walk(blocks);
  return total;
}

/** Non-fatal findings for a message: Slack accepts it, but it is worse for people (or close to a hidden limit). */
export function messageWarnings(params: { text?: unknown; blocks?: unknown }): string[] {
  const warnings: string[] = [];
  const hasBlocks = Array.isArray(params.blocks) && params.blocks.length > 0;
  const text = typeof params.text === 'string' ? params.text : '';
  if (hasBlocks && text.trim() === '')
    warnings.push('blocks without a top-level text fallback (notifications and screen readers show nothing)');
  if (text.length > SOFT_MAX_MESSAGE_TEXT) warnings.push(`text is ${text.length} characters (keep it under 4,000)`);
  if (hasBlocks) {
    const chars = blockTextChars(params.blocks);
    if (chars > SOFT_MAX_BLOCK_TEXT_CHARS)
      warnings.push(`blocks hold ${chars} characters of text (msg_blocks_too_long seen near 13.2k)`);
  }
  return warnings;
}

// ---------------------------------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------------------------------

/** Form fields that WebClient JSON-encodes (objects and arrays) and the fake decodes back. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'files', 'metadata']);

class BadRequest extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function decodeParams(contentType: string, raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  if (contentType.includes('application/json')) {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    if (!isRecord(parsed)) throw new BadRequest('JSON body must be an object');
    return parsed;
  }
  const form = parseQuery(raw.toString('utf8'));
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(form)) {
    const value = Array.isArray(v) ? v[v.length - 1] : v;
    if (JSON_FIELDS.has(k) && typeof value === 'string') {
      try {
        params[k] = JSON.parse(value);
      } catch {
        throw new BadRequest(`${k} is not valid JSON`);
      }
    } else {
      params[k] = value;
    }
  }
  return params;
}

/** Bytes of an upload: the first file part of a multipart body, or the raw body. */
async function uploadedBytes(contentType: string, raw: Buffer): Promise<Buffer> {
  if (!contentType.includes('multipart/form-data')) return raw;
  // Node 20's fetch Response parses multipart bodies; cheaper than a hand-written parser and exactly as strict.
  const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  for (const [, value] of form.entries()) {
    if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  }
  const first = form.entries().next();
  if (!first.done) return Buffer.from(String(first.value[1]), 'utf8');
  return Buffer.alloc(0);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const calls: FakeSlackCall[] = [];
  const messages: FakeMessage[] = [];
  const ephemerals: FakeEphemeral[] = [];
  const files: FakeFile[] = [];
  const responses: FakeResponsePost[] = [];
  const warnings: FakeSlackWarning[] = [];
  const failures = new Map<string, { failure: FakeFailure; remaining: number }>();
  let seq = 0;
  let base = '';
  const baseSeconds = Math.floor(Date.now() / 1000);
  // Slack ts: epoch seconds "." microseconds, unique per channel; a counter keeps them unique and ordered here.
  const nextTs = (): string => {
    seq++;
    return `${baseSeconds + Math.floor(seq / 1_000_000)}.${String(seq % 1_000_000).padStart(6, '0')}`;
  };
  const nextId = (prefix: string): string => {
    seq++;
    return `${prefix}${String(seq).padStart(9, '0')}`;
  };
  const findMessage = (channel: unknown, ts: unknown): FakeMessage | undefined =>
    messages.find((m) => m.channel === channel && m.ts === ts);

  /** `thread_ts` must name a top-level message in the channel: "Avoid using a reply's ts value; use its parent". */
  const threadProblem = (channel: unknown, threadTs: unknown): Record<string, unknown> | undefined => {
    if (threadTs === undefined || threadTs === '') return undefined;
    const parent = findMessage(channel, threadTs);
    if (!parent) return { ok: false, error: 'thread_not_found' };
    if (parent.thread_ts !== undefined && parent.thread_ts !== parent.ts)
      return {
        ok: false,
        error: 'invalid_thread_ts',
        errors: [`thread_ts ${String(threadTs)} is a reply; use its parent's ts ${parent.thread_ts}`],
      };
    return undefined;
  };

  let rejectedTypes = new Set(opts.rejectBlockTypes ?? []);
  let socketUrl: (() => string) | undefined;
  const refusals = new Set<FakeRefusal>();

  const blocksRejection = (params: Record<string, unknown>): Record<string, unknown> | undefined => {
    if (params.blocks === undefined) return undefined;
    const problems = blockKitProblems(params.blocks);
    if (Array.isArray(params.blocks)) {
      params.blocks.forEach((b, i) => {
        if (isRecord(b) && typeof b.type === 'string' && rejectedTypes.has(b.type))
          problems.push(`block ${i}: block type ${b.type} is not accepted in this workspace`);
      });
    }
    if (problems.length === 0) return undefined;
    return {
      ok: false,
      error: 'invalid_blocks',
      errors: problems,
      response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
    };
  };

  const warnAbout = (method: string, params: Record<string, unknown>): void => {
    for (const message of messageWarnings(params)) warnings.push({ method, message });
  };

  type Handler = (params: Record<string, unknown>) => Record<string, unknown>;
  const methods: Record<string, Handler> = {
    'auth.test': () => ({
      ok: true,
      url: 'https://fake.slack.test/',
      team: 'Fake Team',
      user: 'trailbot',
      team_id: opts.teamId ?? 'T000FAKE',
      user_id: opts.botUserId ?? 'U000BOT',
      bot_id: opts.botId ?? 'B000BOT',
    }),
    'chat.postMessage': (p) => {
      const channel = str(p.channel);
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (!str(p.text) && p.blocks === undefined) return { ok: false, error: 'no_text' };
      const rejection = blocksRejection(p) ?? threadProblem(channel, p.thread_ts);
      if (rejection) return rejection;
      warnAbout('chat.postMessage', p);
      const message: FakeMessage = {
        channel,
        ts: nextTs(),
        thread_ts: str(p.thread_ts),
        text: typeof p.text === 'string' ? p.text : undefined,
        blocks: Array.isArray(p.blocks) ? p.blocks : undefined,
        history: [],
      };
      messages.push(message);
      return { ok: true, channel, ts: message.ts, message: { type: 'message', text: message.text, ts: message.ts } };
    },
    'chat.update': (p) => {
      const message = findMessage(p.channel, p.ts);
      if (!message) return { ok: false, error: 'message_not_found' };
      const rejection = blocksRejection(p);
      if (rejection) return rejection;
      warnAbout('chat.update', p);
      message.history.push({ text: message.text, blocks: message.blocks });
      if (typeof p.text === 'string') message.text = p.text;
      if (p.blocks !== undefined) message.blocks = Array.isArray(p.blocks) ? p.blocks : undefined;
      return { ok: true, channel: message.channel, ts: message.ts, text: message.text };
    },
    'chat.postEphemeral': (p) => {
      const channel = str(p.channel);
      const user = str(p.user);
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (!user) return { ok: false, error: 'user_not_in_channel' };
      if (!str(p.text) && p.blocks === undefined) return { ok: false, error: 'no_text' };
      const rejection = blocksRejection(p);
      if (rejection) return rejection;
      warnAbout('chat.postEphemeral', p);
      const e: FakeEphemeral = {
        channel,
        user,
        text: typeof p.text === 'string' ? p.text : undefined,
        blocks: Array.isArray(p.blocks) ? p.blocks : undefined,
        thread_ts: str(p.thread_ts),
        message_ts: nextTs(),
      };
      ephemerals.push(e);
      return { ok: true, message_ts: e.message_ts };
    },
    'files.getUploadURLExternal': (p) => {
      const filename = str(p.filename);
      const length = Number(p.length);
      if (!filename || !Number.isInteger(length) || length <= 0)
        return {
          ok: false,
          error: 'invalid_arguments',
          errors: ['filename and a positive integer length are required'],
        };
      const file: FakeFile = { id: nextId('F'), filename, length, completed: false };
      files.push(file);
      return { ok: true, upload_url: `${base}upload/${file.id}`, file_id: file.id };
    },
    'files.completeUploadExternal': (p) => {
      if (!Array.isArray(p.files) || p.files.length === 0) return { ok: false, error: 'invalid_arguments' };
      const entries = p.files.map((f) => (isRecord(f) ? f : {}));
      const found: FakeFile[] = [];
      for (const entry of entries) {
        const file = files.find((f) => f.id === entry.id);
        if (!file) return { ok: false, error: 'file_not_found' };
        if (!file.bytes)
          return { ok: false, error: 'file_upload_not_found', errors: [`${file.id} was never uploaded`] };
        found.push(file);
      }
      const channelId = str(p.channel_id);
      const threadTs = str(p.thread_ts);
      if (threadTs && !channelId)
        return { ok: false, error: 'invalid_arguments', errors: ['thread_ts requires channel_id'] };
      const rejection = blocksRejection(p) ?? threadProblem(channelId, threadTs);
      if (rejection) return rejection;
      found.forEach((file, i) => {
        file.completed = true;
        file.title = str(entries[i].title) ?? file.filename;
        file.channel_id = channelId;
        file.thread_ts = threadTs;
        file.initial_comment = str(p.initial_comment);
      });
      return {
        ok: true,
        files: found.map((f) => ({ id: f.id, name: f.filename, title: f.title, size: f.bytes?.length ?? 0 })),
      };
    },
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain' : 'application/json; charset=utf-8',
      ...headers,
    });
    res.end(text);
  };

  /** Applies a scheduled failure, if any; returns true when the request was answered with it. */
  const failIfScheduled = (method: string, params: Record<string, unknown>, res: ServerResponse): boolean => {
    const scheduled = failures.get(method);
    if (!scheduled) return false;
    scheduled.remaining--;
    if (scheduled.remaining <= 0) failures.delete(method);
    const f = scheduled.failure;
    if ('error' in f) {
      const response = { ok: false, error: f.error };
      calls.push({ method, params, status: 200, response });
      send(res, 200, response);
    } else if ('retryAfter' in f) {
      const response = { ok: false, error: 'ratelimited' };
      calls.push({ method, params, status: 429, response });
      send(res, 429, response, { 'retry-after': String(f.retryAfter) });
    } else {
      calls.push({ method, params, status: f.status, response: undefined });
      send(res, f.status, 'fake failure');
    }
    return true;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const contentType = String(req.headers['content-type'] ?? '');
    const authorization = typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined;
    const raw = await readBody(req);

    if (url.pathname.startsWith('/upload/')) {
      const id = url.pathname.slice('/upload/'.length);
      if (failIfScheduled('upload', { id }, res)) return;
      const file = files.find((f) => f.id === id);
      if (!file) {
        calls.push({ method: 'upload', params: { id }, status: 404, response: undefined });
        send(res, 404, 'no such upload');
        return;
      }
      const bytes = await uploadedBytes(contentType, raw);
      file.bytes = bytes;
      if (bytes.length !== file.length)
        warnings.push({ method: 'upload', message: `${id}: ${bytes.length} bytes uploaded, ${file.length} declared` });
      calls.push({ method: 'upload', params: { id, bytes: bytes.length }, status: 200, response: undefined });
      send(res, 200, `OK - ${bytes.length}`);
      return;
    }

    if (url.pathname.startsWith('/response/')) {
      const id = url.pathname.slice('/response/'.length);
      const body = decodeParams(contentType, raw);
      if (failIfScheduled('response', { id, ...body }, res)) return;
      // Block Kit limits hold for response_url messages too. Slack's exact answer to a refused one is not documented;
      // an HTTP 400 with `invalid_blocks` makes Bolt's respond() throw, so a test sees it.
      const rejection = blocksRejection(body);
      if (rejection) {
        calls.push({ method: 'response', params: { id, ...body }, status: 400, response: rejection });
        send(res, 400, rejection);
        return;
      }
      warnAbout('response', body);
      responses.push({ id, body });
      calls.push({ method: 'response', params: { id, ...body }, status: 200, response: { ok: true } });
      send(res, 200, { ok: true });
      return;
    }

    if (!url.pathname.startsWith('/api/')) {
      send(res, 404, 'not found');
      return;
    }
    const method = url.pathname.slice('/api/'.length);
    let params: Record<string, unknown>;
    try {
      params = decodeParams(contentType, raw);
    } catch (e) {
      const response = { ok: false, error: 'invalid_form_data', errors: [(e as Error).message] };
      calls.push({ method, params: {}, status: 200, response, authorization });
      send(res, 200, response);
      return;
    }
    if (failIfScheduled(method, params, res)) return;
    let response: Record<string, unknown>;
    let refused: string | undefined;
    for (const rule of refusals) refused ??= rule(method, params);
    if (method === 'apps.connections.open') {
      // Slack documents that this method takes the app-level token, and only in the Authorization header (as a POST
      // parameter it is an error): https://api.slack.com/methods/apps.connections.open. So `opts.token` (the bot
      // token) is not what is checked here.
      const bearer = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
      const wanted = opts.appToken === undefined ? bearer?.startsWith('xapp-') : bearer === opts.appToken;
      if (!wanted) response = { ok: false, error: 'invalid_auth' };
      else if (refused !== undefined) response = { ok: false, error: refused };
      else response = socketUrl ? { ok: true, url: socketUrl() } : { ok: false, error: 'unknown_method' };
    } else if (opts.token !== undefined && authorization !== `Bearer ${opts.token}` && params.token !== opts.token) {
      response = { ok: false, error: 'invalid_auth' };
    } else if (refused !== undefined) {
      response = { ok: false, error: refused };
    } else {
      const handler = methods[method];
      response = handler ? handler(params) : { ok: false, error: 'unknown_method' };
    }
    calls.push({ method, params, status: 200, response, authorization });
    send(res, 200, response);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, `fake slack crashed: ${(e as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}/`;

  return {
    url: `${base}api/`,
    calls,
    messages,
    ephemerals,
    files,
    responses,
    warnings,
    responseUrl: (id = nextId('R')) => `${base}response/${id}`,
    clearFailures: () => failures.clear(),
    rejectBlockTypes: (types) => {
      rejectedTypes = new Set(types);
    },
    refuse: (rule) => {
      refusals.add(rule);
      return () => refusals.delete(rule);
    },
    failNext: (method, failure, times = 1) => {
      failures.set(method, { failure, remaining: times });
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    serveSocketMode: (nextUrl) => {
      socketUrl = nextUrl;
      return () => {
        if (socketUrl === nextUrl) socketUrl = undefined;
      };
    },
    seedMessage: (channel, text = 'seeded') => {
      const message: FakeMessage = { channel, ts: nextTs(), text, history: [] };
      messages.push(message);
      return message;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
