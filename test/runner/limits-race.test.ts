import { type DynamoDBClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import type { SubmitOutcome } from '../../src/core/runner';
import { DynamoExecutionStore } from '../../src/store/dynamo';
import { fromItem } from '../../src/store/item';
import { querySubmission } from '../helpers/commands';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { ScriptedEngine } from '../helpers/scripted-engine';
import { pause, runnerWorld, testRunner } from './helpers';

/**
 * Two bot processes (two runners, each with its own in-process locks) on one table, and a burst of ten questions from
 * one user whose limit is 3. The table behaves like DynamoDB rather than dynalite: its global secondary indexes lag
 * ("all reads from a GSI are eventually consistent", DynamoDB Developer Guide), modelled by hiding from every index
 * query the items written in the last two seconds. Counting through the index let all ten run; the conditional counter
 * items let exactly three.
 */
const LAG_MS = 2000;

function laggingIndexes(client: DynamoDBClient): DynamoDBClient {
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  const lagging = {
    send: async (command: unknown) => {
      if (!(command instanceof QueryCommand) || command.input.IndexName === undefined) return send(command);
      const { Select, ...input } = command.input as QueryCommandInput;
      const out = (await send(new QueryCommand(input))) as { Items?: Record<string, unknown>[] };
      const visible = (out.Items ?? []).filter((item) => {
        const created = fromItem(item as never).createdAt;
        return typeof created !== 'string' || Date.now() - Date.parse(created) >= LAG_MS;
      });
      return Select === 'COUNT'
        ? { ...out, Items: undefined, Count: visible.length }
        : { ...out, Items: visible, Count: visible.length };
    },
  };
  return lagging as unknown as DynamoDBClient;
}

const world = runnerWorld('trail-limits-');

test('a burst of 10 from one user across two processes: exactly the limit of 3 runs', async () => {
  const { tableName } = await world.dynamo.newStore();
  const engine = new ScriptedEngine();
  engine.pollsBeforeDone = Number.MAX_SAFE_INTEGER;
  const process = (workerId: string) =>
    testRunner({
      engine,
      // Each process has its own client and store on the same table, with the same lagging indexes.
      store: new DynamoExecutionStore({ client: laggingIndexes(world.dynamo.client), tableName }),
      publisher: new RecordingPublisher(),
      resultsDir: world.resultsDir,
      sleep: pause(5),
      poll: { initialMs: 5, maxMs: 10, factor: 2 },
      workerId,
    });
  const a = process('process-a');
  const b = process('process-b');
  const outcomes: SubmitOutcome[] = [];
  const burst = Array.from({ length: 10 }, (_, i) => {
    const text = `sg sg-0000000${i} 12h`;
    const s = querySubmission(text);
    return (i % 2 === 0 ? a : b).submit(s).then((o) => {
      outcomes.push(o);
      return o;
    });
  });
  // The admitted questions keep running (their query never ends); wait until every question is decided.
  const until = Date.now() + 30_000;
  while (outcomes.length + engine.starts.length < 10 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.all([a.handOver(), b.handOver()]);
  await Promise.all(burst);
  expect(engine.starts).toHaveLength(3);
  const limited = outcomes.filter((o) => o.kind === 'limited');
  expect(limited).toHaveLength(7);
  expect(limited[0]).toMatchObject({
    message: expect.stringContaining('You already have 3 questions running (the limit is 3)'),
  });
});
