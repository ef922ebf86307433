import { HeadBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { timeoutOptions } from './client';

export interface S3ClientOptions {
  region: string;
  /** Override the endpoint (tests point it at 127.0.0.1; path-style addressing is used then). */
  endpoint?: string;
  credentials?: S3ClientConfig['credentials'];
  /** SDK-level attempts (S3 `SlowDown` and 5xx are retried by the SDK). Default 2: the pre-flight fails open. */
  maxAttempts?: number;
  /** Ceiling for one request in ms (socket inactivity). Default 30 s. */
  requestTimeoutMs?: number;
}

/**
 * An S3 client for the trail bucket. SDK v3 does not follow S3's region redirect by default ("the Amazon S3 client in
 * v3 supports region redirects … You can use the followRegionRedirects flag", AWS SDK for JavaScript v3 Developer
 * Guide, "Amazon S3 considerations"), so a bucket in another Region than the bot would fail every listing with
 * 301 PermanentRedirect. Following redirects costs one extra request per call; `bucketRegion` below finds the
 * Region once so the estimator can use a client of the right Region afterwards.
 */
export function createS3Client(options: S3ClientOptions): S3Client {
  return new S3Client({
    region: options.region,
    followRegionRedirects: true,
    maxAttempts: options.maxAttempts ?? 2,
    requestHandler: timeoutOptions(options.requestTimeoutMs),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  });
}

/**
 * The Region a bucket lives in, from HeadBucket's `x-amz-bucket-region` header: "calls to the HeadBucket operation
 * always return the bucket's location through an HTTP response header, whether access to the bucket is authorized
 * or not. Therefore, we recommend using the HeadBucket operation for bucket Region discovery" (Amazon S3 API
 * Reference, GetBucketLocation). Read from the answer or, when HeadBucket is refused, from the error's response.
 * Undefined when neither carries it (then the caller keeps a client that follows redirects).
 */
export async function bucketRegion(client: S3Client, bucket: string): Promise<string | undefined> {
  try {
    const out = await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return out.BucketRegion ?? undefined;
  } catch (err) {
    const headers = (err as { $response?: { headers?: Record<string, string | undefined> } }).$response?.headers;
    return headers?.['x-amz-bucket-region'] ?? undefined;
  }
}
