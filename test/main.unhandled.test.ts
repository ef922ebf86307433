import { EventEmitter } from 'node:events';
import type { Logger } from '../src/logger';
import { stopOnUnhandledRejection } from '../src/main';

describe('an unhandled rejection in the bot process', () => {
  test('is logged with its reason and stops the bot through the hand-over, once; a later one is logged too', async () => {
    const proc = new EventEmitter();
    const logged: { message: string; fields?: Record<string, unknown> }[] = [];
    const log = {
      error: (message: string, fields?: Record<string, unknown>) => logged.push({ message, fields }),
      warn: () => {},
      info: () => {},
      debug: () => {},
    } as unknown as Logger;
    const stops: string[] = [];
    stopOnUnhandledRejection(proc, log, async (reason) => {
      stops.push(reason);
    });
    const reason = new Error('WebAPIHTTPError 500 from apps.connections.open');
    proc.emit('unhandledRejection', reason, Promise.resolve());
    proc.emit('unhandledRejection', new Error('a second one while stopping'), Promise.resolve());
    expect(stops).toEqual(['unhandledRejection']);
    expect(logged).toHaveLength(2);
    expect(logged[0]!.message).toContain('handing over');
    expect(String(logged[0]!.fields?.error)).toContain('apps.connections.open');
  });
});
