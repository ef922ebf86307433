/**
 * Child process of the Slack bench: the fake Slack Web API (test/helpers/fake-slack.ts) on 127.0.0.1, in a process
 * of its own so answering trailbot's chat.postMessage / files.uploadV2 calls is not charged to the app under test.
 * Reports `ready` over IPC; on `stop` answers with a tally of what it saw and exits.
 */
import { startFakeSlack } from '../test/helpers/fake-slack';
import { BENCH_BOT_TOKEN, type FakeSlackReady, type FakeSlackTally, RESPONSE_ID } from './slack-protocol';

async function serve(): Promise<void> {
  const fake = await startFakeSlack({ token: BENCH_BOT_TOKEN });
  process.on('message', (m: { type?: string }) => {
    if (m.type !== 'stop') return;
    const byMethod: Record<string, number> = {};
    for (const call of fake.calls) byMethod[call.method] = (byMethod[call.method] ?? 0) + 1;
    const tally: FakeSlackTally = {
      type: 'tally',
      calls: fake.calls.length,
      byMethod,
      messages: fake.messages.length,
      files: fake.files.filter((f) => f.completed).length,
      responses: fake.responses.length,
      invalidBlocks: fake.calls.filter((c) => c.response?.error === 'invalid_blocks').length,
      warnings: fake.warnings.length,
    };
    void fake.close().then(() => process.send?.(tally, () => process.exit(0)));
  });
  const ready: FakeSlackReady = { type: 'ready', url: fake.url, responseUrl: fake.responseUrl(RESPONSE_ID) };
  process.send?.(ready);
}

// The parent going away (crash, Ctrl-C) must not leave this server running.
process.on('disconnect', () => process.exit(0));
serve().catch((err) => {
  process.stderr.write(`fake Slack failed: ${String(err)}\n`);
  process.exit(1);
});
