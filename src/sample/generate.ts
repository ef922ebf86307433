/**
 * `generateSampleData`: realistic CloudTrail logs in the S3 layout, for the embedded engine, demos and tests.
 *
 * Streaming: each (account, region) is written slot by slot (one delivery file of ~5–15 minutes of events at a
 * time), so memory stays flat whatever the volume; gzip runs on libuv's thread pool while the next slot is built.
 * Deterministic: all randomness comes from `Random` forks of the seed and all times from `now`; gzip uses a fixed
 * level and Node writes a zero mtime in the gzip header, so the same options give byte-identical files.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { UsageError } from '../core/errors';
import { backgroundEvent, templatePicker } from './background';
import { dayFolder, digestFileKey, logFileKey } from './layout';
import { ManifestCollector, type SampleManifest } from './manifest';
import { Random } from './random';
import { type CloudTrailRecord, isoSeconds, type JsonObject } from './record';
import { type PlannedEvent, planScenarios } from './scenarios';
import { type AccountWorld, buildWorld, SAMPLE_KNOWN_NETWORKS, SAMPLE_OFF_HOURS } from './world';

export type { SampleManifest } from './manifest';
export { ERROR_PLANS, LOGIN_PLANS, ROOT_INVOKED_BY, ROOT_PLANS, SG_SCENARIO } from './scenarios';
export { SAMPLE_KNOWN_NETWORKS, SAMPLE_OFF_HOURS, SAMPLE_USER_NAMES, sampleAccountIds } from './world';

export interface SampleOptions {
  /** Folder to write into; `AWSLogs/…` and `sample-manifest.json` are created inside. */
  outDir: string;
  /** Length of the range, ending at `now`. */
  days: number;
  /** Background events per day over all accounts and regions (scenario events come on top). */
  eventsPerDay: number;
  /** 12-digit account ids; scenarios happen in the first one. */
  accounts: string[];
  /** Regions; scenarios use the first (and us-east-1 for global services when listed). */
  regions: string[];
  seed: number;
  /** End of the range; every event is before it. */
  now: Date;
  /** `o-…`: write the organization trail layout `AWSLogs/o-…/<account>/…`. */
  organizationId?: string;
}

export const SAMPLE_MANIFEST_FILE = 'sample-manifest.json';

/** Fixed so output is reproducible; 6 is zlib's default trade-off and close to what S3 objects from CloudTrail use. */
const GZIP_LEVEL = 6;
/** Files being compressed / written at once: enough to keep the thread pool busy, small enough to bound memory. */
const MAX_IN_FLIGHT = 8;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const gzipAsync = promisify(gzip);

/** Checks options and reports every problem at once. */
export function validateSampleOptions(opts: SampleOptions): void {
  const problems: string[] = [];
  if (!opts.outDir) problems.push('--out: give a folder to write into');
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > 400) {
    problems.push(`--days: ${opts.days} is not a whole number of days from 1 to 400`);
  }
  if (!Number.isInteger(opts.eventsPerDay) || opts.eventsPerDay < 0 || opts.eventsPerDay > 2_000_000) {
    problems.push(`--events-per-day: ${opts.eventsPerDay} is not a whole number from 0 to 2000000`);
  }
  if (opts.accounts.length < 1 || opts.accounts.length > 50) problems.push('--accounts: give 1 to 50 accounts');
  for (const a of opts.accounts) {
    if (!/^\d{12}$/.test(a)) problems.push(`--accounts: "${a}" is not a 12-digit AWS account id`);
  }
  if (new Set(opts.accounts).size !== opts.accounts.length) problems.push('--accounts: an account is listed twice');
  if (opts.regions.length < 1 || opts.regions.length > 30) problems.push('--regions: give 1 to 30 regions');
  for (const r of opts.regions) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(r)) problems.push(`--regions: "${r}" is not a region name like us-east-1`);
  }
  if (new Set(opts.regions).size !== opts.regions.length) problems.push('--regions: a region is listed twice');
  if (!Number.isSafeInteger(opts.seed)) problems.push(`--seed: ${opts.seed} is not an integer`);
  if (!(opts.now instanceof Date) || Number.isNaN(opts.now.getTime())) problems.push('--now: not a valid date');
  if (opts.organizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(opts.organizationId)) {
    problems.push(`--org: "${opts.organizationId}" is not an organization id like o-a1b2c3d4e5`);
  }
  if (problems.length > 0)
    throw new UsageError(`Invalid sample-data options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/**
 * Writes the sample under `opts.outDir` and returns its manifest (also written as `sample-manifest.json`). It writes
 * into the folder as it is: the CLI is what refuses a non-empty folder. Throws UsageError for bad options.
 */
export async function generateSampleData(opts: SampleOptions): Promise<SampleManifest> {
  validateSampleOptions(opts);
  const now = opts.now.getTime();
  const start = now - opts.days * DAY;
  const root = new Random(opts.seed);
  const world = buildWorld(root.fork('world'), opts.accounts, opts.regions);
  const { events: scenarioEvents, windows } = planScenarios(root.fork('scenarios'), {
    now,
    start,
    accounts: world.accounts,
    regions: opts.regions,
    globalRegion: world.globalRegion,
  });

  const writer = new GzipWriter(opts.outDir);
  const collector = new ManifestCollector();
  const partitions = new Set<string>();
  const trail = {
    bucket: `aws-cloudtrail-logs-${opts.accounts[0]}-trailbot-sample`,
    name: opts.organizationId ? 'org-trail' : 'management-events',
    homeRegion: world.globalRegion,
  };
  const streams = world.accounts.flatMap((account) => opts.regions.map((region) => ({ account, region })));
  const totalBackground = opts.eventsPerDay * opts.days;
  let files = 0;
  let digestFiles = 0;
  for (const [index, { account, region }] of streams.entries()) {
    const background =
      Math.floor(totalBackground / streams.length) + (index < totalBackground % streams.length ? 1 : 0);
    const result = await writeStream({
      rng: root.fork(`stream/${account.id}/${region}`),
      digestRng: root.fork(`digest/${account.id}/${region}`),
      account,
      region,
      global: region === world.globalRegion,
      background,
      scenario: scenarioEvents.filter(
        (e) => e.record.recipientAccountId === account.id && e.record.awsRegion === region,
      ),
      start,
      now,
      organizationId: opts.organizationId,
      trail,
      writer,
      collector,
      partitions,
    });
    files += result.files;
    digestFiles += result.digestFiles;
  }
  await writer.drain();

  const manifest: SampleManifest = {
    version: 1,
    seed: opts.seed,
    now: new Date(now).toISOString(),
    window: { start: new Date(start).toISOString(), end: new Date(now).toISOString() },
    days: opts.days,
    eventsPerDay: opts.eventsPerDay,
    accounts: [...opts.accounts],
    regions: [...opts.regions],
    ...(opts.organizationId ? { organizationId: opts.organizationId } : {}),
    knownNetworks: [...SAMPLE_KNOWN_NETWORKS],
    offHours: { ...SAMPLE_OFF_HOURS },
    totalEvents: collector.totalEvents,
    files,
    digestFiles,
    partitions: [...partitions].sort(),
    scenarioWindows: windows,
    scenarios: collector.scenarios(),
  };
  await mkdir(opts.outDir, { recursive: true });
  await writeFile(path.join(opts.outDir, SAMPLE_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

// --- one (account, region) stream ------------------------------------------------------------------------------

interface StreamJob {
  rng: Random;
  digestRng: Random;
  account: AccountWorld;
  region: string;
  /** This stream's region records global-service events. */
  global: boolean;
  /** Background events to spread over the range. */
  background: number;
  /** Scenario events of this account and region, by time. */
  scenario: PlannedEvent[];
  start: number;
  now: number;
  organizationId?: string;
  trail: { bucket: string; name: string; homeRegion: string };
  writer: GzipWriter;
  collector: ManifestCollector;
  partitions: Set<string>;
}

async function writeStream(job: StreamJob): Promise<{ files: number; digestFiles: number }> {
  const { rng, account, region, start, now } = job;
  const curve = new DiurnalCurve(start, now);
  const templates = templatePicker(job.global);
  const digests = new DigestChain(job);
  let files = 0;
  let emitted = 0;
  let next = 0;
  for (let slotStart = start; slotStart < now; ) {
    // CloudTrail delivers a file every few minutes per region; the slot is the stretch of events one file holds.
    let slotEnd = Math.min(slotStart + rng.between(5 * 60, 15 * 60) * 1000, now);
    if (now - slotEnd < MINUTE) slotEnd = now;
    // Cumulative rounding: the per-slot counts add up to exactly `background`.
    const target = Math.round(job.background * curve.fractionUntil(slotEnd));
    const times = secondsIn(rng, target - emitted, slotStart, slotEnd);
    emitted = target;
    const planned: PlannedEvent[] = [];
    while (next < job.scenario.length && job.scenario[next]!.time < slotEnd) planned.push(job.scenario[next++]!);

    if (times.length + planned.length > 0) {
      const lines: string[] = [];
      const write = (record: CloudTrailRecord) => {
        const line = JSON.stringify(record);
        job.collector.observe(record, line);
        lines.push(line);
      };
      let p = 0;
      for (const time of times) {
        while (p < planned.length && planned[p]!.time < time) write(planned[p++]!.record);
        write(backgroundEvent(rng, templates, account, region, time));
      }
      while (p < planned.length) write(planned[p++]!.record);
      const first = Math.min(times[0] ?? Infinity, planned[0]?.time ?? Infinity);
      const last = Math.max(times[times.length - 1] ?? -Infinity, planned[planned.length - 1]?.time ?? -Infinity);

      const deliveredAt = Math.min(slotEnd + rng.between(30, 240) * 1000, now);
      const key = logFileKey(account.id, region, deliveredAt, rng.alnum(16), job.organizationId);
      const content = `{"Records":[${lines.join(',')}]}`;
      await digests.logFileDelivered(deliveredAt, {
        s3Bucket: job.trail.bucket,
        s3Object: key,
        hashValue: sha256(content),
        hashAlgorithm: 'SHA-256',
        newestEventTime: isoSeconds(last),
        oldestEventTime: isoSeconds(first),
      });
      job.partitions.add(dayFolder(deliveredAt));
      await job.writer.write(key, content);
      files++;
    }
    slotStart = slotEnd;
  }
  await digests.finish();
  return { files, digestFiles: digests.written };
}

/** `n` event times (epoch ms, whole seconds) uniformly in `[from, to)`, ascending. */
function secondsIn(rng: Random, n: number, from: number, to: number): number[] {
  const first = Math.ceil(from / 1000);
  const span = Math.ceil(to / 1000) - first;
  const times: number[] = new Array(n);
  for (let i = 0; i < n; i++) times[i] = (first + rng.int(span)) * 1000;
  return times.sort((a, b) => a - b);
}

/**
 * Busier in office hours on weekdays, quiet at night and at weekends. `fractionUntil(t)` is the share of the range's
 * activity before `t` (piecewise linear over hours), so slots of any length get their fair share.
 */
class DiurnalCurve {
  private readonly prefix: number[] = [0];
  private readonly weights: number[] = [];

  constructor(
    private readonly start: number,
    private readonly end: number,
  ) {
    for (let t = start; t < end; t += HOUR) {
      const w = DiurnalCurve.weight(t + HOUR / 2);
      this.weights.push(w);
      this.prefix.push(this.prefix[this.prefix.length - 1]! + w);
    }
  }

  static weight(t: number): number {
    const d = new Date(t);
    const hour = d.getUTCHours();
    const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
    if (hour >= 7 && hour < 19) return weekend ? 0.35 : 1;
    if (hour >= 19 && hour < 23) return weekend ? 0.25 : 0.45;
    return 0.2;
  }

  fractionUntil(t: number): number {
    if (t >= this.end) return 1;
    const total = this.prefix[this.prefix.length - 1]!;
    const k = Math.floor((t - this.start) / HOUR);
    const within = (t - this.start - k * HOUR) / HOUR;
    return (this.prefix[k]! + this.weights[k]! * within) / total;
  }
}

// --- digests ---------------------------------------------------------------------------------------------------

type LogFileEntry = {
  s3Bucket: string;
  s3Object: string;
  hashValue: string;
  hashAlgorithm: 'SHA-256';
  newestEventTime: string;
  oldestEventTime: string;
};

/**
 * Hourly digest files, chained by the hash of the previous digest, listing the log files delivered in the hour
 * (hashes are SHA-256 of the uncompressed content, as in CloudTrail log file validation). The signature is random
 * hex: nothing verifies it here, and readers must skip these files anyway.
 */
class DigestChain {
  written = 0;
  private periodStart: number;
  private files: LogFileEntry[] = [];
  private previous: { key: string; hash: string; signature: string } | null = null;
  private readonly fingerprint: string;

  constructor(private readonly job: StreamJob) {
    this.periodStart = Math.floor(job.start / HOUR) * HOUR;
    this.fingerprint = job.digestRng.hex(32);
  }

  async logFileDelivered(deliveredAt: number, entry: LogFileEntry): Promise<void> {
    while (deliveredAt >= this.periodStart + HOUR) await this.close();
    this.files.push(entry);
  }

  /** Closes every hour that ended (with its digest delivered) before `now`. */
  async finish(): Promise<void> {
    while (this.periodStart + HOUR + 10 * MINUTE <= this.job.now) await this.close();
  }

  private async close(): Promise<void> {
    const { job } = this;
    const end = this.periodStart + HOUR;
    const deliveredAt = end + job.digestRng.between(60, 600) * 1000;
    const files = this.files;
    this.files = [];
    const periodStart = this.periodStart;
    this.periodStart = end;
    if (deliveredAt > job.now) return;
    const key = digestFileKey(
      job.account.id,
      job.region,
      job.trail.name,
      job.trail.homeRegion,
      deliveredAt,
      job.organizationId,
    );
    const times = files.flatMap((f) => [f.oldestEventTime, f.newestEventTime]).sort();
    const digest: JsonObject = {
      awsAccountId: job.account.id,
      digestStartTime: isoSeconds(periodStart),
      digestEndTime: isoSeconds(end),
      digestS3Bucket: job.trail.bucket,
      digestS3Object: key,
      digestPublicKeyFingerprint: this.fingerprint,
      digestSignatureAlgorithm: 'SHA256withRSA',
      newestEventTime: times[times.length - 1] ?? null,
      oldestEventTime: times[0] ?? null,
      previousDigestS3Bucket: this.previous ? job.trail.bucket : null,
      previousDigestS3Object: this.previous?.key ?? null,
      previousDigestHashValue: this.previous?.hash ?? null,
      previousDigestHashAlgorithm: this.previous ? 'SHA-256' : null,
      previousDigestSignature: this.previous?.signature ?? null,
      logFiles: files,
    };
    const content = JSON.stringify(digest);
    this.previous = { key, hash: sha256(content), signature: job.digestRng.hex(512) };
    await job.writer.write(key, content);
    this.written++;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

// --- file output -----------------------------------------------------------------------------------------------

/** Gzips and writes files with a bounded number in flight; the first failure is rethrown by the next call. */
class GzipWriter {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly dirs = new Map<string, Promise<unknown>>();
  private failure: { error: unknown } | null = null;

  constructor(private readonly root: string) {}

  async write(key: string, content: string): Promise<void> {
    while (this.inFlight.size >= MAX_IN_FLIGHT) await Promise.race(this.inFlight);
    this.rethrow();
    const task: Promise<void> = this.writeNow(key, content)
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
    this.rethrow();
  }

  private rethrow(): void {
    if (this.failure) throw this.failure.error;
  }

  private async writeNow(key: string, content: string): Promise<void> {
    const file = path.join(this.root, ...key.split('/'));
    const dir = path.dirname(file);
    let made = this.dirs.get(dir);
    if (!made) {
      made = mkdir(dir, { recursive: true });
      this.dirs.set(dir, made);
    }
    const [compressed] = await Promise.all([gzipAsync(content, { level: GZIP_LEVEL }), made]);
    await writeFile(file, compressed);
  }
}
