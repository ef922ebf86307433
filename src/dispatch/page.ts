/**
 * "Show next 20 rows" (issue 17, item 5): the button under an answer's table posts the next rows of that answer into
 * its thread, with a button for the rows after them. Reading the rows back is the runner's (QueryRunner.rowsOf, a
 * port: the front door never imports the runner), posting them the surface's (Publisher.postRows). Seeing more rows
 * of an answer is seeing that question's answer, so the clicker must be allowed to run the question's command, as
 * for Show SQL.
 */
import type { ExecutionStore } from '../core/execution';
import type { ActionInput } from '../core/input';
import type { Publisher } from '../core/publisher';
import type { QueryRunner } from '../core/runner';
import { codeSpan } from '../util/echo';

/** Rows one click shows. */
export const PAGE_ROWS = 20;

/** The button's value: `<execution id>@<first row of the page>` (src/surfaces/slack/tables.ts pageValue). */
const PAGE_VALUE = /^([A-Za-z0-9_-]{1,100})@(\d{1,9})$/;

export interface PageDeps {
  store: ExecutionStore;
  runner: QueryRunner;
  publisher: Publisher;
  /** The access policy's denial for `command` (audited), or undefined when the clicker may run it. */
  refuse(command: string, detail: string): Promise<string | undefined>;
}

/** Posts the page the button names into the answer's thread; resolves to text for the clicker alone, if any. */
export async function showNextRows(input: ActionInput, d: PageDeps): Promise<string | undefined> {
  const value = PAGE_VALUE.exec(input.executionId);
  if (!value) return 'That button does not name rows of an answer; the CSV in the thread has every row.';
  const [, id, fromText] = value;
  const e = await d.store.get(id!);
  if (!e) return `There is no execution ${codeSpan(id!)}.`;
  if (e.channelId !== input.channelId) return 'That execution belongs to another channel.';
  const from = Number(fromText);
  const denied = await d.refuse(e.command, `button page ${e.id} from row ${from + 1}`);
  if (denied !== undefined) return denied;
  if (!d.runner.rowsOf || !d.publisher.postRows) return 'More rows cannot be shown here; the CSV has every row.';
  const rows = await d.runner.rowsOf(e, from, PAGE_ROWS);
  await d.publisher.postRows(e, rows);
  return undefined;
}
