import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';

/** One request the fake saw. */
export interface S3Request {
  method: string;
  bucket: string;
  key: string;
  prefix: string;
  continuationToken: string | null;
  /** The Region the request was signed for (from the SigV4 credential scope). */
  signedRegion: string;
  status: number;
}

export interface FakeS3Options {
  /** ListObjectsV2 page size. Default 1000 (S3's). */
  pageSize?: number;
  /** The Region the bucket lives in; a request signed for another Region gets S3's 301 PermanentRedirect. */
  bucketRegion?: string;
}

/** A listing fault: answer with this status and S3 error code instead of the listing. */
export interface S3Fault {
  status: number;
  code: string;
  message: string;
}

/**
 * A local S3 on 127.0.0.1 for path-style requests: ListObjectsV2 (GET /<bucket>?list-type=2), GetObject
 * (GET /<bucket>/<key>) and HeadBucket (HEAD /<bucket>). Like S3 it answers a request signed for the wrong Region
 * with 301 PermanentRedirect and the bucket's Region in `x-amz-bucket-region`; HeadBucket always carries that header
 * ("calls to the HeadBucket operation always return the bucket's location through an HTTP response header, whether
 * access to the bucket is authorized or not", S3 API Reference, GetBucketLocation).
 */
export class FakeS3 {
  readonly requests: S3Request[] = [];
  maxInFlight = 0;
  /** When set, every ListObjectsV2 gets this error. */
  listFault: S3Fault | undefined;
  /** Asked for a key that was never put (e.g. a result file another fake produces on demand). */
  onMissing: ((key: string) => string | Readable | undefined) | undefined;
  private inFlight = 0;
  private readonly objects: Map<string, string | number>;
  private sorted: string[] | undefined;

  private constructor(
    private readonly server: Server,
    objects: Record<string, string | number>,
    private readonly pageSize: number,
    readonly bucketRegion: string,
  ) {
    this.objects = new Map(Object.entries(objects));
  }

  static async start(objects: Record<string, string | number>, options: FakeS3Options = {}): Promise<FakeS3> {
    const server = createServer();
    const fake = new FakeS3(server, objects, options.pageSize ?? 1000, options.bucketRegion ?? 'us-east-1');
    server.on('request', (req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** Adds or replaces an object (a string is its body; a number is a size with an unreadable body). */
  put(key: string, body: string | number): void {
    this.objects.set(key, body);
    this.sorted = undefined;
  }

  /** ListObjectsV2 requests seen (with their prefixes and tokens). */
  get listed(): S3Request[] {
    return this.requests.filter((r) => r.method === 'GET' && r.key === '' && r.status === 200);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** An S3 client pointed here, signed for `region`. */
  client(region = this.bucketRegion, extra: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client {
    return new S3Client({
      region,
      endpoint: this.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
      maxAttempts: 1,
      ...extra,
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/s3\//.exec(req.headers.authorization ?? '');
    const signedRegion = scope?.[1] ?? '';
    const record: S3Request = {
      method: req.method ?? 'GET',
      bucket,
      key,
      prefix: url.searchParams.get('prefix') ?? '',
      continuationToken: url.searchParams.get('continuation-token'),
      signedRegion,
      status: 200,
    };
    this.requests.push(record);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const answer = (status: number, headers: Record<string, string>, body?: string | Buffer) => {
      record.status = status;
      // Answer on a later turn so concurrent requests overlap as they would against S3.
      setImmediate(() => {
        this.inFlight -= 1;
        res.writeHead(status, { 'x-amz-bucket-region': this.bucketRegion, ...headers });
        res.end(req.method === 'HEAD' ? undefined : body);
      });
    };
    const xml = { 'content-type': 'application/xml' };
    if (signedRegion !== this.bucketRegion) {
      answer(
        301,
        xml,
        s3Error(
          'PermanentRedirect',
          'The bucket you are attempting to access must be addressed using the specified endpoint.',
        ),
      );
      return;
    }
    if (req.method === 'HEAD') {
      answer(200, {});
      return;
    }
    if (key === '') {
      if (this.listFault) {
        answer(this.listFault.status, xml, s3Error(this.listFault.code, this.listFault.message));
        return;
      }
      answer(200, xml, this.page(bucket, record.prefix, record.continuationToken));
      return;
    }
    const body = this.objects.get(key) ?? this.onMissing?.(key);
    if (body instanceof Readable) {
      // Streamed with chunked encoding, as S3 serves a large object: the first bytes go out at once.
      record.status = 200;
      this.inFlight -= 1;
      res.writeHead(200, { 'x-amz-bucket-region': this.bucketRegion, 'content-type': 'text/csv' });
      body.pipe(res);
      return;
    }
    if (typeof body !== 'string') {
      answer(404, xml, s3Error('NoSuchKey', 'The specified key does not exist.'));
      return;
    }
    const bytes = Buffer.from(body, 'utf8');
    answer(200, { 'content-type': 'text/csv', 'content-length': String(bytes.length) }, bytes);
  }

  /** Keys under a prefix, sorted (a binary search, so 5,000-folder listings stay fast). */
  private keysUnder(prefix: string): string[] {
    this.sorted ??= [...this.objects.keys()].sort();
    const keys: string[] = [];
    for (let i = lowerBound(this.sorted, prefix); i < this.sorted.length && this.sorted[i]!.startsWith(prefix); i++) {
      keys.push(this.sorted[i]!);
    }
    return keys;
  }

  private page(bucket: string, prefix: string, token: string | null): string {
    const keys = this.keysUnder(prefix);
    const start = token === null ? 0 : Number(Buffer.from(token, 'base64').toString('utf8'));
    const slice = keys.slice(start, start + this.pageSize);
    const truncated = start + this.pageSize < keys.length;
    const next = Buffer.from(String(start + this.pageSize)).toString('base64');
    const sizeOf = (key: string) => {
      const body = this.objects.get(key);
      return typeof body === 'number' ? body : Buffer.byteLength(body ?? '', 'utf8');
    };
    const contents = slice
      .map(
        (key) =>
          `<Contents><Key>${escapeXml(key)}</Key><LastModified>2025-11-20T08:05:00.000Z</LastModified>` +
          `<ETag>&quot;3858f62230ac3c915f300c664312c11f&quot;</ETag><Size>${sizeOf(key)}</Size>` +
          '<StorageClass>STANDARD</StorageClass></Contents>',
      )
      .join('');
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${slice.length}</KeyCount>` +
      `<MaxKeys>1000</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
      (token !== null ? `<ContinuationToken>${token}</ContinuationToken>` : '') +
      (truncated ? `<NextContinuationToken>${next}</NextContinuationToken>` : '') +
      contents +
      '</ListBucketResult>'
    );
  }
}

/** First index in sorted `keys` not below `prefix`. */
function lowerBound(keys: string[], prefix: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < prefix) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function s3Error(code: string, message: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>`
  );
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
