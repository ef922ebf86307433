import { escapeMrkdwn, mention, truncate } from '../../../src/surfaces/slack/escape';

describe('escaping and truncation', () => {
  test('escapeMrkdwn turns the three control characters into entities', () => {
    expect(escapeMrkdwn('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
  });

  test('truncate keeps at most max characters, ends with … and never splits a surrogate pair', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 3)).toBe('abc');
    const emoji = 'ab😀cd';
    const cut = truncate(emoji, 4); // 'ab' + half of 😀 would be invalid
    expect(cut).toBe('ab…');
    expect(cut.length).toBeLessThanOrEqual(4);
  });
});

describe('mention', () => {
  test('a Slack user id becomes a mention; any other id is shown as escaped text', () => {
    expect(mention('U0ASKER')).toBe('<@U0ASKER>');
    expect(mention('W12345')).toBe('<@W12345>');
    expect(mention('alice')).toBe('alice');
    expect(mention('U0<!here>')).toBe('U0&lt;!here&gt;');
    expect(mention('<@U0EVIL>')).toBe('&lt;@U0EVIL&gt;');
  });
});
