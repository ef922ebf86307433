import { Readable } from 'node:stream';
import { csvRecords } from '../../../src/engines/athena/result-file';

async function all(chunks: string[]): Promise<(string | null)[][]> {
  const out: (string | null)[][] = [];
  for await (const r of csvRecords(Readable.from(chunks.map((c) => Buffer.from(c, 'utf8'))))) out.push(r);
  return out;
}

describe('csvRecords (Athena result files)', () => {
  const text = '"eventname","note","who"\n"ConsoleLogin","say ""hi"", twice","alice"\n"a\nb",,""\n"é🙂",,"x"\n';
  const expected = [
    ['eventname', 'note', 'who'],
    ['ConsoleLogin', 'say "hi", twice', 'alice'],
    ['a\nb', null, ''],
    ['é🙂', null, 'x'],
  ];

  test('quoted values, doubled quotes, line breaks in values; empty unquoted is NULL, "" is the empty string', async () => {
    expect(await all([text])).toEqual(expected);
  });

  test('the same records whatever the chunk boundaries (every split point, multi-byte characters included)', async () => {
    const bytes = Buffer.from(text, 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      const out: (string | null)[][] = [];
      for await (const r of csvRecords(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]))) out.push(r);
      expect(out).toEqual(expected);
    }
  });

  test('a last record without a final newline, and CRLF line ends', async () => {
    expect(await all(['"a","b"\r\n"c",'])).toEqual([
      ['a', 'b'],
      ['c', null],
    ]);
  });
});
