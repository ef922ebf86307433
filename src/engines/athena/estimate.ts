import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { dayPrefixKey, type ValidTrailLocation, validateTrailLocation } from '../../ddl/location';
import type { BoundQuery } from '../../query/types';

/** Bytes and objects a query's partitions hold: what Athena would read at most (cost pre-flight). */
export interface PartitionEstimate {
  bytes: number;
  objects: number;
}

export interface PartitionEstimator {
  estimate(query: BoundQuery): Promise<PartitionEstimate>;
}

export interface S3PartitionEstimatorOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix before `AWSLogs/`, no leading or trailing slash; '' when none. */
  prefix: string;
  accounts: string[];
  regions: string[];
  organizationId?: string;
  /** ListObjectsV2 calls in flight at once. Default 8. */
  concurrency?: number;
}

const DAY = /^\d{4}\/\d{2}\/\d{2}$/;

/**
 * Sums the sizes of the log files under every `AWSLogs/[o-org/]<account>/CloudTrail/<region>/<yyyy/MM/dd>/` prefix a
 * query's partitions (and scope) select. It lists the same prefixes partition projection makes Athena read, so the
 * sum is an upper bound on the bytes Athena scans: the files are gzipped JSON, which Athena reads whole (no column
 * pruning for JSON), and DataScannedInBytes counts compressed bytes.
 */
export class S3PartitionEstimator implements PartitionEstimator {
  private readonly location: ValidTrailLocation;
  private readonly client: S3Client;
  private readonly concurrency: number;

  constructor(options: S3PartitionEstimatorOptions) {
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
  }

  /** The key prefixes a query reads, in account, region, day order. */
  prefixesFor(query: BoundQuery): string[] {
    for (const day of query.partitions) {
      if (!DAY.test(day)) throw new RangeError(`not a day partition (yyyy/MM/dd): ${day}`);
    }
    const accounts = narrow(this.location.accounts, query.scope?.accounts);
    const regions = narrow(this.location.regions, query.scope?.regions);
    const days = [...new Set(query.partitions)];
    return accounts.flatMap((account) =>
      regions.flatMap((region) => days.map((day) => dayPrefixKey(this.location, account, region, day))),
    );
  }

  async estimate(query: BoundQuery): Promise<PartitionEstimate> {
    const totals = await mapWithConcurrency(this.prefixesFor(query), this.concurrency, (prefix) => this.sizeOf(prefix));
    return totals.reduce((sum, t) => ({ bytes: sum.bytes + t.bytes, objects: sum.objects + t.objects }), {
      bytes: 0,
      objects: 0,
    });
  }

  /** Every page of one prefix's listing (ListObjectsV2 returns at most 1000 keys a page). */
  private async sizeOf(prefix: string): Promise<PartitionEstimate> {
    let bytes = 0;
    let objects = 0;
    let continuationToken: string | undefined;
    do {
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
    return { bytes, objects };
  }
}

/** The configured values, narrowed to the scope when the query has one (values outside the trail read nothing). */
function narrow(configured: string[], scope: string[] | undefined): string[] {
  if (scope === undefined || scope.length === 0) return configured;
  const wanted = new Set(scope);
  return configured.filter((value) => wanted.has(value));
}

/** `fn` over `items` with at most `limit` calls in flight; results in input order; the first failure rejects. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
