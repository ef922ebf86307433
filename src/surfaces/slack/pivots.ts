/**
 * Pivot buttons in the result reply (issue 17 item 2): each flagged row offers its next questions as buttons, each
 * shown row as an overflow menu ("…"). What a pivot asks is built and checked by src/dispatch/pivots.ts; here it is
 * only laid out within Block Kit's limits and read back from a click.
 *
 * What a click carries is the question's own text, split in two so more of it fits: the execution id, the row and
 * the row's window in the block's `block_id` (≤ 255 characters), and the question without its window in the element's
 * `value` (`user arn:aws:iam::…:user/x`; a button's value ≤ 2000 characters, an overflow option's ≤ 150:
 * https://docs.slack.dev/reference/block-kit/block-elements/button-element and
 * https://docs.slack.dev/reference/block-kit/composition-objects/option-object). The window is the same for every
 * pivot of a row, and leaving it out of the value keeps a typical SSO assumed-role ARN within a menu option. A pivot
 * still too long for its element is not offered there (a flagged row keeps it as a button). The alternative, carrying
 * only the execution id, row and kind and reading the row back from the stored result, does not work in Slack: the
 * spooled result is deleted once the answer is published (src/main.ts). The dispatcher runs the reassembled text
 * through the parser and the policy again on click.
 */
import type { Button, KnownBlock, Overflow, PlainTextOption, SectionBlock } from '@slack/web-api';
import type { PivotKind } from '../../core/input';
import type { ResultSummary } from '../../core/publisher';
import type { PivotFinder, RowReader } from '../../dispatch/pivots';
import { codeSpan } from '../../util/echo';
import { truncate } from './escape';
import { count, mrkdwnSection } from './kit';

/** Block Kit limits these elements hold (see the file comment and the overflow menu element page). */
export const PIVOT_LIMITS = {
  buttonValue: 2000,
  optionValue: 150,
  optionText: 75,
  buttonText: 75,
  blockId: 255,
  overflowOptions: 5,
} as const;

/** `action_id`s: buttons are named by kind (unique within their actions block); the row menu has one. */
export const PIVOT_ACTION = /^trail_pivot_(principal|source|resource|row)$/;
const ROW_MENU = 'trail_pivot_row';
/** Flagged rows given buttons, so one answer stays a readable message. */
const MAX_FLAGGED_ROWS = 5;

const KINDS: readonly PivotKind[] = ['principal', 'source', 'resource'];

/** What a click on a pivot element says: which execution, which row, which pivot, and the question. */
export interface PivotClick {
  executionId: string;
  row: number;
  kind: PivotKind;
  question: string;
}

function blockId(prefix: 'f' | 'r', executionId: string, row: number, window: string): string {
  return `trail_pivot/${prefix}/${executionId}/${row}/${window}`;
}

function readerOf(columns: string[], row: (string | null)[]): RowReader {
  const index = new Map(columns.map((c, i) => [c, i]));
  return (column) => {
    const i = index.get(column);
    return i === undefined ? null : (row[i] ?? null);
  };
}

/**
 * The pivot blocks of an answer: buttons for flagged rows among the shown ones, then one overflow menu (or a single
 * button) per shown row, within `maxBlocks`. Rows are the first `rowsShown` of `topRows`.
 */
export function pivotBlocks(
  executionId: string,
  result: ResultSummary,
  rowsShown: number,
  pivots: PivotFinder,
  maxBlocks: number,
): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  const rows = result.topRows.slice(0, rowsShown);
  const found = rows.map((row) => pivots(readerOf(result.columns, row)));

  const flagged = [...new Set(result.flags.map((f) => f.row))]
    .filter((r) => r < rows.length)
    .slice(0, MAX_FLAGGED_ROWS);
  for (const r of flagged) {
    if (blocks.length >= maxBlocks) return blocks;
    const buttons: Button[] = [];
    const row = found[r] ?? [];
    for (const p of row) {
      if (p.subject.length > PIVOT_LIMITS.buttonValue) continue;
      buttons.push({
        type: 'button',
        action_id: `trail_pivot_${p.kind}`,
        text: { type: 'plain_text', text: truncate(`Row ${count(r + 1)}: ${p.label}`, PIVOT_LIMITS.buttonText) },
        value: p.subject,
      });
    }
    if (buttons.length > 0)
      blocks.push({ type: 'actions', block_id: blockId('f', executionId, r, row[0]!.window), elements: buttons });
  }

  for (let r = 0; r < rows.length; r++) {
    if (blocks.length >= maxBlocks) break;
    const row = found[r] ?? [];
    const options: PlainTextOption[] = row
      .map((p) => ({
        text: { type: 'plain_text' as const, text: truncate(p.label, PIVOT_LIMITS.optionText) },
        value: `${p.kind} ${p.subject}`,
      }))
      .filter((o) => o.value.length <= PIVOT_LIMITS.optionValue)
      .slice(0, PIVOT_LIMITS.overflowOptions);
    if (options.length === 0) continue;
    const accessory: Overflow | Button =
      options.length >= 2
        ? { type: 'overflow', action_id: ROW_MENU, options }
        : // An overflow menu needs at least two options; a single pivot is a button.
          { type: 'button', action_id: ROW_MENU, text: options[0]!.text, value: options[0]!.value };
    const reader = readerOf(result.columns, rows[r]!);
    const what = [reader('eventname'), reader('eventtime')].filter((v): v is string => !!v);
    const section: SectionBlock = {
      ...mrkdwnSection(
        `*Row ${count(r + 1)}* ${what.map((v) => codeSpan(truncate(v, 60))).join(' ')} · next questions`,
      ),
      block_id: blockId('r', executionId, r, row[0]!.window),
      accessory,
    };
    blocks.push(section);
  }
  return blocks;
}

/**
 * Reads a click back: the execution and row from the block id, the pivot and the question from the element.
 * Undefined for anything trailbot did not build (a block id or value of another shape).
 */
export function pivotClick(
  blockIdText: string | undefined,
  actionId: string,
  value: string | undefined,
): PivotClick | undefined {
  const m = /^trail_pivot\/[fr]\/([0-9a-z]{1,64})\/(\d{1,6})\/([0-9TZ:.-]{1,80})$/.exec(blockIdText ?? '');
  if (!m || value === undefined || value === '') return undefined;
  const [, executionId, rowText, window] = m as unknown as [string, string, string, string];
  const row = Number(rowText);
  if (actionId === ROW_MENU) {
    const space = value.indexOf(' ');
    const kind = value.slice(0, space) as PivotKind;
    if (space < 0 || !KINDS.includes(kind)) return undefined;
    return { executionId, row, kind, question: `${value.slice(space + 1)} ${window}` };
  }
  const kind = /^trail_pivot_(principal|source|resource)$/.exec(actionId)?.[1] as PivotKind | undefined;
  return kind ? { executionId, row, kind, question: `${value} ${window}` } : undefined;
}
