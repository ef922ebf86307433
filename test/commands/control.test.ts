import { parse, usageMessage } from '../helpers/commands';

describe('control commands', () => {
  test('status / cancel take one execution id', () => {
    expect(parse('status k3x9q2m8a1')).toMatchObject({ kind: 'control', args: { id: 'k3x9q2m8a1' } });
    expect(parse('cancel k3x9q2m8a1')).toMatchObject({ kind: 'control', args: { id: 'k3x9q2m8a1' } });
    expect(usageMessage('status')).toBe('`status`: which execution? Give its id.');
    expect(usageMessage("cancel x'; DROP")).toBe(
      "`cancel`: `x';` is not an execution id. Accepted: the id trailbot showed (6–32 of A-Z a-z 0-9 _ -).",
    );
  });
  test('history takes an optional count up to 50', () => {
    expect(parse('history')).toMatchObject({ args: { limit: 10 } });
    expect(parse('history 25')).toMatchObject({ args: { limit: 25 } });
    expect(usageMessage('history 51')).toBe('`history`: N `51` is above 50. Accepted: a whole number from 1 to 50.');
    expect(usageMessage('history x')).toBe('`history`: N `x` is not a number. Accepted: a whole number from 1 to 50.');
  });
  test('help, --help, and an empty command all lead to help', () => {
    expect(parse('')).toMatchObject({ kind: 'control', command: { name: 'help' } });
    expect(parse('help sg')).toMatchObject({ args: { topic: 'sg' } });
    expect(parse('sg --help')).toMatchObject({ command: { name: 'help' }, args: { topic: 'sg' } });
  });
  test('control commands take no window', () => {
    expect(usageMessage('history 12h')).toContain('`history`: N `12h`');
  });
});
