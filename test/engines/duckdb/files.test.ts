import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  discoverLogFiles,
  formatOfHead,
  InvalidPartitionError,
  isLogFileName,
  measureLogFiles,
  probeFormats,
  probeLogFiles,
} from '../../../src/engines/duckdb/files';
import { days, event, LogTree } from './fixtures';

describe('discoverLogFiles', () => {
  let tree: LogTree;
  const month = days('2024/05/01', 30);

  beforeAll(() => {
    tree = new LogTree();
    // Two accounts, two regions, 30 days, one file a day each; an org trail; a prefixed trail.
    for (const day of month) {
      for (const account of ['111122223333', '444455556666']) {
        for (const region of ['us-east-1', 'eu-west-1']) tree.s3({ account, region, day, events: [event()] });
      }
    }
    tree.s3({ org: 'o-abc123def4', account: '777788889999', day: '2024/05/10', events: [event()] });
    tree.s3({ prefix: 'trails/main', account: '121212121212', day: '2024/05/10', events: [event()] });
    // Digest and Insight deliveries, and files that are not logs.
    tree.write(
      'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/10/111122223333_CloudTrail-Digest_us-east-1_main_us-east-1_20240510T000000Z.json.gz',
      '{"awsAccountId":"111122223333"}',
    );
    tree.write('AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/05/10/insight.json.gz', '{"Records":[]}');
    tree.write(
      'AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/10/111122223333_CloudTrail-Digest_stray.json.gz',
      '{}',
    );
    tree.write('AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/10/notes.txt', 'not a log');
    tree.write('AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/10/.hidden.json', '{}');
    // Flat exports, read whatever the window.
    tree.write('exports/array.json', JSON.stringify([event()], null, 2));
    tree.write('exports/ndjson.json.gz', `${JSON.stringify(event())}\n${JSON.stringify(event())}\n`);
    tree.write('exports/wrapped.json', JSON.stringify({ Records: [event()] }));
    tree.write('exports/wrapped-pretty.json', JSON.stringify({ Records: [event()] }, null, 2));
    tree.write('exports/empty.json', '');
    tree.write('exports/README.md', '# not a log');
  });

  afterAll(() => tree.remove());

  const relative = (file: string): string => path.relative(tree.root, file);

  test('reads only the day folders of the partitions (a 12 h window: 2 of 30 days)', async () => {
    const { files } = await discoverLogFiles(path.join(tree.root, 'AWSLogs'), {
      partitions: ['2024/05/14', '2024/05/15'],
    });
    expect(files.map((f) => `${f.account} ${f.region} ${f.day}`).sort()).toEqual([
      '111122223333 eu-west-1 2024/05/14',
      '111122223333 eu-west-1 2024/05/15',
      '111122223333 us-east-1 2024/05/14',
      '111122223333 us-east-1 2024/05/15',
      '444455556666 eu-west-1 2024/05/14',
      '444455556666 eu-west-1 2024/05/15',
      '444455556666 us-east-1 2024/05/14',
      '444455556666 us-east-1 2024/05/15',
    ]);
    expect(files.every((f) => f.layout === 's3' && f.format === 'records')).toBe(true);
  });

  test('scope narrows accounts and regions', async () => {
    const { files } = await discoverLogFiles(tree.root, {
      partitions: ['2024/05/14'],
      scope: { accounts: ['444455556666'], regions: ['eu-west-1'] },
    });
    expect(files.filter((f) => f.layout === 's3').map((f) => `${f.account} ${f.region}`)).toEqual([
      '444455556666 eu-west-1',
    ]);
  });

  test('finds organization trails and trails under a prefix, naming the account', async () => {
    const { files } = await discoverLogFiles(tree.root, { partitions: ['2024/05/10'] });
    const s3 = files.filter((f) => f.layout === 's3');
    expect(s3.find((f) => f.path.includes('/o-abc123def4/'))).toMatchObject({ account: '777788889999' });
    expect(s3.find((f) => f.path.includes('/trails/main/'))).toMatchObject({ account: '121212121212' });
    expect(s3).toHaveLength(6);
  });

  test('skips digests, Insights, hidden and non-JSON files; reads every flat export with its format', async () => {
    const { files, unreadable } = await discoverLogFiles(tree.root, { partitions: ['2024/05/10'] });
    const names = files.map((f) => relative(f.path));
    expect(names.some((n) => /Digest|Insight|notes\.txt|hidden|README/.test(n))).toBe(false);
    expect(unreadable).toEqual([]);
    expect(files.filter((f) => f.layout === 'flat').map((f) => [relative(f.path), f.format])).toEqual([
      ['exports/array.json', 'array'],
      ['exports/ndjson.json.gz', 'events'],
      ['exports/wrapped-pretty.json', 'records-multiline'],
      ['exports/wrapped.json', 'records'],
    ]);
  });

  test('no matching day folder is an empty list, not an error', async () => {
    const { files } = await discoverLogFiles(path.join(tree.root, 'AWSLogs'), { partitions: ['2023/01/01'] });
    expect(files).toEqual([]);
    expect((await discoverLogFiles(path.join(tree.root, 'missing'), { partitions: ['2024/05/10'] })).files).toEqual([]);
  });

  test('knows on-disk and uncompressed sizes (gzip ISIZE)', async () => {
    const { files } = await discoverLogFiles(path.join(tree.root, 'AWSLogs'), { partitions: ['2024/05/14'] });
    const [file] = files;
    expect(file!.bytes).toBeGreaterThan(0);
    expect(file!.objectBytes).toBe(JSON.stringify({ Records: [event()] }).length);
  });

  test('a file that is not gzip at all is reported as unreadable by a probe', async () => {
    const broken = new LogTree();
    try {
      broken.write('exports/bad.json.gz', 'plain text, not gzip', { raw: true });
      const { files, unreadable } = await discoverLogFiles(broken.root, { partitions: [] });
      expect(files).toEqual([]);
      expect(unreadable).toEqual([
        { path: path.join(broken.root, 'exports/bad.json.gz'), reason: expect.stringMatching(/gzip/) },
      ]);
    } finally {
      broken.remove();
    }
  });

  test('probeFormats reclassifies pretty-printed S3 files', async () => {
    const pretty = new LogTree();
    try {
      pretty.s3({ day: '2024/05/01', events: [event()], pretty: true });
      pretty.s3({ day: '2024/05/01', events: [event()] });
      const { files } = await discoverLogFiles(pretty.root, { partitions: ['2024/05/01'] });
      expect(files.map((f) => f.format)).toEqual(['records', 'records']);
      await probeFormats(files);
      expect(files.map((f) => f.format).sort()).toEqual(['records', 'records-multiline']);
    } finally {
      pretty.remove();
    }
  });

  test('measureLogFiles sums what discovery lists without opening the files (the cost estimate)', async () => {
    for (const request of [
      { partitions: ['2024/05/10', '2024/05/11'] },
      { partitions: ['2024/05/14'], scope: { accounts: ['444455556666'], regions: ['eu-west-1'] } },
      { partitions: [] },
    ]) {
      const { files } = await discoverLogFiles(tree.root, { ...request, probe: false });
      // The empty export is listed (and counted) when the files are not opened.
      expect(files.some((f) => f.bytes === 0)).toBe(true);
      expect(await measureLogFiles(tree.root, request)).toEqual({
        bytes: files.reduce((sum, f) => sum + f.bytes, 0),
        objects: files.length,
      });
    }
  });

  test('a partition that is not yyyy/MM/dd is refused (it would become a path)', async () => {
    await expect(discoverLogFiles(tree.root, { partitions: ['../../etc'] })).rejects.toThrow(InvalidPartitionError);
  });
});

describe('discoverLogFiles on files that are not what the listing said', () => {
  let tree: LogTree;
  const day = '2024/05/20';

  beforeEach(() => {
    tree = new LogTree();
  });
  afterEach(() => tree.remove());

  test('a gzip whose trailer is below its size keeps its on-disk size and a generous object bound; an empty file holds nothing', async () => {
    const whole = fs.readFileSync(tree.s3({ day, events: [event(), event()], name: 'whole.json.gz' }));
    // A stream cut short ends in whatever bytes were there; here they read as an ISIZE of 7, below the file's size.
    const cut = Buffer.concat([whole.subarray(0, whole.length - 14), Buffer.from([7, 0, 0, 0])]);
    tree.write(`AWSLogs/111122223333/CloudTrail/us-east-1/${day}/cut.json.gz`, cut, { raw: true });
    tree.write(`AWSLogs/111122223333/CloudTrail/us-east-1/${day}/empty.json.gz`, Buffer.alloc(0), { raw: true });
    const { files, unreadable } = await discoverLogFiles(tree.root, { partitions: [day] });
    expect(unreadable).toEqual([]);
    expect(files.map((f) => [path.basename(f.path), f.bytes, f.objectBytes])).toEqual([
      ['cut.json.gz', cut.length, cut.length * 32],
      ['whole.json.gz', whole.length, zlib.gunzipSync(whole).length],
    ]);
    // Without opening them (an estimate), the empty file is still listed with its size.
    const listed = await discoverLogFiles(tree.root, { partitions: [day], probe: false });
    expect(listed.files.map((f) => [path.basename(f.path), f.bytes])).toEqual([
      ['cut.json.gz', cut.length],
      ['empty.json.gz', 0],
      ['whole.json.gz', whole.length],
    ]);
  });

  test('a file removed between the listing and its probe is skipped, not reported unreadable', async () => {
    const gone = tree.s3({ day, events: [event()], name: 'a-gone.json.gz' });
    tree.s3({ day, events: [event()], name: 'b-kept.json.gz' });
    const flatGone = tree.write('exports/gone.json', JSON.stringify([event()]));
    tree.write('exports/kept.json', JSON.stringify([event()]));
    // The probe callback runs after the listing and before the file is opened: the moment a deletion races it.
    const { files, unreadable } = await discoverLogFiles(tree.root, {
      partitions: [day],
      probe: (file) => {
        if (fs.existsSync(gone)) fs.rmSync(gone);
        if (fs.existsSync(flatGone)) fs.rmSync(flatGone);
        return file.layout === 'flat' || file.day === day;
      },
    });
    expect(unreadable).toEqual([]);
    expect(files.map((f) => path.relative(tree.root, f.path))).toEqual([
      `AWSLogs/111122223333/CloudTrail/us-east-1/${day}/b-kept.json.gz`,
      'exports/kept.json',
    ]);
  });

  test('symbolic links are followed to files; a dangling one is skipped', async () => {
    const target = tree.write('elsewhere/export.json', `${JSON.stringify(event())}\n`);
    fs.mkdirSync(path.join(tree.root, 'exports'));
    fs.symlinkSync(target, path.join(tree.root, 'exports/linked.json'));
    fs.symlinkSync(path.join(tree.root, 'nowhere.json'), path.join(tree.root, 'exports/dangling.json'));
    const { files, unreadable } = await discoverLogFiles(tree.root, { partitions: [] });
    expect(unreadable).toEqual([]);
    expect(files.map((f) => [path.relative(tree.root, f.path), f.format, f.bytes])).toEqual([
      ['elsewhere/export.json', 'events', fs.statSync(target).size],
      ['exports/linked.json', 'events', fs.statSync(target).size],
    ]);
  });

  test('files left unopened carry their on-disk size as the object bound and are marked for probeLogFiles', async () => {
    const file = tree.s3({ day, events: [event()] });
    const size = fs.statSync(file).size;
    const { files } = await discoverLogFiles(tree.root, { partitions: [day], probe: () => false });
    expect(files).toEqual([
      {
        path: file,
        layout: 's3',
        account: '111122223333',
        region: 'us-east-1',
        day,
        bytes: size,
        mtimeMs: Math.floor(fs.statSync(file).mtimeMs),
        objectBytes: size,
        format: 'records',
        unprobed: true,
      },
    ]);
    const probed = await probeLogFiles(files);
    expect(probed.files).toEqual([
      { ...files[0], objectBytes: zlib.gunzipSync(fs.readFileSync(file)).length, unprobed: undefined },
    ]);
    expect(Object.keys(probed.files[0]!)).not.toContain('unprobed');
  });
});

describe('file names and heads', () => {
  test.each([
    ['111122223333_CloudTrail_us-east-1_20240501T0000Z_abc.json.gz', true],
    ['export.json', true],
    ['111122223333_CloudTrail-Digest_us-east-1_main_us-east-1_20240501T000000Z.json.gz', false],
    ['111122223333_CloudTrail-Insight_us-east-1_20240501T0000Z_abc.json.gz', false],
    ['notes.txt', false],
    ['export.json.bak', false],
    ['.export.json', false],
  ])('isLogFileName(%s) = %s', (name, expected) => {
    expect(isLogFileName(name)).toBe(expected);
  });

  test.each([
    ['{"Records":[{"eventVersion":"1.10"}]}', true, 'records'],
    ['{\n  "Records": [\n    {', false, 'records-multiline'],
    ['\uFEFF  [ {"eventVersion": "1.10"}', false, 'array'],
    ['{"eventVersion":"1.10","eventName":"A"}\n{"eventVersion":"1.10"}\n', true, 'events'],
    ['  \n', true, null],
    // A JSON object that is not an event (a sample manifest beside an export) is not a log.
    ['{"version":1,"scenarios":{"sg":[{"eventName":"x"}]}}', true, null],
    ['{"additionalEventData":{},"eventName":"ConsoleLogin"}', true, 'events'],
  ])('formatOfHead(%j)', (head, complete, expected) => {
    expect(formatOfHead(head, complete)).toBe(expected);
  });

  test('a head that is not JSON is refused', () => {
    expect(() => formatOfHead('PK\u0003\u0004 zip', false)).toThrow(/JSON/);
  });
});
