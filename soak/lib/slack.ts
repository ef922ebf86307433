/**
 * The fake Slack Web API of the tests (test/helpers/fake-slack.ts: records every call, rejects Block Kit that breaks
 * a limit, serves uploads and response_urls, injects 429 / 5xx), plus the time each message, response_url post and
 * call arrived, so a soak can measure end-to-end latency at the point Slack would show the answer.
 */
import {
  type FakeMessage,
  type FakeResponsePost,
  type FakeSlack,
  type FakeSlackCall,
  startFakeSlack,
} from '../../test/helpers/fake-slack';

export interface TimedFakeSlack extends FakeSlack {
  /** `Date.now()` when a message, response post or call arrived. */
  arrivedAt(item: FakeMessage | FakeResponsePost | FakeSlackCall): number | undefined;
}

function timestamped<T extends object>(list: T[], times: WeakMap<object, number>): void {
  const push = list.push.bind(list);
  list.push = (...items: T[]): number => {
    const now = Date.now();
    for (const item of items) times.set(item, now);
    return push(...items);
  };
}

export async function startTimedFakeSlack(): Promise<TimedFakeSlack> {
  const fake = await startFakeSlack({ token: 'xoxb-soak-token' });
  const times = new WeakMap<object, number>();
  timestamped(fake.messages, times);
  timestamped(fake.responses, times);
  timestamped(fake.calls, times);
  return Object.assign(fake, { arrivedAt: (item: FakeMessage | FakeResponsePost | FakeSlackCall) => times.get(item) });
}
