import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { BoundQuery } from '../../core/query';
import { dayPrefixKey, type ValidTrailLocation, validateTrailLocation } from '../../ddl/location';
import { setBounded } from '../../util/bounded-map';
import { bucketRegion } from './s3';

/** Bytes and objects a query's partitions hold: what Athena would read at most (cost pre-flight). */
export interface PartitionEstimate {
  bytes: number;
  objects: number;
  /**
   * Set when not every day folder was listed (the request budget ran out, or S3 refused or throttled a listing).
   * `bytes` and `objects` then extrapolate the listed folders' average to the rest, so the gate still sees a
   * figure of the right size; `reason` says why it is partial.
   */
  partial?: { listed: number; total: number; reason: string };
}

export interface PartitionEstimator {
  estimate(query: BoundQuery): Promise<PartitionEstimate>;
}

export interface S3PartitionEstimatorOptions {
  client: S3Client;
  /**
   * Builds a client for another Region. When given, the bucket's Region is found once (HeadBucket) and, if it is not
   * `client`'s, listings go to a client of the bucket's Region instead of paying a 301 redirect on every request.
   */
  clientForRegion?: (region: string) => S3Client;
  bucket: string;
  /** Key prefix before `AWSLogs/`, no leading or trailing slash; '' when none. */
  prefix: string;
  accounts: string[];
  regions: string[];
  organizationId?: string;
  /** ListObjectsV2 calls in flight at once. Default 8. */
  concurrency?: number;
  /**
   * ListObjectsV2 calls one estimate may make (pages included). Default 1000: about 5,100 day folders are 10
   * accounts × 17 Regions × 30 days, paid for by the bucket owner, before a query that may cost a cent.
   */
  maxRequests?: number;
  /** Closed days' folder sizes kept in memory. Default 50,000 folders (a few MB). */
  cacheEntries?: number;
  now?: () => Date;
}

const DAY = /^\d{4}\/\d{2}\/\d{2}$/;
const DAY_MS = 86_400_000;
/**
 * A day folder is named by the time CloudTrail delivered the file, not by its events' times (CloudTrail User Guide,
 * "Finding your CloudTrail log files"), so once that UTC day is over nothing more is written under it and its size
 * never changes. An hour of margin covers clock skew and a delivery started just before midnight.
 */
const CLOSED_AFTER_MS = DAY_MS + 3_600_000;

interface Listing {
  bytes: number;
  objects: number;
  requests: number;
}

/**
 * Sums the sizes of the log files under every `AWSLogs/[o-org/]<account>/CloudTrail/<region>/<yyyy/MM/dd>/` prefix a
 * query's partitions (and scope) select. It lists the same prefixes partition projection makes Athena read, so the
 * sum is an upper bound on the bytes Athena scans: the files are gzipped JSON, which Athena reads whole (no column
 * pruning for JSON), and DataScannedInBytes counts compressed bytes.
 *
 * The work is bounded: closed days are listed once per process (cached), one estimate makes at most `maxRequests`
 * listings, and a refused or throttled listing stops further listing (SlowDown asks the caller to slow down) instead
 * of failing the question. Whatever was not listed is extrapolated and reported as `partial`.
 */
export class S3PartitionEstimator implements PartitionEstimator {
  private readonly location: ValidTrailLocation;
  private client: S3Client;
  private regionChecked: Promise<void> | undefined;
  private readonly concurrency: number;
  private readonly maxRequests: number;
  private readonly cacheEntries: number;
  private readonly cache = new Map<string, { bytes: number; objects: number }>();
  private readonly now: () => Date;

  constructor(private readonly options: S3PartitionEstimatorOptions) {
    this.client = options.client;
    const location = {
      bucket: options.bucket,
      prefix: options.prefix,
      accounts: options.accounts,
      regions: options.regions,
      ...(options.organizationId !== undefined ? { organizationId: options.organizationId } : {}),
    };
    this.location = validateTrailLocation(location);
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
    this.maxRequests = Math.max(1, Math.floor(options.maxRequests ?? 1000));
    this.cacheEntries = Math.max(0, Math.floor(options.cacheEntries ?? 50_000));
    this.now = options.now ?? (() => new Date());
  }

  /** The key prefixes a query reads, in account, region, day order. */
  prefixesFor(query: BoundQuery): string[] {
    return this.foldersFor(query).map((f) => f.prefix);
  }

  private foldersFor(query: BoundQuery): { prefix: string; day: string }[] {
    for (const day of query.partitions) {
      if (!DAY.test(day)) throw new RangeError(`not a day partition (yyyy/MM/dd): ${day}`);
    }
    const accounts = narrow(this.location.accounts, query.scope?.accounts);
    const regions = narrow(this.location.regions, query.scope?.regions);
    const days = [...new Set(query.partitions)];
    return accounts.flatMap((account) =>
      regions.flatMap((region) =>
        days.map((day) => ({ prefix: dayPrefixKey(this.location, account, region, day), day })),
      ),
    );
  }

  async estimate(query: BoundQuery): Promise<PartitionEstimate> {
    const folders = this.foldersFor(query);
    const nowMs = this.now().getTime();
    let bytes = 0;
    let objects = 0;
    let listed = 0;
    const toList: { prefix: string; closed: boolean }[] = [];
    for (const folder of folders) {
      const cached = this.cache.get(folder.prefix);
      if (cached) {
        bytes += cached.bytes;
        objects += cached.objects;
        listed += 1;
      } else {
        toList.push({
          prefix: folder.prefix,
          closed: nowMs - Date.parse(`${folder.day.replaceAll('/', '-')}T00:00:00Z`) >= CLOSED_AFTER_MS,
        });
      }
    }
    if (toList.length > 0) await this.checkRegion();
    let budget = this.maxRequests;
    let stopped: string | undefined;
    await mapWithConcurrency(toList, this.concurrency, async (folder) => {
      if (stopped !== undefined) return;
      if (budget <= 0) {
        stopped ??= `request budget of ${this.maxRequests} listings reached`;
        return;
      }
      try {
        const listing = await this.sizeOf(folder.prefix, () => budget-- > 0);
        if (listing === undefined) {
          stopped ??= `request budget of ${this.maxRequests} listings reached`;
          return;
        }
        bytes += listing.bytes;
        objects += listing.objects;
        listed += 1;
        if (folder.closed) this.remember(folder.prefix, listing);
      } catch (err) {
        stopped ??= `S3 refused a listing: ${describe(err)}`;
      }
    });
    if (listed === folders.length) return { bytes, objects };
    if (listed === 0) throw new Error(`cost estimate unavailable: ${stopped ?? 'nothing listed'}`);
    const scale = folders.length / listed;
    return {
      bytes: Math.round(bytes * scale),
      objects: Math.round(objects * scale),
      partial: { listed, total: folders.length, reason: stopped ?? 'not every folder was listed' },
    };
  }

  /** Once per estimator: use a client in the bucket's own Region (a trail bucket often lives elsewhere). */
  private checkRegion(): Promise<void> {
    const clientForRegion = this.options.clientForRegion;
    if (!clientForRegion) return Promise.resolve();
    this.regionChecked ??= (async () => {
      const [found, mine] = await Promise.all([
        bucketRegion(this.client, this.location.bucket),
        this.client.config.region(),
      ]);
      if (found !== undefined && found !== mine) this.client = clientForRegion(found);
    })().catch(() => {
      // The client follows redirects anyway (createS3Client); the lookup is only an optimisation.
    });
    return this.regionChecked;
  }

  private remember(prefix: string, listing: { bytes: number; objects: number }): void {
    if (this.cacheEntries === 0) return;
    setBounded(this.cache, prefix, { bytes: listing.bytes, objects: listing.objects }, this.cacheEntries);
  }

  /**
   * Every page of one prefix's listing (ListObjectsV2 returns at most 1000 keys a page); undefined when `take`
   * refuses a request (budget spent) before the listing is complete.
   */
  private async sizeOf(prefix: string, take: () => boolean): Promise<Listing | undefined> {
    let bytes = 0;
    let objects = 0;
    let requests = 0;
    let continuationToken: string | undefined;
    do {
      if (!take()) return undefined;
      requests += 1;
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.location.bucket,
          Prefix: prefix,
          ...(continuationToken !== undefined ? { ContinuationToken: continuationToken } : {}),
        }),
      );
      for (const object of page.Contents ?? []) {
        bytes += object.Size ?? 0;
        objects += 1;
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
    return { bytes, objects, requests };
  }
}

/** `AccessDenied: Access Denied` from an S3 error, without a stack. */
function describe(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return [e.name, e.message].filter(Boolean).join(': ') || String(err);
}

/** The configured values, narrowed to the scope when the query has one (values outside the trail read nothing). */
function narrow(configured: string[], scope: string[] | undefined): string[] {
  if (scope === undefined || scope.length === 0) return configured;
  const wanted = new Set(scope);
  return configured.filter((value) => wanted.has(value));
}

/** `fn` over `items` with at most `limit` calls in flight (p-limit); results in input order; the first failure rejects. */
export function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const run = pLimit(limit);
  return Promise.all(items.map((item) => run(() => fn(item))));
}
