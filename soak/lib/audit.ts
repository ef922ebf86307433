/**
 * Counting what Slack received against what the store says: "every execution published exactly once" and "every
 * command answered exactly once", as numbers a soak reports (and a test asserts).
 */
import type { ExecutionRecord } from '../../src/core/execution';
import type { FakeMessage } from '../../test/helpers/fake-slack';
import type { CommandResult } from './bot';
import type { TimedFakeSlack } from './slack';

export interface PublicationAudit {
  executions: number;
  published: number;
  /** Executions not PUBLISHED. */
  unfinished: number;
  /** Executions with exactly one result-or-failure reply in their thread. */
  answeredOnce: number;
  /** Executions with no result-or-failure reply (lost). */
  noReply: number;
  /** Executions with more than one reply (published twice). */
  repliedTwice: number;
  /** Executions whose parent message appears more than once or not at all (with a recorded parentRef). */
  parentProblems: number;
  /** Executions with more than one CSV in their thread. */
  csvTwice: number;
  /** Executions that recorded a CSV (fileRef) that is not a completed upload in their thread. */
  csvMissing: number;
  /** Top-level trailbot messages and thread replies that belong to no execution (a duplicate announce or reply). */
  orphanMessages: number;
  /** Slack calls answered `invalid_blocks` by the fake (a message that broke a Block Kit limit). */
  invalidBlocks: number;
  /** The fake's soft warnings (missing text fallback, very long text). */
  warnings: number;
  /** Per execution id: when its first reply arrived (Date.now()). */
  replyAt: Map<string, number>;
  /** Ids of executions with a problem, for the report. */
  problemIds: string[];
}

/** Top-level messages the soak itself did not post: every one should be an execution's parent (or its failure). */
export function auditPublications(fake: TimedFakeSlack, executions: readonly ExecutionRecord[]): PublicationAudit {
  const byThread = new Map<string, FakeMessage[]>();
  const topLevel = new Map<string, FakeMessage[]>();
  for (const m of fake.messages) {
    const key = `${m.channel} ${m.thread_ts ?? m.ts}`;
    const map = m.thread_ts && m.thread_ts !== m.ts ? byThread : topLevel;
    map.set(key, [...(map.get(key) ?? []), m]);
  }
  const claimedTop = new Set<string>();
  const claimedThreads = new Set<string>();
  const audit: PublicationAudit = {
    executions: executions.length,
    published: 0,
    unfinished: 0,
    answeredOnce: 0,
    noReply: 0,
    repliedTwice: 0,
    parentProblems: 0,
    csvTwice: 0,
    csvMissing: 0,
    orphanMessages: 0,
    invalidBlocks: fake.calls.filter((c) => c.response?.error === 'invalid_blocks').length,
    warnings: fake.warnings.length,
    replyAt: new Map(),
    problemIds: [],
  };
  for (const e of executions) {
    let problem = false;
    if (e.state === 'PUBLISHED') audit.published++;
    else {
      audit.unfinished++;
      problem = true;
    }
    let replies: FakeMessage[];
    if (e.parentRef !== undefined) {
      const key = `${e.channelId} ${e.parentRef}`;
      claimedTop.add(key);
      claimedThreads.add(key);
      const parents = topLevel.get(key) ?? [];
      if (parents.length !== 1) {
        audit.parentProblems++;
        problem = true;
      }
      replies = byThread.get(key) ?? [];
      // The CSVs only: an answer with a timeline also gets its chart PNG in the thread (issue 17).
      const files = fake.files.filter(
        (f) =>
          f.completed && f.channel_id === e.channelId && f.thread_ts === e.parentRef && f.filename.endsWith('.csv'),
      );
      if (files.length > 1) {
        audit.csvTwice++;
        problem = true;
      }
      if (e.fileRef !== undefined && e.fileRef !== '-' && !files.some((f) => f.id === e.fileRef)) {
        audit.csvMissing++;
        problem = true;
      }
    } else {
      // A failure before the announcement is posted in the channel itself (SlackPublisher.postFailure).
      const key = `${e.channelId} ${e.resultRef}`;
      claimedTop.add(key);
      replies = e.resultRef !== undefined ? (topLevel.get(key) ?? []) : [];
    }
    if (replies.length === 1) audit.answeredOnce++;
    else if (replies.length === 0) {
      audit.noReply++;
      problem = true;
    } else {
      audit.repliedTwice++;
      problem = true;
    }
    const first = replies[0];
    const at = first ? fake.arrivedAt(first) : undefined;
    if (at !== undefined) audit.replyAt.set(e.id, at);
    if (problem) audit.problemIds.push(e.id);
  }
  for (const [key, list] of topLevel) if (!claimedTop.has(key)) audit.orphanMessages += list.length;
  for (const [key, list] of byThread) if (!claimedThreads.has(key)) audit.orphanMessages += list.length;
  return audit;
}

export type CommandKind = 'query' | 'duplicate' | 'burst' | 'bad' | 'help' | 'sql' | 'history' | 'status';

export interface SentCommand {
  index: number;
  kind: CommandKind;
  text: string;
  userId: string;
  channelId: string;
  /** The id in its response_url (`…/response/<id>`): every ephemeral answer to it lands there. */
  responseId: string;
  result?: CommandResult;
}

export type AnswerKind = 'reply' | 'execution' | 'duplicate' | 'limited' | 'history' | 'status' | 'sorry' | 'other';

/** What an ephemeral answer posted to a response_url is. */
export function classifyNotice(text: string): AnswerKind {
  if (/^The same question (was just answered|is already running) in this channel/.test(text)) return 'duplicate';
  if (/^You already have \d+ questions? running/.test(text) || /^This channel already has \d+/.test(text))
    return 'limited';
  if (/^Sorry, that did not work/.test(text)) return 'sorry';
  if (/^Last \d+ questions in this channel|^No questions have been asked/.test(text)) return 'history';
  if (/^`\w+` · |^There is no execution/.test(text)) return 'status';
  return 'other';
}

export interface AnswerAudit {
  commands: number;
  /** Commands with exactly one answer (an ack reply, an ephemeral notice, or an execution). */
  answeredOnce: number;
  unanswered: number;
  answeredTwice: number;
  byAnswer: Record<string, number>;
  /** Acks that were not HTTP 200. */
  ackFailures: number;
  ackMs: number[];
  /** From sending the command to its result reply arriving in the thread, for commands that started an execution. */
  endToEndMs: number[];
  /** From sending the command to its ephemeral notice arriving (dedupe, limit, history, status). */
  noticeMs: number[];
  /** Dedupe notices that name an execution the store does not have. */
  dedupeDangling: number;
  /** Intentional duplicates (same text, same channel, moments later) that were answered with a dedupe notice. */
  duplicatesDeduped: number;
  duplicatesSent: number;
  /** Commands of a burst from one user that were refused by the per-user limit. */
  burstLimited: number;
  burstSent: number;
  /** Rejections (ack replies to bad input) with an empty text. */
  emptyRejections: number;
  /** Commands whose answer is unaccounted for, for the report. */
  problems: string[];
}

/** Who asked what where; the text as the dispatcher records it (trimmed, without a leading `/trail`). */
const keyOf = (channelId: string, userId: string, text: string) =>
  `${channelId}\n${userId}\n${text.trim().replace(/^\/trail\s+/i, '')}`;

function ackText(body: string): string | undefined {
  if (body.trim() === '') return undefined;
  try {
    const parsed = JSON.parse(body) as { text?: unknown };
    return typeof parsed.text === 'string' ? parsed.text : body;
  } catch {
    return body;
  }
}

export function auditAnswers(
  commands: readonly SentCommand[],
  fake: TimedFakeSlack,
  executions: readonly ExecutionRecord[],
  replyAt: ReadonlyMap<string, number>,
): AnswerAudit {
  const responsesById = new Map<string, { text: string; at: number | undefined }[]>();
  for (const r of fake.responses) {
    const list = responsesById.get(r.id) ?? [];
    list.push({ text: String(r.body.text ?? ''), at: fake.arrivedAt(r) });
    responsesById.set(r.id, list);
  }
  const ids = new Set(executions.map((e) => e.id));
  const executionsByKey = new Map<string, ExecutionRecord[]>();
  for (const e of executions) {
    if (e.surface !== 'slack') continue;
    const key = keyOf(e.channelId, e.userId, e.commandText);
    executionsByKey.set(key, [...(executionsByKey.get(key) ?? []), e]);
  }
  for (const list of executionsByKey.values()) list.sort((a, b) => a.createdAt.localeCompare(b.createdAt));

  const audit: AnswerAudit = {
    commands: commands.length,
    answeredOnce: 0,
    unanswered: 0,
    answeredTwice: 0,
    byAnswer: {},
    ackFailures: 0,
    ackMs: [],
    endToEndMs: [],
    noticeMs: [],
    dedupeDangling: 0,
    duplicatesDeduped: 0,
    duplicatesSent: 0,
    burstLimited: 0,
    burstSent: 0,
    emptyRejections: 0,
    problems: [],
  };
  const count = (kind: AnswerKind) => {
    audit.byAnswer[kind] = (audit.byAnswer[kind] ?? 0) + 1;
  };
  // Commands whose answer must be an execution, by key, in the order they were sent.
  const waitingForExecution = new Map<string, SentCommand[]>();
  const answers = new Map<number, AnswerKind[]>();
  for (const c of commands) {
    const r = c.result;
    if (r?.status !== 200) {
      audit.ackFailures++;
      audit.problems.push(`#${c.index} \`${c.text.slice(0, 60)}\`: ack ${r?.status ?? 'none'} ${r?.error ?? ''}`);
      continue;
    }
    audit.ackMs.push(r.ackMs);
    if (c.kind === 'duplicate') audit.duplicatesSent++;
    if (c.kind === 'burst') audit.burstSent++;
    const mine: AnswerKind[] = [];
    const text = ackText(r.body);
    if (text !== undefined) {
      mine.push('reply');
      if (c.kind === 'bad' && text.trim() === '') audit.emptyRejections++;
    }
    for (const n of responsesById.get(c.responseId) ?? []) {
      const kind = classifyNotice(n.text);
      mine.push(kind);
      if (n.at !== undefined) audit.noticeMs.push(n.at - r.sentAt);
      if (kind === 'duplicate') {
        const id = /execution `(\w+)`/.exec(n.text)?.[1];
        if (!id || !ids.has(id)) audit.dedupeDangling++;
        if (c.kind === 'duplicate') audit.duplicatesDeduped++;
      }
      if (kind === 'limited' && c.kind === 'burst') audit.burstLimited++;
    }
    answers.set(c.index, mine);
    if (mine.length === 0) {
      const key = keyOf(c.channelId, c.userId, c.text);
      waitingForExecution.set(key, [...(waitingForExecution.get(key) ?? []), c]);
    }
  }
  // Executions answer the commands that got no other answer, in order; an execution nobody asked for is a problem.
  for (const [key, list] of executionsByKey) {
    const waiting = waitingForExecution.get(key) ?? [];
    list.forEach((e, i) => {
      const c = waiting[i];
      if (!c) {
        // No command was left waiting: if one with the same key got another answer (e.g. "Sorry, that did not work"),
        // it was answered twice; otherwise the execution answers nobody.
        const other = commands.filter(
          (x) => keyOf(x.channelId, x.userId, x.text) === key && answers.get(x.index)?.length,
        );
        const twice = other[other.length - 1];
        if (twice) answers.get(twice.index)?.push('execution');
        audit.problems.push(
          `execution ${e.id} (\`${e.commandText.slice(0, 60)}\`) answers no waiting command${twice ? `: #${twice.index} was already answered ${answers.get(twice.index)?.[0]}` : ''}`,
        );
        return;
      }
      answers.get(c.index)?.push('execution');
      const at = replyAt.get(e.id);
      if (at !== undefined && c.result) audit.endToEndMs.push(at - c.result.sentAt);
    });
  }
  for (const c of commands) {
    const mine = answers.get(c.index);
    if (!mine) continue;
    for (const kind of mine) count(kind);
    if (mine.length === 1) audit.answeredOnce++;
    else if (mine.length === 0) {
      audit.unanswered++;
      audit.problems.push(
        `#${c.index} ${c.kind} \`${c.text.slice(0, 60)}\` (${c.userId} in ${c.channelId}): no answer`,
      );
    } else {
      audit.answeredTwice++;
      audit.problems.push(`#${c.index} ${c.kind} \`${c.text.slice(0, 60)}\`: answered ${mine.join(' + ')}`);
    }
  }
  return audit;
}

/** Most executions unfinished at once for one key (user or channel): from creation until PUBLISHED. */
export function maxConcurrent(
  executions: readonly ExecutionRecord[],
  keyOfExecution: (e: ExecutionRecord) => string,
): { max: number; key: string | undefined } {
  const events = new Map<string, [number, number][]>();
  for (const e of executions) {
    if (e.surface === 'schedule') continue;
    const start = Date.parse(e.createdAt);
    const end = e.publishedAt ? Date.parse(e.publishedAt) : Number.POSITIVE_INFINITY;
    const key = keyOfExecution(e);
    const list = events.get(key) ?? [];
    list.push([start, 1], [end, -1]);
    events.set(key, list);
  }
  let best = { max: 0, key: undefined as string | undefined };
  for (const [key, list] of events) {
    // Ends before starts at the same instant: a slot freed and taken in one millisecond is not two at once.
    list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    for (const [, delta] of list) {
      now += delta;
      if (now > best.max) best = { max: now, key };
    }
  }
  return best;
}
