import { BOOLEAN, type DuckDBConnection, DuckDBScalarFunction, VARCHAR } from '@duckdb/node-api';
import ipaddr from 'ipaddr.js';

/**
 * Trino (Athena engine v3) functions the templates in sql/ use, provided on a DuckDB connection so the same SQL text
 * runs on both engines (sql/README.md lists them). DuckDB has no `json_extract_scalar` or `from_iso8601_timestamp`,
 * and its own `date_add` takes two arguments (checked on DuckDB 1.5; Trino's signatures: https://trino.io/docs/current/
 * functions/datetime.html and Athena User Guide, functions-env3.html).
 *
 * Everything is connection-scoped (TEMP) so an instance handed in by the caller is not changed, except the one JS
 * scalar function, which DuckDB registers instance-wide under a trailbot-prefixed name.
 */

/** Name of the JS scalar function behind `contains(network, address)`. */
export const CIDR_CONTAINS_FUNCTION = 'trailbot_cidr_contains';

/** A strict dotted-quad IPv4 address (no leading zeros, each part 0–255), as ipaddr.js's isValidFourPartDecimal. */
const IPV4_OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV4 = `${IPV4_OCTET}(\\.${IPV4_OCTET}){3}`;

/**
 * One statement per shim. DuckDB allows overloads of a macro only inside one CREATE MACRO, and a macro by an existing
 * name shadows the built-in for every arity (DuckDB docs, "CREATE MACRO Statement":
 * https://duckdb.org/docs/stable/sql/statements/create_macro), hence both `date_add` forms and both `contains` forms.
 */
export const TRINO_SHIM_STATEMENTS: readonly string[] = [
  // Results, hour() and date_trunc() must not depend on the machine's time zone: Athena works in UTC.
  `SET SESSION TimeZone = 'UTC'`,
  // Trino's IPADDRESS type, spelled so `try_cast(x AS ipaddress)` parses. DuckDB cannot validate on cast: the value
  // stays text, and contains() below answers NULL for anything that is not an IP address.
  `CREATE TEMP TYPE ipaddress AS VARCHAR`,
  // Trino: "the value referenced by json_path must be a scalar (boolean, number or string)"; objects and arrays give
  // NULL, as does text that is not JSON (Trino returns NULL where DuckDB would raise, hence try()).
  `CREATE OR REPLACE TEMP MACRO trailbot_json_scalar(v) AS
     CASE WHEN v IS NULL OR json_type(v) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(v, '$') END`,
  `CREATE OR REPLACE TEMP MACRO json_extract_scalar(j, p) AS try(trailbot_json_scalar(json_extract(j, p)))`,
  // CloudTrail eventTime is ISO-8601 with a Z suffix; a TIMESTAMPTZ is an instant, like Trino's timestamp with zone.
  `CREATE OR REPLACE TEMP MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)`,
  `CREATE OR REPLACE TEMP MACRO to_iso8601(ts) AS strftime(timezone('UTC', CAST(ts AS TIMESTAMPTZ)), '%Y-%m-%dT%H:%M:%S.%gZ')`,
  // Trino keeps the zone inside the value; DuckDB has no such type, so this gives the wall-clock time in `zone` as a
  // plain TIMESTAMP. hour(), minute(), day_of_week() and date_trunc() on it then answer in that zone, as in Trino.
  `CREATE OR REPLACE TEMP MACRO at_timezone(ts, zone) AS timezone(zone, CAST(ts AS TIMESTAMPTZ))`,
  // ISO day of week, Monday = 1 … Sunday = 7 (DuckDB's own dayofweek() counts Sunday = 0).
  `CREATE OR REPLACE TEMP MACRO day_of_week(ts) AS isodow(ts)`,
  `CREATE OR REPLACE TEMP MACRO dow(ts) AS isodow(ts)`,
  // Trino skips NULL elements unless a replacement is given.
  `CREATE OR REPLACE TEMP MACRO array_join(a, sep) AS array_to_string(a, sep),
     (a, sep, null_replacement) AS array_to_string(list_transform(a, lambda x: coalesce(CAST(x AS VARCHAR), null_replacement)), sep)`,
  `CREATE OR REPLACE TEMP MACRO json_format(j) AS CAST(CAST(j AS JSON) AS VARCHAR)`,
  `CREATE OR REPLACE TEMP MACRO date_add(d, i) AS d + i,
     (unit, v, ts) AS ts + CAST(CAST(v AS VARCHAR) || ' ' || unit AS INTERVAL)`,
  `CREATE OR REPLACE TEMP MACRO regexp_like(s, pattern) AS regexp_matches(s, pattern)`,
  // Trino slice(array, start, length) is 1-based with a length; DuckDB list_slice takes an inclusive end.
  `CREATE OR REPLACE TEMP MACRO slice(a, start, length) AS list_slice(a, start, start + length - 1)`,
  // Trino has no contains(varchar, varchar) (that is strpos), only contains(array, element) and
  // contains(network varchar, address ipaddress); typed overloads keep both working.
  // IPv4 in IPv4 networks (nearly every row of `ip` and `logins external`) in SQL, without the per-row JS call;
  // an IPv4 address against an IPv6 network whose first 16 bits are fixed and non-zero cannot be inside (IPv4-mapped
  // addresses start with 0); everything else goes to the JS function, which implements Trino's rules in full.
  `CREATE OR REPLACE TEMP MACRO trailbot_ipv4_number(a) AS
     CAST(split_part(a, '.', 1) AS BIGINT) * 16777216 + CAST(split_part(a, '.', 2) AS BIGINT) * 65536
     + CAST(split_part(a, '.', 3) AS BIGINT) * 256 + CAST(split_part(a, '.', 4) AS BIGINT)`,
  `CREATE OR REPLACE TEMP MACRO trailbot_ipv4_contains(network, address) AS
     CASE WHEN regexp_full_match(trim(address), '${IPV4}')
       THEN trailbot_ipv4_number(trim(address)) // (CAST(1 AS BIGINT) << (32 - CAST(split_part(network, '/', 2) AS INTEGER)))
          = trailbot_ipv4_number(split_part(trim(network), '/', 1)) // (CAST(1 AS BIGINT) << (32 - CAST(split_part(network, '/', 2) AS INTEGER)))
     END`,
  `CREATE OR REPLACE TEMP MACRO contains(network VARCHAR, address VARCHAR) AS
     CASE
       WHEN strpos(address, ':') = 0 AND regexp_full_match(trim(network), '${IPV4}/(3[0-2]|[12]?[0-9])')
         THEN trailbot_ipv4_contains(network, address)
       WHEN strpos(address, ':') = 0 AND regexp_full_match(trim(network), '[1-9a-fA-F][0-9a-fA-F]{0,3}:[0-9a-fA-F:]*/(12[0-8]|1[01][0-9]|[2-9][0-9]|1[6-9])')
         THEN CASE WHEN regexp_full_match(trim(address), '${IPV4}') THEN false END
       ELSE ${CIDR_CONTAINS_FUNCTION}(network, address)
     END,
     (a, element) AS list_contains(a, element)`,
];

/** Raised inside the CIDR function; DuckDB turns it into the query's error. */
export class InvalidCidrError extends Error {
  readonly code = 'INVALID_CIDR';
  constructor(readonly network: string) {
    super(`Invalid CIDR network: ${network}`);
  }
}

type Network = { kind: 'ipv4'; range: [ipaddr.IPv4, number] } | { kind: 'ipv6'; range: [ipaddr.IPv6, number] };

function parseNetwork(network: string): Network {
  const text = network.trim();
  if (ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) return { kind: 'ipv4', range: ipaddr.IPv4.parseCIDR(text) };
  if (text.includes(':') && ipaddr.IPv6.isValidCIDR(text)) return { kind: 'ipv6', range: ipaddr.IPv6.parseCIDR(text) };
  throw new InvalidCidrError(network);
}

/** Strict textual IP (no classful `127.1` or hex forms, which Trino's IPADDRESS cast rejects). */
function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const text = address.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) {
    const v6 = ipaddr.IPv6.parse(text);
    return v6.zoneId === undefined ? v6 : null;
  }
  return null;
}

/**
 * Trino's `contains(network, address)`: true when the address lies in the CIDR network. Trino stores IPv4 addresses
 * as IPv4-mapped IPv6, so `::ffff:10.0.0.1` is inside `10.0.0.0/8` and `10.0.0.1` is inside `::ffff:0:0/96`.
 * Returns null when the address is not an IP address (CloudTrail's sourceIPAddress is often a service name such as
 * `ec2.amazonaws.com`); throws InvalidCidrError for a malformed network, as Trino does.
 */
export function cidrContains(network: string, address: string, cache?: Map<string, Network>): boolean | null {
  let net = cache?.get(network);
  if (!net) {
    net = parseNetwork(network);
    cache?.set(network, net);
  }
  const ip = parseAddress(address);
  if (!ip) return null;
  if (net.kind === 'ipv4') {
    if (ip.kind() === 'ipv4') return ip.match(net.range);
    const v6 = ip as ipaddr.IPv6;
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address().match(net.range) : false;
  }
  const v6 = ip.kind() === 'ipv6' ? (ip as ipaddr.IPv6) : (ip as ipaddr.IPv4).toIPv4MappedAddress();
  return v6.match(net.range);
}

/**
 * The only per-row JS in the engine. DuckDB calls it once per vector (up to 2048 rows); NULL inputs never reach it
 * (default NULL handling), and the parsed network is cached because templates pass one constant CIDR.
 */
function cidrContainsFunction(): DuckDBScalarFunction {
  const networks = new Map<string, Network>();
  return DuckDBScalarFunction.create({
    name: CIDR_CONTAINS_FUNCTION,
    returnType: BOOLEAN,
    parameterTypes: [VARCHAR, VARCHAR],
    mainFunction: (info, input, output) => {
      const networkColumn = input.getColumnVector(0);
      const addressColumn = input.getColumnVector(1);
      try {
        for (let row = 0; row < input.rowCount; row++) {
          const network = networkColumn.getItem(row);
          const address = addressColumn.getItem(row);
          output.setItem(
            row,
            typeof network === 'string' && typeof address === 'string'
              ? cidrContains(network, address, networks)
              : null,
          );
        }
        output.flush();
      } catch (err) {
        info.setError(err instanceof Error ? err.message : String(err));
      }
    },
  });
}

/** Registers the JS functions (instance-wide) and the macros (this connection). Safe to call on every connection. */
export async function installTrinoShims(connection: DuckDBConnection): Promise<void> {
  connection.registerScalarFunction(cidrContainsFunction());
  for (const statement of TRINO_SHIM_STATEMENTS) await connection.run(statement);
}
