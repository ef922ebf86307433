import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { WebClient } from '@slack/web-api';
import { TrailError } from '../../core/errors';
import type { ExecutionRecord } from '../../core/execution';
import type { Publisher, Recipient, ResultRows, ResultSummary } from '../../core/publisher';
import type { PivotFinder } from '../../dispatch/pivots';
import { formatBytes } from '../../time/format';
import { UTF8_BOM } from '../../util/csv-name';
import { oneLine } from '../../util/echo';
import { uploadChart } from './chart-upload';
import { escapeMrkdwn, truncate } from './escape';
import type { ResultRenderOptions, SlackMessage } from './kit';
import type { TrailLogger } from './logger';
import {
  csvFileName,
  renderConfirmation,
  renderFailure,
  renderParent,
  renderPlainParent,
  renderResult,
} from './messages';
import { LAYOUT_ERRORS, SlackPublishError, toPublishError } from './publish-errors';
import { renderPlainResult, renderRowsPage } from './tables';

/** One way to render a message, named for the log. `blocks` undefined = text only. */
interface Rendering {
  name: string;
  message: () => { text: string; blocks?: SlackMessage['blocks'] };
}

const BOM_BYTES = Buffer.from(UTF8_BOM, 'utf8');

export interface SlackPublisherOptions {
  /** The bot-token client, shared with the Bolt app (see createWebClient / createSlackApp). */
  client: WebClient;
  /** IANA zone windows are shown in. */
  timeZone: string;
  logger?: TrailLogger;
  /** Shortest time between two progress updates of the same parent (default 10 s; chat.update is Tier 3). */
  progressIntervalMs?: number;
  /** Clock for progress throttling (default Date.now). */
  now?: () => number;
  /** fetch used for response_url (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Table rendering of the result reply. */
  result?: Omit<ResultRenderOptions, 'timeZone' | 'now'>;
  /**
   * Start the uploaded CSV with a UTF-8 byte-order mark (default true). A CSV clicked in a Slack thread usually opens
   * in Excel, which reads a file without the mark in the system's legacy code page and garbles non-ASCII user names;
   * Sheets, LibreOffice, Numbers and pandas all accept the mark. The file on disk keeps none (scripts read it).
   */
  csvBom?: boolean;
  /** The next questions a shown row offers (src/dispatch/pivots.ts); without it the answer has no pivot buttons. */
  pivots?: PivotFinder;
}

/** Posts executions into Slack: parent in the channel, results and CSV in its thread, final state on the parent. */
export class SlackPublisher implements Publisher {
  private readonly client: WebClient;
  private readonly timeZone: string;
  private readonly logger: TrailLogger;
  private readonly progressIntervalMs: number;
  private readonly now: () => number;
  private readonly fetchFn: typeof fetch;
  private readonly resultOptions: Omit<ResultRenderOptions, 'timeZone' | 'now'>;
  private readonly csvBom: boolean;
  private readonly pivots?: PivotFinder;
  /** When each running execution's parent was last written, for progress throttling. */
  private readonly lastParentWrite = new Map<string, number>();

  constructor(o: SlackPublisherOptions) {
    this.client = o.client;
    this.timeZone = o.timeZone;
    this.logger = o.logger ?? console;
    this.progressIntervalMs = o.progressIntervalMs ?? 10_000;
    this.now = o.now ?? Date.now;
    this.fetchFn = o.fetch ?? globalThis.fetch;
    this.resultOptions = o.result ?? {};
    this.csvBom = o.csvBom ?? true;
    this.pivots = o.pivots;
  }

  async announce(execution: ExecutionRecord): Promise<string | undefined> {
    const o = { timeZone: this.timeZone };
    const res = await this.withFallbacks(
      'announce the query',
      [
        { name: 'blocks', message: () => renderParent(execution, o) },
        { name: 'plain text', message: () => renderPlainParent(execution, o) },
      ],
      // A question asked in a thread (a mention, a pivot) is announced in that thread, not in the channel.
      (message) =>
        this.client.chat.postMessage({
          channel: execution.channelId,
          ...(execution.threadTs !== undefined ? { thread_ts: execution.threadTs } : {}),
          ...message,
        }),
    );
    this.lastParentWrite.set(execution.id, this.now());
    return requireTs('announce the query', res.ts);
  }

  /**
   * Shows the elapsed time on the parent, at most once per `progressIntervalMs`. A failed progress update is logged
   * and not thrown: it loses nothing (the final update replaces it) and must not fail a running query.
   */
  async progress(execution: ExecutionRecord, elapsedMs: number): Promise<void> {
    if (execution.parentRef === undefined) return;
    const last = this.lastParentWrite.get(execution.id);
    const now = this.now();
    if (last !== undefined && now - last < this.progressIntervalMs) return;
    this.lastParentWrite.set(execution.id, now);
    const message = renderParent(execution, { timeZone: this.timeZone, elapsedMs });
    try {
      await this.client.chat.update({
        channel: execution.channelId,
        ts: execution.parentRef,
        text: message.text,
        blocks: message.blocks,
      });
    } catch (err) {
      this.logger.warn(`progress update of ${execution.id} failed (the final update will replace it)`, err);
    }
  }

  async postResult(execution: ExecutionRecord, result: ResultSummary): Promise<string | undefined> {
    const parent = this.parentOf(execution, 'post the result');
    const o = { ...this.resultOptions, timeZone: this.timeZone, ...(this.pivots ? { pivots: this.pivots } : {}) };
    // Issue 12: a layout Slack refuses for good (a workspace without table blocks) must not lose the answer. Each
    // rendering is simpler than the one before; the last one is text only, which no block check can refuse.
    const renderings: Rendering[] = [];
    if (o.table !== 'monospace')
      renderings.push({ name: 'table', message: () => renderResult(execution, result, { ...o, table: 'block' }) });
    renderings.push(
      { name: 'aligned text', message: () => renderResult(execution, result, { ...o, table: 'monospace' }) },
      { name: 'plain summary', message: () => renderPlainResult(execution, result, o) },
    );
    const res = await this.withFallbacks('post the result', renderings, (message) =>
      this.client.chat.postMessage({ channel: execution.channelId, thread_ts: parent, ...message }),
    );
    return requireTs('post the result', res.ts);
  }

  /** More rows of an answer in its thread ("Show next 20 rows"), as a table or, where refused, aligned text. */
  async postRows(execution: ExecutionRecord, rows: ResultRows): Promise<string | undefined> {
    const parent = this.parentOf(execution, 'post more rows');
    const o = { ...this.resultOptions, timeZone: this.timeZone };
    const renderings: Rendering[] = (
      o.table === 'monospace' ? (['monospace'] as const) : (['block', 'monospace'] as const)
    ).map((table) => ({ name: table, message: () => renderRowsPage(execution, rows, { ...o, table }) }));
    const res = await this.withFallbacks('post more rows', renderings, (message) =>
      this.client.chat.postMessage({ channel: execution.channelId, thread_ts: parent, ...message }),
    );
    return requireTs('post more rows', res.ts);
  }

  async uploadCsv(execution: ExecutionRecord, result: ResultSummary): Promise<string | undefined> {
    const parent = this.parentOf(execution, 'upload the CSV');
    let fileSize: number;
    try {
      fileSize = (await stat(result.csvPath)).size;
    } catch (err) {
      throw new TrailError('CSV_MISSING', `The result file ${result.csvPath} cannot be read; re-run the query.`, {
        cause: err,
      });
    }
    if (fileSize === 0) {
      // files.getUploadURLExternal needs a positive length; a spooled CSV always has a header, so this is a bug.
      throw new TrailError('CSV_EMPTY', `The result file ${result.csvPath} is empty; re-run the query.`);
    }
    const rows = result.totalRows.toLocaleString('en-US');
    const filename = csvFileName(execution);
    const bom = this.csvBom ? BOM_BYTES : Buffer.alloc(0);
    const size = fileSize + bom.length;
    const body = async function* (): AsyncGenerator<Buffer> {
      if (bom.length) yield bom;
      yield* createReadStream(result.csvPath);
    };
    // The three steps of files.uploadV2 (getUploadURLExternal, POST to upload_url, completeUploadExternal; Slack
    // docs, https://docs.slack.dev/reference/methods/files.completeUploadExternal/), done here so the file is streamed
    // from disk: WebClient 8.2 reads it into memory and copies it twice more for its multipart body, which put a
    // 100,000-row answer's upload at 361 MB RSS in the soak suite.
    const target = await this.call('upload the CSV', () =>
      this.client.files.getUploadURLExternal({ filename, length: size }),
    );
    if (!target.upload_url || !target.file_id) {
      throw new SlackPublishError('upload the CSV', 'no_upload_url', true, 'Slack did not return an upload URL.');
    }
    const uploadUrl = target.upload_url;
    let response: Response;
    try {
      response = await this.fetchFn(uploadUrl, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', 'content-length': String(size) },
        body: Readable.toWeb(Readable.from(body())) as ReadableStream<Uint8Array>,
        duplex: 'half',
      } as RequestInit);
    } catch (err) {
      throw new SlackPublishError(
        'upload the CSV',
        'upload_failed',
        true,
        `Sending the CSV to Slack failed: ${String(err)}`,
      );
    }
    if (!response.ok) {
      const retryable = response.status === 429 || response.status >= 500;
      throw new SlackPublishError(
        'upload the CSV',
        `http_${response.status}`,
        retryable,
        `Slack refused the CSV (HTTP ${response.status}).`,
      );
    }
    await this.call('upload the CSV', () =>
      this.client.files.completeUploadExternal({
        files: [
          { id: target.file_id!, title: truncate(oneLine(`/trail ${execution.commandText} (${rows} rows)`), 250) },
        ],
        channel_id: execution.channelId,
        thread_ts: parent,
        initial_comment: `All ${rows} rows as CSV (${formatBytes(size)}).`,
      }),
    );
    // The answer's timeline goes next to its CSV (issue 17). Best effort: a chart that fails is logged, and the answer
    // stands.
    await uploadChart({
      client: this.client,
      logger: this.logger,
      execution,
      result,
      threadTs: parent,
      csvName: filename,
    });
    return target.file_id;
  }

  async postFailure(execution: ExecutionRecord): Promise<string | undefined> {
    const o = { timeZone: this.timeZone };
    // Without a parent (the failure came before the announcement) the notice goes to the channel itself.
    const res = await this.withFallbacks(
      'post the failure',
      [
        { name: 'blocks', message: () => renderFailure(execution, o) },
        { name: 'plain text', message: () => ({ text: renderFailure(execution, o).text }) },
      ],
      (message) =>
        this.client.chat.postMessage({
          channel: execution.channelId,
          ...(threadOf(execution) !== undefined ? { thread_ts: threadOf(execution) } : {}),
          ...message,
        }),
    );
    return requireTs('post the failure', res.ts);
  }

  async updateParent(execution: ExecutionRecord): Promise<void> {
    this.lastParentWrite.delete(execution.id);
    if (execution.parentRef === undefined) {
      this.logger.debug(`execution ${execution.id} has no parent message to update`);
      return;
    }
    const parentRef = execution.parentRef;
    const o = { timeZone: this.timeZone };
    // The plain rendering still sends one section: an update without `blocks` would keep the old ones (and the
    // Cancel button of a query that has finished).
    await this.withFallbacks(
      'update the query message',
      [
        { name: 'blocks', message: () => renderParent(execution, o) },
        { name: 'plain text', message: () => renderPlainParent(execution, o) },
      ],
      (message) => this.client.chat.update({ channel: execution.channelId, ts: parentRef, ...message }),
    );
  }

  /**
   * An ephemeral message. Through the response_url when there is one (works in channels trailbot is not in); Slack
   * allows 5 uses within 30 minutes of the command (Slack docs, "Implementing slash commands"), so an expired or
   * used-up URL falls back to chat.postEphemeral. `text` is trailbot's own mrkdwn (it may hold links and code); callers
   * escape user values in it.
   */
  async askConfirmation(to: Recipient, text: string, token: string): Promise<void> {
    await this.ephemeral(to, renderConfirmation(text, token));
  }

  async notify(to: Recipient, text: string): Promise<void> {
    await this.ephemeral(to, { text: truncate(text, 3000) });
  }

  /** Only the asker sees it: through the command's response_url when there is one, else chat.postEphemeral. */
  private async ephemeral(to: Recipient, message: { text: string; blocks?: SlackMessage['blocks'] }): Promise<void> {
    const body = message.text;
    if (to.responseUrl !== undefined) {
      try {
        const res = await this.fetchFn(to.responseUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            response_type: 'ephemeral',
            replace_original: false,
            text: body,
            blocks: message.blocks,
          }),
        });
        if (res.ok) return;
        this.logger.warn(`response_url answered HTTP ${res.status}; falling back to chat.postEphemeral`);
      } catch (err) {
        this.logger.warn('response_url failed; falling back to chat.postEphemeral', err);
      }
    }
    await this.call('send a private message', () =>
      this.client.chat.postEphemeral({
        channel: to.channelId,
        user: to.userId,
        text: body,
        blocks: message.blocks,
        // Shown in the thread the question was asked in (a mention has no response_url).
        ...(to.threadTs !== undefined ? { thread_ts: to.threadTs } : {}),
      }),
    );
  }

  private parentOf(execution: ExecutionRecord, step: string): string {
    if (execution.parentRef === undefined) {
      throw new SlackPublishError(
        step,
        'no_parent',
        false,
        `Cannot ${step}: execution ${execution.id} has no parent message in ${escapeMrkdwn(execution.channelId)}.`,
      );
    }
    // Slack threads have one level: the parent of a question asked in a thread is itself a reply, so the answer goes
    // to the thread's root ("use its parent's ts", chat.postMessage's thread_ts).
    return execution.threadTs ?? execution.parentRef;
  }

  /**
   * Sends the first rendering; when Slack refuses its layout for good (LAYOUT_ERRORS), the next one, and so on. Any
   * other error is thrown at once (a retry of the same rendering may pass later). The last refusal is thrown when
   * every rendering was refused.
   */
  private async withFallbacks<T>(
    step: string,
    renderings: Rendering[],
    send: (message: { text: string; blocks?: SlackMessage['blocks'] }) => Promise<T>,
  ): Promise<T> {
    let refused: SlackPublishError | undefined;
    for (const rendering of renderings) {
      const message = rendering.message();
      try {
        return await this.call(step, () => send(message));
      } catch (err) {
        if (!(err instanceof SlackPublishError) || !LAYOUT_ERRORS.has(err.slackError ?? '')) throw err;
        refused = err;
        this.logger.warn(`Slack refused the ${rendering.name} rendering (${err.slackError}); trying a simpler one`);
      }
    }
    throw refused ?? new SlackPublishError(step, undefined, false, `Nothing to send (${step}).`);
  }

  private async call<T>(step: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const error = toPublishError(step, err);
      this.logger.warn(`Slack: could not ${step} (${error.slackError ?? 'unknown'}; retryable: ${error.retryable})`);
      throw error;
    }
  }
}

/** The thread an execution's replies go to: the one it was asked in, else its own parent's. */
function threadOf(e: ExecutionRecord): string | undefined {
  return e.threadTs ?? e.parentRef;
}

function requireTs(step: string, ts: string | undefined): string {
  if (ts === undefined)
    throw new SlackPublishError(step, 'no_ts', true, `Slack did not return a message id (${step}).`);
  return ts;
}
