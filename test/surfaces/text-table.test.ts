import { plainText } from '../../src/surfaces/terminal/publisher';
import { shorten, textTable } from '../../src/surfaces/text-table';

describe('textTable', () => {
  test('aligns columns under their headers', () => {
    const { text } = textTable(
      ['a', 'bb'],
      [
        ['xxx', 'y'],
        [null, 'zz'],
      ],
    );
    expect(text.split('\n')).toEqual(['a    bb', '───  ──', 'xxx  y', '     zz']);
  });
  test('drops columns from the right to fit and says how many', () => {
    const { text, droppedColumns } = textTable(
      ['one', 'two', 'three'],
      [['1'.repeat(30), '2'.repeat(30), '3'.repeat(30)]],
      70,
    );
    expect(droppedColumns).toBe(1);
    expect(text).not.toContain('three');
  });
  test('long cells are shortened with an ellipsis and whitespace folded', () => {
    expect(shorten('a\nb')).toBe('a b');
    expect(shorten('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('terminal text', () => {
  test('Slack mentions read as plain names', () => {
    expect(plainText('asked by <@U0ALICE> in <#C0SECOPS|secops>')).toBe('asked by @U0ALICE in #C0SECOPS');
  });
});
