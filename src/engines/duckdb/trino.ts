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
 * An IPv6 address in plain hex groups, at most one `::` standing for at least one zero group (RFC 4291 section 2.2,
 * forms 1 and 2), any case, 1–4 digits a group: a subset of what ipaddr.js accepts, with the same value. Embedded
 * IPv4 (`::ffff:1.2.3.4`), zone ids and surrounding white space are left to the JS function.
 */
const H = '[0-9a-fA-F]{1,4}';
const IPV6 = `(?:(${H}:){7}${H}|(${H}:){1,7}:|(${H}:){1,6}:${H}|(${H}:){1,5}(:${H}){1,2}|(${H}:){1,4}(:${H}){1,3}|(${H}:){1,3}(:${H}){1,4}|(${H}:){1,2}(:${H}){1,5}|${H}:(:${H}){1,6}|:((:${H}){1,7}|:))`;
const IPV4_NETWORK = `${IPV4}/(3[0-2]|[12]?[0-9])`;
const IPV6_NETWORK = `${IPV6}/(12[0-8]|1[01][0-9]|[1-9]?[0-9])`;
/** The 96 bits before an IPv4-mapped address (::ffff:0:0/96, RFC 4291 section 2.5.5.2), as hex digits. */
const MAPPED_HEX = '00000000000000000000ffff';

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
  //
  // IP matching is SQL for every spelling CloudTrail writes, so no row waits on the per-row JS function (a call per
  // vector on the Node main thread: ~400 ms for 11k IPv6 addresses, where reading the column takes ~8 ms). Trino
  // holds an IPv4 address as IPv4-mapped IPv6, so both sides become 32 hex digits (an IPv4 network a.b.c.d/p is
  // ::ffff:a.b.c.d/(96 + p)) and a match is a text prefix of p / 4 digits plus the leading bits of one digit. A side
  // the patterns above do not cover (embedded IPv4, zone ids, white space, invalid text, an invalid network) goes to
  // the JS function, which implements Trino's rules in full, raises for an invalid network, and is what the property
  // test (test/engines/duckdb/ip-match.property.test.ts) holds this SQL against.
  `CREATE OR REPLACE TEMP MACRO trailbot_ipv4_number(a) AS
     CAST(split_part(a, '.', 1) AS BIGINT) * 16777216 + CAST(split_part(a, '.', 2) AS BIGINT) * 65536
     + CAST(split_part(a, '.', 3) AS BIGINT) * 256 + CAST(split_part(a, '.', 4) AS BIGINT)`,
  // IPv4 in an IPv4 network (nearly every row of `ip` and `logins external`) in integer arithmetic.
  `CREATE OR REPLACE TEMP MACRO trailbot_ipv4_contains(network, address) AS
     trailbot_ipv4_number(address) // (CAST(1 AS BIGINT) << (32 - CAST(split_part(network, '/', 2) AS INTEGER)))
       = trailbot_ipv4_number(split_part(network, '/', 1)) // (CAST(1 AS BIGINT) << (32 - CAST(split_part(network, '/', 2) AS INTEGER)))`,
  // A macro copies its argument's expression wherever the parameter appears, and the copies nest, so the macros
  // below name each costly argument once (a one-element list_transform binds it, as a let would): written plainly,
  // binding one contains() took ~250 ms.
  //
  // An address matching IPV6 as 32 hex digits: the '::' becomes the zero groups the others leave (as ipaddr.js's
  // expandIPv6 does), then every group is padded to 4 digits ('000' before each, the last 4 kept).
  // (The groups are counted as text: a list's length over a bound parameter leaves the result type unresolved when
  // the statement is prepared, which the engine's spool cannot take.)
  `CREATE OR REPLACE TEMP MACRO trailbot_ipv6_group_count(a) AS
     length(regexp_replace(regexp_replace(a, '[0-9a-fA-F]+', 'x', 'g'), ':', '', 'g'))`,
  `CREATE OR REPLACE TEMP MACRO trailbot_ipv6_hex(a) AS
     regexp_replace(
       regexp_replace(':' || trim(replace(lower(a), '::', ':' || repeat('0:', 8 - trailbot_ipv6_group_count(a))), ':'), ':', ':000', 'g'),
       ':0*([0-9a-f]{4})', '\\1', 'g')`,
  // An address as 32 hex digits, IPv4 as IPv4-mapped; NULL when the patterns above do not cover its spelling.
  `CREATE OR REPLACE TEMP MACRO trailbot_address_hex(a) AS
     CASE WHEN regexp_full_match(a, '${IPV4}') THEN '${MAPPED_HEX}' || printf('%08x', trailbot_ipv4_number(a))
          WHEN regexp_full_match(a, '${IPV6}') THEN trailbot_ipv6_hex(a) END`,
  // A network as its address in 32 hex digits, '/', and the prefix length over those 128 bits; NULL when the patterns
  // do not cover it.
  `CREATE OR REPLACE TEMP MACRO trailbot_network_key(n) AS
     CASE WHEN regexp_full_match(n, '${IPV4_NETWORK}')
            THEN '${MAPPED_HEX}' || printf('%08x', trailbot_ipv4_number(split_part(n, '/', 1))) || '/'
                 || CAST(CAST(split_part(n, '/', 2) AS INTEGER) + 96 AS VARCHAR)
          WHEN regexp_full_match(n, '${IPV6_NETWORK}')
            THEN trailbot_ipv6_hex(split_part(n, '/', 1)) || '/' || split_part(n, '/', 2) END`,
  // Hex digit k (1-based) as a number; 0 past the end, where the shift below discards it anyway.
  `CREATE OR REPLACE TEMP MACRO trailbot_hex_digit(h, k) AS strpos('0123456789abcdef', substr(h, k, 1)) - 1`,
  // The first `bits` bits agree: bits / 4 whole digits, then the top bits % 4 bits of the next digit.
  `CREATE OR REPLACE TEMP MACRO trailbot_hex_prefix_match(a, n, bits) AS
     left(a, bits // 4) = left(n, bits // 4)
     AND trailbot_hex_digit(a, bits // 4 + 1) >> (4 - bits % 4) = trailbot_hex_digit(n, bits // 4 + 1) >> (4 - bits % 4)`,
  // NULL when either side is NULL (not covered), else whether the address hex lies in the network key.
  `CREATE OR REPLACE TEMP MACRO trailbot_hex_match(address_hex, network_key) AS
     list_transform([{'a': CAST(address_hex AS VARCHAR), 'k': CAST(network_key AS VARCHAR)}], lambda x:
       CASE WHEN x.a IS NOT NULL AND x.k IS NOT NULL
         THEN trailbot_hex_prefix_match(x.a, left(x.k, 32), CAST(substr(x.k, 34) AS INTEGER)) END)[1]`,
  // In order: IPv4 in IPv4; NULL in, NULL out (the JS function never sees a NULL either); both sides covered by the
  // patterns; else the JS function, unless the address is a name (a letter and no ':' is neither IPv4, digits and
  // dots once trimmed, nor IPv6, which ipaddr.js wants a ':' for) and the network is valid, which is NULL at once:
  // with an invalid network the JS function must see the row to raise.
  `CREATE OR REPLACE TEMP MACRO trailbot_ip_contains(network, address) AS
     CASE
       WHEN regexp_full_match(address, '${IPV4}') AND regexp_full_match(network, '${IPV4_NETWORK}')
         THEN trailbot_ipv4_contains(network, address)
       WHEN address IS NULL THEN NULL
       ELSE coalesce(
         trailbot_hex_match(trailbot_address_hex(address), trailbot_network_key(network)),
         CASE WHEN strpos(address, ':') = 0 AND regexp_matches(address, '[a-zA-Z]')
                AND (regexp_full_match(network, '${IPV4_NETWORK}') OR regexp_full_match(network, '${IPV6_NETWORK}'))
              THEN NULL
              ELSE ${CIDR_CONTAINS_FUNCTION}(network, address) END)
     END`,
  // A bound parameter ($1: the templates' networks) has no type while the statement is prepared; the casts give it
  // one, so the result's type is known then (else DuckDB reports type id 0, which the engine's spool cannot take).
  `CREATE OR REPLACE TEMP MACRO contains(network VARCHAR, address VARCHAR) AS
     trailbot_ip_contains(CAST(network AS VARCHAR), CAST(address AS VARCHAR)),
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
