import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TrailLocation } from '../config';
import { ConfigError } from '../core/errors';
import { logsRootKey, type ValidTrailLocation, validateTrailLocation } from './location';
import { CLOUDTRAIL_COLUMNS, CLOUDTRAIL_TABLE, hiveType } from './table';

export { type ValidTrailLocation, validateTrailLocation } from './location';

/**
 * The CloudTrail table as data and as DDL text. The data functions (`partitionKeys`, `cloudTrailTableProperties`,
 * `cloudTrailTableSpec`) are pure so infra/ builds the Glue table from exactly what `renderCloudTrailDdl` writes.
 */

/** Where the DDL templates live (`sql/ddl/`, beside the query templates). */
export const DDL_DIR = path.resolve(__dirname, '..', '..', 'sql', 'ddl');

/**
 * Storage of the current AWS CloudTrail DDLs, for both the partition-projection and the org-wide trail tables: the
 * Hive JSON SerDe with CloudTrailInputFormat (Athena User Guide, "Create the table for CloudTrail logs in Athena
 * using partition projection" and "Create the table for an AWS Organizations trail").
 */
export const CLOUDTRAIL_STORAGE = {
  serde: 'org.apache.hive.hcatalog.data.JsonSerDe',
  inputFormat: 'com.amazon.emr.cloudtrail.CloudTrailInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
} as const;

/** First day partition projection generates (AWS's DDL uses 2020/01/01). */
export const DEFAULT_PROJECTION_START = '2020/01/01';

/**
 * - `single`: one account, one region; partition `timestamp` only (the AWS partition-projection DDL).
 * - `multi-region`: one account, several regions; adds a `region` enum partition.
 * - `multi-account`: several accounts (an organization trail, or several accounts delivering to one bucket); adds
 *   `account` and `region` enum partitions and points LOCATION at `AWSLogs/[o-org/]`.
 */
export type CloudTrailTableVariant = 'single' | 'multi-region' | 'multi-account';

export interface PartitionKey {
  name: 'account' | 'region' | 'timestamp';
  type: 'string';
}

export interface CloudTrailDdlOptions {
  /** Database to qualify the table with; without it the table is created in the query's current database. */
  database?: string;
  /** Default `cloudtrail_logs` (CLOUDTRAIL_TABLE), the name every template queries. */
  table?: string;
  /** First projected day, `yyyy/MM/dd`; default 2020/01/01. */
  projectionStart?: string;
}

/** Everything infra/ needs for a Glue `CfnTable` / `glue.Table`, from the same source as the DDL. */
export interface CloudTrailTableSpec {
  name: string;
  columns: { name: string; type: string }[];
  partitionKeys: PartitionKey[];
  location: string;
  serde: string;
  inputFormat: string;
  outputFormat: string;
  /** Glue table parameters = the DDL's TBLPROPERTIES. */
  parameters: Record<string, string>;
}

/** Chooses the table shape from the location: one account and one region → single. */
export function cloudTrailTableVariant(location: TrailLocation): CloudTrailTableVariant {
  return variantOf(validateTrailLocation(location));
}

function variantOf(location: ValidTrailLocation): CloudTrailTableVariant {
  if (location.accounts.length > 1) return 'multi-account';
  if (location.regions.length > 1) return 'multi-region';
  return 'single';
}

/**
 * Partition columns the table has for these accounts and regions, without validating a bucket: the query binder needs
 * them in every mode, so that `region:`/`account:` narrow Athena's partitions and DuckDB's files with the same SQL.
 */
export function partitionColumnNames(location: Pick<TrailLocation, 'accounts' | 'regions'>): string[] {
  return keysOf(variantOf(location as ValidTrailLocation)).map((k) => k.name);
}

/** Partition keys in path order (account, region, day). */
export function partitionKeys(location: TrailLocation): PartitionKey[] {
  return keysOf(variantOf(validateTrailLocation(location)));
}

function keysOf(variant: CloudTrailTableVariant): PartitionKey[] {
  const day: PartitionKey = { name: 'timestamp', type: 'string' };
  const region: PartitionKey = { name: 'region', type: 'string' };
  const account: PartitionKey = { name: 'account', type: 'string' };
  switch (variant) {
    case 'single':
      return [day];
    case 'multi-region':
      return [region, day];
    case 'multi-account':
      return [account, region, day];
  }
}

/** `${name}` as Athena's storage.location.template writes it (kept out of template literals on purpose). */
const projected = (name: PartitionKey['name']): string => '$' + '{' + name + '}';

/** Table LOCATION, with the trailing slash Athena asks for on a folder. */
export function tableLocation(location: TrailLocation): string {
  return locationOf(validateTrailLocation(location));
}

function locationOf(location: ValidTrailLocation): string {
  const root = `s3://${location.bucket}/${logsRootKey(location)}`;
  switch (variantOf(location)) {
    case 'single':
      return `${root}${location.accounts[0]}/CloudTrail/${location.regions[0]}/`;
    case 'multi-region':
      return `${root}${location.accounts[0]}/CloudTrail/`;
    case 'multi-account':
      return root;
  }
}

function storageTemplateOf(location: ValidTrailLocation): string {
  const root = `s3://${location.bucket}/${logsRootKey(location)}`;
  switch (variantOf(location)) {
    case 'single':
      return `${root}${location.accounts[0]}/CloudTrail/${location.regions[0]}/${projected('timestamp')}`;
    case 'multi-region':
      return `${root}${location.accounts[0]}/CloudTrail/${projected('region')}/${projected('timestamp')}`;
    case 'multi-account':
      return `${root}${projected('account')}/CloudTrail/${projected('region')}/${projected('timestamp')}`;
  }
}

/**
 * TBLPROPERTIES for partition projection (Athena User Guide, create-cloudtrail-table-partition-projection.html):
 * `timestamp` is a daily `date` projection in CloudTrail's `yyyy/MM/dd` layout up to NOW; `region` and `account` are
 * `enum` projections of the configured values. AWS advises keeping enums to "a few dozen or less"
 * (partition-projection-supported-types.html); `injected` would avoid listing accounts but makes every query name an
 * account, which the templates do not do.
 */
export function cloudTrailTableProperties(
  location: TrailLocation,
  options: Pick<CloudTrailDdlOptions, 'projectionStart'> = {},
): Record<string, string> {
  return propertiesOf(validateTrailLocation(location), options.projectionStart ?? DEFAULT_PROJECTION_START);
}

function propertiesOf(location: ValidTrailLocation, projectionStart: string): Record<string, string> {
  if (!/^\d{4}\/(0[1-9]|1[0-2])\/(0[1-9]|[12]\d|3[01])$/.test(projectionStart)) {
    throw new ConfigError([`projection start \`${projectionStart}\` must be a day written yyyy/MM/dd`]);
  }
  const variant = variantOf(location);
  const properties: Record<string, string> = {
    'projection.enabled': 'true',
    'projection.timestamp.type': 'date',
    'projection.timestamp.format': 'yyyy/MM/dd',
    'projection.timestamp.interval': '1',
    'projection.timestamp.interval.unit': 'DAYS',
    'projection.timestamp.range': `${projectionStart},NOW`,
  };
  if (variant !== 'single') {
    properties['projection.region.type'] = 'enum';
    properties['projection.region.values'] = location.regions.join(',');
  }
  if (variant === 'multi-account') {
    properties['projection.account.type'] = 'enum';
    properties['projection.account.values'] = location.accounts.join(',');
  }
  properties['storage.location.template'] = storageTemplateOf(location);
  return properties;
}

/** The Glue table, as data (columns via `hiveType`, the same text the DDL uses). */
export function cloudTrailTableSpec(location: TrailLocation, options: CloudTrailDdlOptions = {}): CloudTrailTableSpec {
  const valid = validateTrailLocation(location);
  const name = identifier(options.table ?? CLOUDTRAIL_TABLE, 'table');
  return {
    name,
    columns: CLOUDTRAIL_COLUMNS.map((c) => ({ name: c.name, type: hiveType(c.type) })),
    partitionKeys: keysOf(variantOf(valid)),
    location: locationOf(valid),
    ...CLOUDTRAIL_STORAGE,
    parameters: propertiesOf(valid, options.projectionStart ?? DEFAULT_PROJECTION_START),
  };
}

/** `CREATE EXTERNAL TABLE IF NOT EXISTS …` for the configured trail, from `sql/ddl/cloudtrail_table.sql`. */
export function renderCloudTrailDdl(location: TrailLocation, options: CloudTrailDdlOptions = {}): string {
  const spec = cloudTrailTableSpec(location, options);
  return fillDdlTemplate(loadDdlTemplate('cloudtrail_table'), {
    tableName: qualifiedName(options.database, spec.name),
    columns: spec.columns.map((c) => `  ${quoteIdentifier(c.name)} ${c.type}`).join(',\n'),
    partitionKeys: spec.partitionKeys.map((k) => `  ${quoteIdentifier(k.name)} ${k.type}`).join(',\n'),
    serde: ddlString(spec.serde),
    inputFormat: ddlString(spec.inputFormat),
    outputFormat: ddlString(spec.outputFormat),
    location: ddlString(spec.location),
    tableProperties: Object.entries(spec.parameters)
      .map(([key, value]) => `  '${ddlString(key)}'='${ddlString(value)}'`)
      .join(',\n'),
  });
}

/** `CREATE DATABASE IF NOT EXISTS …` from `sql/ddl/database.sql`. */
export function renderCreateDatabaseDdl(database: string): string {
  return fillDdlTemplate(loadDdlTemplate('database'), { database: quoteIdentifier(identifier(database, 'database')) });
}

/** `DROP TABLE IF EXISTS …` (metadata only: the table is EXTERNAL) from `sql/ddl/drop_table.sql`. */
export function renderDropTableDdl(options: Pick<CloudTrailDdlOptions, 'database' | 'table'> = {}): string {
  const table = identifier(options.table ?? CLOUDTRAIL_TABLE, 'table');
  return fillDdlTemplate(loadDdlTemplate('drop_table'), { tableName: qualifiedName(options.database, table) });
}

/**
 * Athena database and table names: "lowercase letters, numbers, and the underscore character"
 * (docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html), at most 255 characters.
 */
export function identifier(name: string, what: 'database' | 'table'): string {
  if (!/^[a-z0-9_]{1,255}$/.test(name)) {
    throw new ConfigError([`Athena ${what} name \`${name}\` may use only lowercase letters, digits and _`]);
  }
  return name;
}

export const quoteIdentifier = (name: string): string => `\`${name}\``;

export function qualifiedName(database: string | undefined, table: string): string {
  const quotedTable = quoteIdentifier(table);
  return database === undefined ? quotedTable : `${quoteIdentifier(identifier(database, 'database'))}.${quotedTable}`;
}

/**
 * Text for inside a DDL string literal. Athena DDL is parsed by Hive, where `\` escapes inside literals, so rather
 * than escaping, a value with a quote or backslash is refused (validated locations never contain either).
 */
export function ddlString(value: string): string {
  if (/['\\\n\r\u0000]/.test(value)) throw new ConfigError([`value \`${value}\` cannot be written into DDL`]);
  return value;
}

const ddlTemplates = new Map<string, string>();

/** Reads `sql/ddl/<name>.sql` (cached), without its `--` comment lines. */
export function loadDdlTemplate(name: string, dir = DDL_DIR): string {
  const file = path.join(dir, `${name}.sql`);
  let text = ddlTemplates.get(file);
  if (text === undefined) {
    text = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('--'))
      .join('\n')
      .trim();
    ddlTemplates.set(file, text);
  }
  return text;
}

/**
 * Fills `${name}` placeholders in one pass, so filled-in values are never scanned again: the storage location
 * template legitimately contains Athena's own `${timestamp}`. An unknown or unused placeholder is a bug.
 */
export function fillDdlTemplate(template: string, values: Record<string, string>): string {
  const used = new Set<string>();
  const text = template.replace(/\$\{([A-Za-z]+)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`DDL template placeholder \${${name}} has no value`);
    used.add(name);
    return value;
  });
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`DDL template does not use ${unused.join(', ')}`);
  return text;
}
