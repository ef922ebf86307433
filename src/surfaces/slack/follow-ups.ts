/**
 * When the slow part of a command (`Prepared.run()`: pre-flight, the store's writes, the query, the answer) may
 * start. Slack wants the HTTP 200 "within 3000 milliseconds" (Slack docs, "Implementing slash commands"), and every
 * ack needs the event loop a few times (reading the body, checking the signature, Bolt's middleware, writing the
 * response). Started at once, the follow-up work of the first commands of a burst (a synchronous walk of the log
 * files for the cost estimate, the in-process dynalite's writes, answers being published) takes those turns from the
 * commands still waiting for their ack: measured with `npm run bench -- slack`, a burst of 200 commands waited up to
 * 1–4 s for acks a plain Bolt app gives in ~0.1–0.2 s.
 *
 * So a follow-up waits in a queue while any request is still being answered and until no new one has come in for
 * `quietMs` (during a burst the receiver is often between two requests for a moment: a follow-up started then would
 * hold up the next ones), and queued follow-ups start one per turn of the loop (`setImmediate`, after pending I/O),
 * so a request that arrives meanwhile is read between two of them. Nothing is dropped: a follow-up waits at most
 * `maxHoldMs` (a steady stream of requests cannot starve it), and `flush()` starts every queued one at once
 * (shutdown), after which nothing waits for the receiver. Socket Mode has no HTTP requests to count: its follow-ups
 * only wait for the next turn.
 */
export interface FollowUpOptions {
  /** The longest a follow-up waits for the receiver to go quiet before it starts anyway. Default 2,000 ms. */
  maxHoldMs?: number;
  /** How long after the last request came in the receiver counts as quiet. Default 50 ms. */
  quietMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export class FollowUps {
  private answering = 0;
  private lastBegan = Number.NEGATIVE_INFINITY;
  private readonly queue: { work: () => void; since: number }[] = [];
  private turn: NodeJS.Immediate | undefined;
  private holdTimer: NodeJS.Timeout | undefined;
  private readonly maxHoldMs: number;
  private readonly quietMs: number;
  private readonly now: () => number;
  /** flush() was called: the app is stopping, and nothing waits for the receiver any more. */
  private stopped = false;

  constructor(options: FollowUpOptions = {}) {
    this.maxHoldMs = options.maxHoldMs ?? 2000;
    this.quietMs = options.quietMs ?? 50;
    this.now = options.now ?? (() => performance.now());
  }

  /** A request came in; the function returned says it was answered (call it once; later calls do nothing). */
  requestBegan(): () => void {
    this.answering++;
    this.lastBegan = this.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.answering--;
      if (this.answering === 0) this.schedule();
    };
  }

  /** Requests received and not answered yet. */
  get pendingRequests(): number {
    return this.answering;
  }

  /** Follow-ups queued and not started yet. */
  get queued(): number {
    return this.queue.length;
  }

  /** Starts `work` once no request is waiting for its answer (or after maxHoldMs). Never throws, never drops it. */
  later(work: () => void): void {
    this.queue.push({ work, since: this.now() });
    this.schedule();
  }

  /**
   * Resolves as `later` would start a follow-up: for work already under way (an answer being collected and posted)
   * that should let the requests waiting for their acks go first at each of its steps (RunnerOptions.pace).
   */
  quiet(): Promise<void> {
    return new Promise((resolve) => this.later(resolve));
  }

  /** Starts every queued follow-up now (the app is stopping: the queue must not be lost with the process). */
  flush(): void {
    this.stopped = true;
    this.clearTimers();
    for (const item of this.queue.splice(0)) this.startOne(item.work);
  }

  private schedule(): void {
    if (this.turn !== undefined || this.queue.length === 0) return;
    this.turn = setImmediate(() => {
      this.turn = undefined;
      this.pump();
    });
  }

  private pump(): void {
    const head = this.queue[0];
    if (head === undefined) return;
    const now = this.now();
    const holdLeft = this.maxHoldMs - (now - head.since);
    const quietLeft = this.quietMs - (now - this.lastBegan);
    // Once stopping, a request still half-read (it will not be answered) must not hold the drives being finished.
    if (!this.stopped && holdLeft > 0 && (this.answering > 0 || quietLeft > 0)) {
      // Woken again by the last answer's end (requestBegan's callback), once the receiver has been quiet long
      // enough, or when the hold runs out, whichever comes first.
      this.wakeIn(this.answering > 0 ? holdLeft : Math.min(holdLeft, quietLeft));
      return;
    }
    this.queue.shift();
    this.startOne(head.work);
    if (this.queue.length === 0) this.clearTimers();
    else this.schedule();
  }

  private wakeIn(ms: number): void {
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.holdTimer = setTimeout(
      () => {
        this.holdTimer = undefined;
        this.schedule();
      },
      Math.max(1, Math.ceil(ms)),
    );
  }

  private startOne(work: () => void): void {
    try {
      work();
    } catch {
      // `work` reports its own failures (the listener wraps run() in a catch); a throw must not stop the queue.
    }
  }

  private clearTimers(): void {
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    if (this.turn !== undefined) clearImmediate(this.turn);
    this.turn = undefined;
  }
}
