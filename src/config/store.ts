/** Settings for the execution store: DynamoDB when a table is named, else dynalite in the state folder. */
import { type EnvReader, setting } from './setting';
import type { StoreConfig } from './types';
import { dropUndefined, dynamoTableName, folder, httpUrl } from './values';

/** Name of the dynalite table in embedded mode. */
export const EMBEDDED_TABLE_NAME = 'trailbot';

export const TABLE = setting('TRAIL_TABLE', dynamoTableName, {
  unset: 'dynalite in `TRAIL_STATE_DIR`',
  doc: 'DynamoDB table name; setting it selects DynamoDB (`npx trail setup` creates it)',
});
export const DYNAMODB_ENDPOINT = setting('TRAIL_DYNAMODB_ENDPOINT', httpUrl, {
  unset: "AWS's",
  doc: 'DynamoDB endpoint URL (e.g. a local DynamoDB), only with `TRAIL_TABLE`',
});
export const STATE_DIR = setting('TRAIL_STATE_DIR', folder, {
  default: './.trailbot',
  doc: "the bot's local folder: dynalite's data (table `trailbot`), the columnar cache and the terminal's history",
});

export const STORE_SETTINGS = [TABLE, DYNAMODB_ENDPOINT, STATE_DIR];

export function readStore(r: EnvReader, region: string): StoreConfig {
  if (!r.isSet(TABLE)) {
    if (r.isSet(DYNAMODB_ENDPOINT)) {
      r.problem(DYNAMODB_ENDPOINT.name, 'only applies with TRAIL_TABLE (DynamoDB); set TRAIL_TABLE or remove this');
    }
    return { kind: 'dynalite', stateDir: r.get(STATE_DIR), tableName: EMBEDDED_TABLE_NAME };
  }
  return dropUndefined({
    kind: 'dynamodb' as const,
    tableName: r.optional(TABLE) ?? '',
    region,
    endpoint: r.optional(DYNAMODB_ENDPOINT),
  });
}
