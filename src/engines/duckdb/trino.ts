import ipaddr from 'ipaddr.js';
import type { SqlParam } from '../../core/query';
import { BOOLEAN, type DuckDBConnection, DuckDBScalarFunction, LIST, listValue, VARCHAR } from './native';

/**
 * Trino (Athena engine v3) functions the templates in sql/ use, provided on a DuckDB connection so the same SQL text
 * runs on both engines (sql/README.md lists them). DuckDB has no `json_extract_scalar` or `from_iso8601_timestamp`,
 * and its own `date_add` takes two arguments (checked on DuckDB 1.5; Trino's signatures: https://trino.io/docs/current/
 * functions/datetime.html and Athena User Guide, functions-env3.html).
 *
 * Everything is connection-scoped (TEMP) so an instance handed in by the caller is not changed, except the one JS
 * scalar function, which DuckDB registers instance-wide under a trailbot-prefixed name.
 */

/** Name of the JS scalar function behind `contains(network, address)` for what the SQL does not cover. */
export const CIDR_CONTAINS_FUNCTION = 'trailbot_cidr_contains';
/** Names of the JS scalar functions giving a network's hex prefixes and IPv4 pattern (cidrPrefixes, cidrIPv4Pattern). */
export const CIDR_PREFIXES_FUNCTION = 'trailbot_cidr_prefixes';
export const CIDR_IPV4_PATTERN_FUNCTION = 'trailbot_cidr_ipv4_pattern';

/** Connection variables (MAP network → value) holding cidrPrefixes and cidrIPv4Pattern of the question's networks. */
const NETWORK_PREFIXES_VARIABLE = 'trailbot_network_prefixes';
const NETWORK_IPV4_VARIABLE = 'trailbot_network_ipv4_patterns';

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
  // IP matching runs in SQL for every spelling CloudTrail writes, so no row waits on the per-row JS function (a call
  // per vector on the Node main thread: ~400 ms for 11k IPv6 addresses, where reading the column takes ~8 ms). The
  // network side is JS run once: DuckDB folds a call on the question's bound network into a constant when it plans
  // the query (cidrPrefixes, cidrIPv4Pattern below). Trino holds an IPv4 address as IPv4-mapped IPv6, so an IPv6
  // address becomes 32 hex digits and lies in the network when they start with one of the network's hex prefixes; a
  // dotted-quad address lies in it when it matches the network's pattern of dotted quads. An address these patterns
  // do not cover (embedded IPv4, zone ids, white space, invalid text) and an invalid network go to the per-row JS
  // function, which implements Trino's rules in full and raises for an invalid network; the property test
  // (test/engines/duckdb/ip-match.property.test.ts) holds this SQL against it.
  //
  // The address is named once on each path: a macro copies its argument wherever the parameter appears, and DuckDB
  // evaluates each copy. The filter stays above the Parquet scan (DuckDB pushes no expression that can raise, and
  // the arithmetic below can), so a template's other conditions run first: eventname = 'ConsoleLogin' prunes the
  // cache's row groups, which are sorted by event name. Pushed into the scan (tried with functions that cannot
  // raise), this ran on every row: `logins external 7d` warm took 176 ms instead of 48.
  //
  // An address matching IPV6 as 32 hex digits: the '::' becomes the zero groups the others leave, counted as
  // ipaddr.js's expandIPv6 counts them (8 less the colons, plus one for a '::' at either end), then every group is
  // padded to 4 digits by one list_reduce over ['', group 1, …, group 8] (regexp_replace with 'g' cost ~5 µs a row).
  `CREATE OR REPLACE TEMP MACRO trailbot_ipv6_zero_groups(a) AS
     repeat('0:', 8 - (length(a) - length(replace(a, ':', ''))) + CAST(starts_with(a, '::') AS INTEGER) + CAST(ends_with(a, '::') AS INTEGER))`,
  `CREATE OR REPLACE TEMP MACRO trailbot_ipv6_hex(a) AS
     list_reduce(
       string_split(':' || trim(replace(lower(a), '::', ':' || trailbot_ipv6_zero_groups(a)), ':'), ':'),
       lambda hex, g: hex || lpad(g, 4, '0'))`,
  // What the two JS functions give for the question's networks, worked out in JS before it runs (setNetworkValues):
  // each call of a JS function while DuckDB plans costs a wait for the Node main thread (~0.3 ms measured, ~13 calls
  // a network), so a `logins external` question spent ~3 ms of its planning there, and more while the main thread
  // was busy with acks. A network not in the map (none set, or an invalid one) still goes to the JS function.
  `SET VARIABLE ${NETWORK_PREFIXES_VARIABLE} = CAST(MAP {} AS MAP(VARCHAR, VARCHAR))`,
  `SET VARIABLE ${NETWORK_IPV4_VARIABLE} = CAST(MAP {} AS MAP(VARCHAR, VARCHAR))`,
  `CREATE OR REPLACE TEMP MACRO trailbot_network_prefixes(network) AS
     coalesce(map_extract_value(getvariable('${NETWORK_PREFIXES_VARIABLE}'), network), ${CIDR_PREFIXES_FUNCTION}(network))`,
  `CREATE OR REPLACE TEMP MACRO trailbot_network_ipv4_pattern(network) AS
     coalesce(map_extract_value(getvariable('${NETWORK_IPV4_VARIABLE}'), network), ${CIDR_IPV4_PATTERN_FUNCTION}(network))`,
  // In order: NULL in, NULL out (the JS functions never see a NULL either); an invalid network goes to the JS
  // function, which must see the row to raise; a dotted quad matches the network's IPv4 pattern or not; an IPv6
  // address's hex starts with one of the network's prefixes or not (the prefixes all have the same length, given by
  // the first). For a single address (one 32-digit prefix: `ip <IPv6 address>`) the address's last group is compared
  // first, and only an address that ends the same way is expanded: over raw files the expansion's lambda costs per
  // vector, and a file's events come in vectors of ~100, so this halved what the filter adds to a 7-day question
  // (~190 → ~100 ms; the last group of a valid all-hex IPv6 text is its last ':' part, empty meaning 0). Else a name
  // (a letter and no ':' is neither IPv4, digits and dots once trimmed, nor IPv6, which ipaddr.js wants a ':' for) is
  // NULL at once, and anything else goes to the JS function.
  `CREATE OR REPLACE TEMP MACRO trailbot_ip_contains(network, address) AS
     CASE
       WHEN address IS NULL THEN NULL
       WHEN trailbot_network_prefixes(network) IS NULL THEN ${CIDR_CONTAINS_FUNCTION}(network, address)
       WHEN regexp_full_match(address, '${IPV4}') THEN regexp_full_match(address, trailbot_network_ipv4_pattern(network))
       WHEN regexp_full_match(address, '${IPV6}')
         THEN CASE
           WHEN length(trailbot_network_prefixes(network)) = 34
                AND lpad(lower(split_part(address, ':', -1)), 4, '0') <> substr(trailbot_network_prefixes(network), 30, 4)
             THEN false
           ELSE strpos(trailbot_network_prefixes(network),
                  ',' || left(trailbot_ipv6_hex(address), strpos(substr(trailbot_network_prefixes(network), 2), ',') - 1) || ',') > 0
         END
       WHEN strpos(address, ':') = 0 AND regexp_full_match(address, '(?s).*[a-zA-Z].*') THEN NULL
       ELSE ${CIDR_CONTAINS_FUNCTION}(network, address)
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

/** A valid network in Trino's 128-bit space (IPv4 as IPv4-mapped: a.b.c.d/p is ::ffff:a.b.c.d/(96 + p)). */
interface NetworkSpan {
  /** First and last address, 32 lowercase hex digits each (host bits set in the network's text are ignored, as
   * ipaddr.js's match ignores them). */
  first: string;
  last: string;
  bits: number;
}

function networkSpan(network: string): NetworkSpan | null {
  let net: Network;
  try {
    net = parseNetwork(network);
  } catch {
    return null;
  }
  const [address, length] = net.range;
  const bytes =
    net.kind === 'ipv4' ? (address as ipaddr.IPv4).toIPv4MappedAddress().toByteArray() : address.toByteArray();
  const bits = net.kind === 'ipv4' ? length + 96 : length;
  let first = '';
  let last = '';
  for (const [i, byte] of bytes.entries()) {
    const kept = Math.max(0, Math.min(8, bits - i * 8));
    const mask = (0xff << (8 - kept)) & 0xff;
    first += (byte & mask).toString(16).padStart(2, '0');
    last += ((byte & mask) | (~mask & 0xff)).toString(16).padStart(2, '0');
  }
  return { first, last, bits };
}

/**
 * An address as Trino holds it, 32 lowercase hex digits (IPv4 as IPv4-mapped IPv6), or null when the text is no IP
 * address: `contains(network, address)` is true exactly when networkRange(network) holds this value (cache's address
 * index, cache-convert.ts).
 */
export function addressHex(address: string): string | null {
  const ip = parseAddress(address);
  if (!ip) return null;
  const v6 = ip.kind() === 'ipv6' ? (ip as ipaddr.IPv6) : (ip as ipaddr.IPv4).toIPv4MappedAddress();
  return v6
    .toByteArray()
    .map((byte) => byte.toString(16).padStart(2, '0'))
    .join('');
}

/** The first and last address of a network as addressHex gives them; null for an invalid network. */
export function networkRange(network: string): [string, string] | null {
  const span = networkSpan(network);
  return span ? [span.first, span.last] : null;
}

/**
 * A regular expression (RE2, matched against the whole text) that a dotted-quad address (one IPV4 matches) matches
 * exactly when it lies in the network: the network's fixed octets, the values the next octet can take, then any
 * octets (`10\.[0-9]+\.[0-9]+\.[0-9]+` for 10.0.0.0/8). A network that holds all of ::ffff:0:0/96 gives `.*`, one
 * that holds none of it a pattern no dotted quad matches. Null for an invalid network.
 */
export function cidrIPv4Pattern(network: string): string | null {
  const span = networkSpan(network);
  if (!span) return null;
  const mappedFirst = `${MAPPED_HEX}00000000`;
  const mappedLast = `${MAPPED_HEX}ffffffff`;
  if (span.bits <= 96) return span.first <= mappedFirst && mappedLast <= span.last ? '.*' : 'none';
  if (!span.first.startsWith(MAPPED_HEX)) return 'none';
  const bits = span.bits - 96;
  const octets = [24, 26, 28, 30].map((at) => Number.parseInt(span.first.slice(at, at + 2), 16));
  const parts = octets.map((octet, i) => {
    const kept = Math.max(0, Math.min(8, bits - i * 8));
    if (kept === 8) return String(octet);
    if (kept === 0) return '[0-9]+';
    return `(${Array.from({ length: 1 << (8 - kept) }, (_, j) => octet + j).join('|')})`;
  });
  return parts.join('\\.');
}

/**
 * The hex texts an address inside the network starts with, comma-separated with a comma at each end: its first
 * bits / 4 digits, and when bits % 4 is not 0, each value the next digit can take (`,20010db8,` for 2001:db8::/32,
 * `,2001c,2001d,2001e,2001f,` for 2001:c000::/18, `,,` for ::/0); null for an invalid network.
 */
export function cidrPrefixes(network: string): string | null {
  const span = networkSpan(network);
  if (!span) return null;
  const whole = Math.floor(span.bits / 4);
  const free = (4 - (span.bits % 4)) % 4;
  const head = span.first.slice(0, whole);
  if (free === 0) return `,${head},`;
  const digit = Number.parseInt(span.first[whole]!, 16);
  const items = Array.from({ length: 1 << free }, (_, j) => head + (digit + j).toString(16));
  return `,${items.join(',')},`;
}

/**
 * A JS function of the network alone, for the SQL above. DuckDB folds a call on a constant (a bound parameter
 * included) when it plans the query, so it runs once per use in the SQL, not once per vector.
 */
function networkFunction(name: string, body: (network: string) => string | null): DuckDBScalarFunction {
  return DuckDBScalarFunction.create({
    name,
    returnType: VARCHAR,
    parameterTypes: [VARCHAR],
    mainFunction: (info, input, output) => {
      const networkColumn = input.getColumnVector(0);
      try {
        for (let row = 0; row < input.rowCount; row++) {
          const network = networkColumn.getItem(row);
          output.setItem(row, typeof network === 'string' ? body(network) : null);
        }
        output.flush();
      } catch (err) {
        info.setError(err instanceof Error ? err.message : String(err));
      }
    },
  });
}

/**
 * The only per-row JS in the engine, for the addresses and networks the SQL above leaves to it. DuckDB calls it once per vector (up to 2048 rows); NULL inputs never reach it
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

/**
 * Sets, on this connection, what the SQL's IP matching needs of each network among a question's text parameters
 * (cidrPrefixes, cidrIPv4Pattern), so that planning the question calls no JS function for them. A question with no
 * network leaves the connection as it is: the values are a pure function of each network's text, so those an earlier
 * question set are never wrong for a later one. Text that is no valid network is left out (the JS function then answers
 * for it, or raises). Bound as parameters: a network is user input.
 */
export async function setNetworkValues(connection: DuckDBConnection, params: readonly SqlParam[]): Promise<void> {
  const candidates = new Set(params.flatMap((p) => (p.type === 'varchar' && p.value.includes('/') ? [p.value] : [])));
  if (candidates.size === 0) return;
  const networks: string[] = [];
  const prefixes: string[] = [];
  const ipv4Patterns: string[] = [];
  for (const network of candidates) {
    const prefix = cidrPrefixes(network);
    const ipv4 = cidrIPv4Pattern(network);
    if (prefix === null || ipv4 === null) continue;
    networks.push(network);
    prefixes.push(prefix);
    ipv4Patterns.push(ipv4);
  }
  // Window days (`2026/11/20`) have a '/' too: a question naming no valid network sets nothing (~1.7 ms saved), and
  // one whose networks the connection holds already (the same known networks, question after question) neither.
  const key = JSON.stringify(networks);
  if (networks.length === 0 || networksOf.get(connection) === key) return;
  networksOf.delete(connection);
  await setMapVariable(connection, NETWORK_PREFIXES_VARIABLE, networks, prefixes);
  await setMapVariable(connection, NETWORK_IPV4_VARIABLE, networks, ipv4Patterns);
  networksOf.set(connection, key);
}

/** The networks whose values each connection's variables hold now (setNetworkValues). */
const networksOf = new WeakMap<DuckDBConnection, string>();

/** `SET VARIABLE name` to the MAP(VARCHAR, VARCHAR) of `keys` to `values`, both bound as parameters. */
async function setMapVariable(
  connection: DuckDBConnection,
  name: string,
  keys: readonly string[],
  values: readonly string[],
): Promise<void> {
  await connection.run(
    `SET VARIABLE ${name} = CAST(map($1, $2) AS MAP(VARCHAR, VARCHAR))`,
    [listValue([...keys]), listValue([...values])],
    [LIST(VARCHAR), LIST(VARCHAR)],
  );
}

/** Registers the JS functions (instance-wide) and the macros (this connection). Safe to call on every connection. */
export async function installTrinoShims(connection: DuckDBConnection): Promise<void> {
  connection.registerScalarFunction(cidrContainsFunction());
  connection.registerScalarFunction(networkFunction(CIDR_IPV4_PATTERN_FUNCTION, cidrIPv4Pattern));
  connection.registerScalarFunction(networkFunction(CIDR_PREFIXES_FUNCTION, cidrPrefixes));
  for (const statement of TRINO_SHIM_STATEMENTS) await connection.run(statement);
}
