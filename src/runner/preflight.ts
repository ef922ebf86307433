import { randomUUID } from 'node:crypto';
import type { Recipient } from '../core/publisher';
import { CONFIRM_TTL_SECONDS, type QuerySubmission, type SubmitOutcome } from '../core/runner';
import { athenaCostUsd } from '../cost';
import { notifyQuietly, type RunnerContext } from './context';
import { confirmationNeeded, confirmByCommand, type Estimate, overDailyBudget } from './messages';

/**
 * Cost pre-flight: the bytes the window's partitions hold (S3 listing on Athena, file sizes locally), checked
 * against the asker's daily budget and the confirmation threshold before anything is recorded or started. Returns
 * the outcome that stops the question here, or undefined when it may run.
 */
export async function preflight(
  c: RunnerContext,
  s: QuerySubmission,
  to: Recipient,
): Promise<SubmitOutcome | undefined> {
  const cost = c.cost;
  if (!cost || !c.engine.estimate) return undefined;
  let sized: Awaited<ReturnType<NonNullable<typeof c.engine.estimate>>>;
  try {
    sized = await c.engine.estimate(s.query);
  } catch (err) {
    // Fail open: the estimate is a courtesy, the workgroup's per-query scan cutoff is the real guard. A bucket the
    // role may not list (a cross-account log archive), S3 SlowDown or a stalled socket must not stop the question.
    c.log.warn('cost estimate unavailable; running without it', { command: s.command, error: String(err) });
    return undefined;
  }
  const { partial } = sized;
  // A chart's series query (BoundQuery.series) reads the same partitions once more after the answer: two scans, each
  // billed on its own (with its own 10 MB minimum).
  const scans = s.query.series ? 2 : 1;
  const bytes = sized.bytes * scans;
  if (partial) c.log.warn('cost estimate partial', { command: s.command, ...partial, bytes });
  const estimate: Estimate = {
    bytes,
    ...(c.engine.kind === 'athena' ? { usd: athenaCostUsd(sized.bytes) * scans } : {}),
    ...(partial ? { partial } : {}),
    ...(scans > 1 ? { twice: true } : {}),
  };
  if (cost.dailyBudgetBytesPerUser !== undefined) {
    const used = await c.store.scannedBytes(c.now().toISOString().slice(0, 10), { userId: s.userId });
    if (used + bytes > cost.dailyBudgetBytesPerUser) {
      const message = overDailyBudget(estimate, used, cost.dailyBudgetBytesPerUser);
      await notifyQuietly(c, to, message);
      return { kind: 'over-budget', message };
    }
  }
  if (bytes <= cost.confirmAboveBytes) return undefined;
  const token = randomUUID().replaceAll('-', '').slice(0, 12);
  await c.store.savePending(
    token,
    { userId: s.userId, channelId: s.channelId },
    { submission: s as unknown as Record<string, unknown> },
    CONFIRM_TTL_SECONDS,
  );
  const text = confirmationNeeded(s.commandText, estimate, s.query.partitions.length, cost.confirmAboveBytes);
  try {
    if (c.publisher.askConfirmation) await c.publisher.askConfirmation(to, text, token);
    else await c.publisher.notify(to, confirmByCommand(text, token));
  } catch (err) {
    c.log.warn('could not ask for confirmation', { error: String(err) });
  }
  return { kind: 'needs-confirmation', token, bytes };
}
