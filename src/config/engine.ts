/** Settings for the query engine: Athena when a workgroup or database is named, else DuckDB over local files. */
import path from 'node:path';
import { type EnvReader, setting } from './setting';
import { STATE_DIR, TABLE } from './store';
import type { EngineConfig } from './types';
import { athenaName, dropUndefined, folder, regionName, s3Uri, wholeNumber, workgroupName, yesNo } from './values';

export const ATHENA_WORKGROUP = setting('TRAIL_ATHENA_WORKGROUP', workgroupName, {
  default: 'primary',
  doc: 'Athena workgroup; setting it or `TRAIL_ATHENA_DATABASE` selects Athena',
});
export const ATHENA_DATABASE = setting('TRAIL_ATHENA_DATABASE', athenaName, {
  unset: 'required with Athena',
  doc: 'Glue database holding the CloudTrail table; setting it selects Athena',
});
export const ATHENA_CATALOG = setting('TRAIL_ATHENA_CATALOG', athenaName, {
  default: 'AwsDataCatalog',
  doc: 'Athena data catalog',
});
export const ATHENA_OUTPUT = setting('TRAIL_ATHENA_OUTPUT', s3Uri, {
  unset: "the workgroup's",
  doc: '`s3://bucket/prefix/` for query results when the workgroup does not enforce one',
});
export const ATHENA_REUSE_MINUTES = setting('TRAIL_ATHENA_REUSE_MINUTES', wholeNumber(0, 10_080), {
  unset: 'off',
  doc: 'Athena result reuse: the oldest result to reuse, in minutes (0 to 10080; 0 is off)',
});
export const AWS_REGION = setting('AWS_REGION', regionName, {
  unset: 'required with Athena or DynamoDB',
  doc: 'the Region of Athena and DynamoDB',
});
export const TRAIL_AWS_REGION = setting('TRAIL_AWS_REGION', regionName, {
  unset: '`AWS_REGION`',
  doc: "wins over `AWS_REGION` (which Lambda and ECS set to the host's Region), to query another Region",
});
export const DATA_DIR = setting('TRAIL_DATA_DIR', folder, {
  default: './data',
  doc: 'embedded DuckDB engine: folder of CloudTrail files (S3 layout or flat exports)',
});
export const STRICT = setting('TRAIL_STRICT', yesNo, {
  default: 'false',
  doc: 'embedded DuckDB engine: fail on a corrupt file instead of skipping it',
});
export const CACHE = setting('TRAIL_CACHE', yesNo, {
  default: 'true',
  doc: 'embedded DuckDB engine: keep closed days as Parquet under `TRAIL_STATE_DIR/cache` (repeat questions read columns, not JSON)',
});

export const ENGINE_SETTINGS = [
  ATHENA_WORKGROUP,
  ATHENA_DATABASE,
  ATHENA_CATALOG,
  ATHENA_OUTPUT,
  ATHENA_REUSE_MINUTES,
  AWS_REGION,
  TRAIL_AWS_REGION,
  DATA_DIR,
  STRICT,
  CACHE,
];

/**
 * The Region, read once for both Athena and DynamoDB so a missing one is one problem, not two. TRAIL_AWS_REGION wins
 * over AWS_REGION (which the SDK, Lambda and ECS also set) so trailbot can target another Region than its host.
 */
export function readRegion(r: EnvReader): string {
  const neededFor: string[] = [];
  if (athenaSelected(r)) neededFor.push('Athena (TRAIL_ATHENA_WORKGROUP/TRAIL_ATHENA_DATABASE)');
  if (r.isSet(TABLE)) neededFor.push('DynamoDB (TRAIL_TABLE)');
  if (neededFor.length === 0) {
    r.optional(TRAIL_AWS_REGION); // unused, but a malformed value is still a mistake worth reporting
    return '';
  }
  const chosen = r.isSet(TRAIL_AWS_REGION) ? TRAIL_AWS_REGION : AWS_REGION;
  if (!r.isSet(chosen)) {
    r.problem(
      AWS_REGION.name,
      `required for ${neededFor.join(' and ')}; set AWS_REGION or TRAIL_AWS_REGION (e.g. us-east-1)`,
    );
    return '';
  }
  return r.optional(chosen) ?? '';
}

function athenaSelected(r: EnvReader): boolean {
  return r.isSet(ATHENA_WORKGROUP) || r.isSet(ATHENA_DATABASE);
}

export function readEngine(r: EnvReader, region: string): EngineConfig {
  if (!athenaSelected(r)) {
    for (const s of [ATHENA_CATALOG, ATHENA_OUTPUT, ATHENA_REUSE_MINUTES]) {
      if (r.isSet(s)) {
        r.problem(
          s.name,
          'only applies to Athena, which is not selected; set TRAIL_ATHENA_DATABASE to use Athena, or remove this',
        );
      }
    }
    const cache = r.get(CACHE);
    // The cache lives in the state folder (never in the user's logs folder), whichever store is used.
    const stateDir = r.get(STATE_DIR);
    return {
      kind: 'duckdb',
      dataDir: r.get(DATA_DIR),
      strict: r.get(STRICT),
      ...(cache ? { cacheDir: path.join(stateDir, 'cache') } : {}),
    };
  }
  const database = r.optional(ATHENA_DATABASE);
  if (!r.isSet(ATHENA_DATABASE)) {
    r.problem(
      ATHENA_DATABASE.name,
      'required with Athena: the Glue database that holds the CloudTrail table (e.g. cloudtrail)',
    );
  }
  return dropUndefined({
    kind: 'athena' as const,
    region,
    workgroup: r.get(ATHENA_WORKGROUP),
    database: database ?? '',
    catalog: r.get(ATHENA_CATALOG),
    outputLocation: r.optional(ATHENA_OUTPUT),
    reuseMaxAgeMinutes: r.optional(ATHENA_REUSE_MINUTES),
  });
}
