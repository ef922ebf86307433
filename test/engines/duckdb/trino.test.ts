import {
  CIDR_CONTAINS_FUNCTION,
  cidrContains,
  cidrIPv4Pattern,
  cidrPrefixes,
  InvalidCidrError,
  setNetworkValues,
} from '../../../src/engines/duckdb/trino';
import { memoryDuckDb } from './fixtures';

/**
 * Each Trino shim returns what the Trino documentation says (trino.io/docs/current/functions/*.html), on a bare
 * connection with the shims installed the way the engine installs them.
 */
describe('Trino shims on DuckDB', () => {
  const db = memoryDuckDb();

  /** One value, as JS (strings, numbers, booleans, null; integers of any width as number). */
  async function value(sql: string): Promise<unknown> {
    const reader = await db.connection.runAndReadAll(`SELECT ${sql}`);
    const v = reader.getRowsJS()[0]![0];
    return typeof v === 'bigint' ? Number(v) : v;
  }

  describe('json_extract_scalar', () => {
    const doc = `'{"a":{"b":1},"s":"x","n":22,"t":true,"z":null,"l":[5,6]}'`;

    test('returns scalars as text: string, number, boolean', async () => {
      expect(await value(`json_extract_scalar(${doc}, '$.s')`)).toBe('x');
      expect(await value(`json_extract_scalar(${doc}, '$.n')`)).toBe('22');
      expect(await value(`json_extract_scalar(${doc}, '$.t')`)).toBe('true');
      expect(await value(`json_extract_scalar(${doc}, '$.l[1]')`)).toBe('6');
    });

    test('returns NULL for a non-scalar path (object or array), a JSON null and a missing key', async () => {
      expect(await value(`json_extract_scalar(${doc}, '$.a')`)).toBeNull();
      expect(await value(`json_extract_scalar(${doc}, '$.l')`)).toBeNull();
      expect(await value(`json_extract_scalar(${doc}, '$.z')`)).toBeNull();
      expect(await value(`json_extract_scalar(${doc}, '$.missing')`)).toBeNull();
    });

    test('returns NULL for text that is not JSON instead of failing the query', async () => {
      expect(await value(`json_extract_scalar('not json', '$.a')`)).toBeNull();
      expect(await value(`json_extract_scalar(NULL, '$.a')`)).toBeNull();
    });
  });

  test('from_iso8601_timestamp parses CloudTrail eventTime as an instant', async () => {
    expect(await value(`epoch(from_iso8601_timestamp('2024-05-01T10:00:00Z'))`)).toBe(1714557600);
    expect(await value(`epoch(from_iso8601_timestamp('2024-05-01T12:00:00+02:00'))`)).toBe(1714557600);
    expect(
      await value(`from_iso8601_timestamp('2024-05-01T10:00:00Z') < from_iso8601_timestamp('2024-05-01T10:00:01Z')`),
    ).toBe(true);
  });

  test('to_iso8601 renders an instant in UTC', async () => {
    expect(await value(`to_iso8601(from_iso8601_timestamp('2024-05-01T12:00:00+02:00'))`)).toBe(
      '2024-05-01T10:00:00.000Z',
    );
  });

  test('hour and minute of at_timezone answer in that zone, across a DST change', async () => {
    // 2024-03-10 is the US spring-forward day: 06:30Z is 01:30 EST, 07:30Z is 03:30 EDT.
    expect(await value(`hour(at_timezone(from_iso8601_timestamp('2024-03-10T06:30:00Z'), 'America/New_York'))`)).toBe(
      1,
    );
    expect(await value(`hour(at_timezone(from_iso8601_timestamp('2024-03-10T07:30:00Z'), 'America/New_York'))`)).toBe(
      3,
    );
    expect(await value(`minute(at_timezone(from_iso8601_timestamp('2024-03-10T07:45:00Z'), 'Asia/Kolkata'))`)).toBe(15);
    // Without at_timezone the session answers in UTC, whatever the machine's zone.
    expect(await value(`hour(from_iso8601_timestamp('2024-03-10T07:30:00Z'))`)).toBe(7);
  });

  test('day_of_week is ISO: Monday = 1, Sunday = 7, in the zone given', async () => {
    expect(await value(`day_of_week(from_iso8601_timestamp('2024-05-05T12:00:00Z'))`)).toBe(7); // a Sunday
    expect(await value(`day_of_week(from_iso8601_timestamp('2024-05-06T12:00:00Z'))`)).toBe(1); // a Monday
    expect(await value(`dow(from_iso8601_timestamp('2024-05-06T12:00:00Z'))`)).toBe(1);
    // Sunday 23:30 UTC is already Monday in Tokyo.
    expect(await value(`day_of_week(at_timezone(from_iso8601_timestamp('2024-05-05T23:30:00Z'), 'Asia/Tokyo'))`)).toBe(
      1,
    );
  });

  test('strpos is 1-based and 0 when absent', async () => {
    expect(await value(`strpos('{"groupId":"sg-1"}', 'sg-')`)).toBe(13);
    expect(await value(`strpos('abc', 'z')`)).toBe(0);
  });

  test('arbitrary returns one of the group values', async () => {
    expect(await value(`(SELECT arbitrary(x) FROM (VALUES ('only')) t(x))`)).toBe('only');
  });

  test('array_join skips NULL elements, or replaces them when asked', async () => {
    expect(await value(`array_join(['a', NULL, 'b'], ', ')`)).toBe('a, b');
    expect(await value(`array_join(['a', NULL, 'b'], ',', '?')`)).toBe('a,?,b');
    expect(await value(`(SELECT array_join(array_agg(x ORDER BY x), '|') FROM (VALUES ('b'), ('a')) t(x))`)).toBe(
      'a|b',
    );
  });

  test('json_format(CAST(x AS JSON)) renders rows and arrays as JSON text', async () => {
    expect(await value(`json_format(CAST({'arn': 'arn:1', 'type': 'T'} AS JSON))`)).toBe('{"arn":"arn:1","type":"T"}');
    expect(await value(`json_format(CAST([1, 2] AS JSON))`)).toBe('[1,2]');
  });

  test('date_add keeps DuckDB 2-argument form and adds the Trino 3-argument form', async () => {
    expect(await value(`to_iso8601(date_add('hour', 5, from_iso8601_timestamp('2024-05-01T22:00:00Z')))`)).toBe(
      '2024-05-02T03:00:00.000Z',
    );
    expect(await value(`CAST(date_add(DATE '2024-05-01', INTERVAL 1 DAY) AS VARCHAR)`)).toBe('2024-05-02 00:00:00');
  });

  test('slice(array, start, length) takes a length, as Trino documents (slice(ARRAY[1,2,3,4], 2, 2) = [2, 3])', async () => {
    expect(await value(`array_to_string(slice([1, 2, 3, 4], 2, 2), ',')`)).toBe('2,3');
    expect(await value(`array_to_string(slice(['a', 'b'], 1, 5), ',')`)).toBe('a,b');
  });

  test('regexp_like finds a pattern anywhere', async () => {
    expect(await value(`regexp_like('AssumeRoleWithWebIdentity', 'Assume.*Web')`)).toBe(true);
    expect(await value(`regexp_like('ConsoleLogin', '^Assume')`)).toBe(false);
  });

  describe('ipaddress and contains(network, address)', () => {
    test('try_cast(x AS ipaddress) parses and keeps the text', async () => {
      expect(await value(`try_cast('10.1.2.3' AS ipaddress)`)).toBe('10.1.2.3');
    });

    test('IPv4 match and non-match', async () => {
      expect(await value(`contains('10.0.0.0/8', try_cast('10.1.2.3' AS ipaddress))`)).toBe(true);
      expect(await value(`contains('10.0.0.0/8', try_cast('11.1.2.3' AS ipaddress))`)).toBe(false);
      expect(await value(`contains('0.0.0.0/0', '198.51.100.7')`)).toBe(true);
    });

    test('IPv6 match and non-match', async () => {
      expect(await value(`contains('2001:db8::/32', try_cast('2001:db8:1::42' AS ipaddress))`)).toBe(true);
      expect(await value(`contains('2001:db8::/32', try_cast('2001:db9::1' AS ipaddress))`)).toBe(false);
      expect(await value(`contains('2001:db8::/32', '10.1.2.3')`)).toBe(false);
    });

    test('a source that is not an IP (an AWS service name) gives NULL, so a WHERE drops it', async () => {
      expect(await value(`contains('0.0.0.0/0', try_cast('ec2.amazonaws.com' AS ipaddress))`)).toBeNull();
      expect(await value(`contains('10.0.0.0/8', NULL)`)).toBeNull();
      expect(
        await value(
          `(SELECT count(*) FROM (VALUES ('ec2.amazonaws.com'), ('10.0.0.1'), ('AWS Internal')) t(ip) WHERE contains('10.0.0.0/8', try_cast(ip AS ipaddress)))`,
        ),
      ).toBe(1);
    });

    test('a malformed network fails the query with Trino-like wording', async () => {
      await expect(value(`contains('10.0.0.0/99', '10.0.0.1')`)).rejects.toThrow(/Invalid CIDR network/);
    });

    test('contains(array, element) still works (Trino array function)', async () => {
      expect(await value(`contains(['ConsoleLogin', 'GetSessionToken'], 'ConsoleLogin')`)).toBe(true);
      expect(await value(`contains([22, 3389], 80)`)).toBe(false);
    });

    test('with the network a bound parameter, the prepared result is typed BOOLEAN (the engine spools by type)', async () => {
      const prepared = await db.connection.prepare(
        `SELECT contains($1, try_cast('2001:db8::1' AS ipaddress)) AS inside`,
      );
      expect(prepared.columnType(0).toString()).toBe('BOOLEAN');
      prepared.bindVarchar(1, '2001:db8::/32');
      expect((await prepared.runAndReadAll()).getRowsJS()).toEqual([[true]]);
    });

    test('the UDF is registered under its own name', async () => {
      expect(await value(`${CIDR_CONTAINS_FUNCTION}('192.168.0.0/16', '192.168.3.4')`)).toBe(true);
    });

    describe('the networks’ values worked out before the question (setNetworkValues)', () => {
      const varchar = (value: string) => ({ type: 'varchar' as const, value });
      const cases: [string, string][] = [
        ['198.51.100.0/24', '198.51.100.7'],
        ['198.51.100.0/24', '198.51.101.7'],
        ['2001:db8:100::/48', '2001:DB8:100:0::1'],
        ['2001:db8:100::/48', '2001:db8:101::1'],
        ['2001:db8:bad:a89::254d/128', '2001:db8:bad:a89:0:0:0:254d'],
        ['::ffff:0:0/96', '10.1.2.3'],
        ['10.0.0.0/8', '::ffff:10.1.2.3'],
      ];
      // A question without networks leaves the values as they are; each test here starts from none.
      afterEach(async () => {
        for (const variable of ['trailbot_network_prefixes', 'trailbot_network_ipv4_patterns'])
          await db.connection.run(`SET VARIABLE ${variable} = CAST(MAP {} AS MAP(VARCHAR, VARCHAR))`);
      });

      test('hold the JS functions’ values, for the text parameters that are networks only', async () => {
        await setNetworkValues(db.connection, [
          varchar('2026/11/13'),
          varchar('198.51.100.0/24'),
          varchar('2001:db8:100::/48'),
          varchar('10.0.0.0/99'),
          { type: 'bigint', value: 10 },
        ]);
        const held = async (variable: string) =>
          Object.fromEntries(
            (
              await db.connection.runAndReadAll(
                `SELECT unnest(map_entries(getvariable('${variable}')), recursive := true)`,
              )
            )
              .getRowsJS()
              .map((r) => [String(r[0]), String(r[1])]),
          );
        expect(await held('trailbot_network_prefixes')).toEqual({
          '198.51.100.0/24': cidrPrefixes('198.51.100.0/24'),
          '2001:db8:100::/48': cidrPrefixes('2001:db8:100::/48'),
        });
        expect(await held('trailbot_network_ipv4_patterns')).toEqual({
          '198.51.100.0/24': cidrIPv4Pattern('198.51.100.0/24'),
          '2001:db8:100::/48': cidrIPv4Pattern('2001:db8:100::/48'),
        });
      });

      test('contains() answers the same with them as through the JS functions, and uses them when set', async () => {
        const answers = async () => {
          const out: unknown[] = [];
          for (const [network, address] of cases) {
            const prepared = await db.connection.prepare('SELECT contains($1, try_cast($2 AS ipaddress))');
            prepared.bindVarchar(1, network);
            prepared.bindVarchar(2, address);
            out.push((await prepared.runAndReadAll()).getRowsJS()[0]![0]);
            prepared.destroySync();
          }
          return out;
        };
        const throughJs = await answers();
        expect(throughJs).toEqual([true, false, true, false, true, true, true]);
        await setNetworkValues(
          db.connection,
          cases.map(([network]) => varchar(network)),
        );
        expect(await answers()).toEqual(throughJs);
        // A value in the map wins over the JS function: the lookup is what planning uses.
        await db.connection.run(
          `SET VARIABLE trailbot_network_prefixes = MAP {'2001:db8:100::/48': ',ffff,'}::MAP(VARCHAR, VARCHAR)`,
        );
        expect(await value(`contains('2001:db8:100::/48', '2001:db8:100::1')`)).toBe(false);
      });

      test('a question naming no valid network (window days have a slash too) sets nothing and keeps what was set', async () => {
        await setNetworkValues(db.connection, [varchar('198.51.100.0/24')]);
        await setNetworkValues(db.connection, [varchar('2026/11/13'), varchar('2026/11/20'), varchar('10.0.0.0/99')]);
        const kept = await db.connection.runAndReadAll(
          `SELECT map_keys(getvariable('trailbot_network_prefixes'))::VARCHAR, map_keys(getvariable('trailbot_network_ipv4_patterns'))::VARCHAR`,
        );
        expect(kept.getRowsJS()[0]).toEqual(['[198.51.100.0/24]', '[198.51.100.0/24]']);
      });

      test('a network left out (invalid) still goes to the JS function, which raises as before', async () => {
        await setNetworkValues(db.connection, [varchar('10.0.0.0/99')]);
        await expect(value(`contains('10.0.0.0/99', '10.0.0.1')`)).rejects.toThrow(/Invalid CIDR network/);
      });
    });
  });
});

describe('cidrContains', () => {
  test.each([
    ['10.0.0.0/8', '10.255.0.1', true],
    ['10.0.0.0/8', '9.255.255.255', false],
    ['192.168.1.0/24', '192.168.1.255', true],
    ['192.168.1.0/24', '192.168.2.0', false],
    ['2001:db8::/48', '2001:db8:0:ffff::1', true],
    ['2001:db8::/48', '2001:db8:1::1', false],
    // Trino holds IPv4 as IPv4-mapped IPv6, so the two forms meet.
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['::ffff:0:0/96', '10.1.2.3', true],
    ['10.0.0.0/8', '2001:db8::1', false],
  ])('contains(%s, %s) = %s', (network, address, expected) => {
    expect(cidrContains(network, address)).toBe(expected);
  });

  test.each([
    'ec2.amazonaws.com',
    'AWS Internal',
    '253.252.51.07', // leading zero, as in the anonymised stratus-red-team logs
    '127.1',
    '',
    'fe80::1%eth0',
  ])('%j is not an IP address: NULL', (address) => {
    expect(cidrContains('0.0.0.0/0', address)).toBeNull();
  });

  test('a malformed network throws InvalidCidrError', () => {
    expect(() => cidrContains('10.0.0.0/33', '10.0.0.1')).toThrow(InvalidCidrError);
    expect(() => cidrContains('not-a-cidr', '10.0.0.1')).toThrow(InvalidCidrError);
  });
});

describe('the network side of contains() (run once per question)', () => {
  test.each([
    ['2001:db8::/32', ',20010db8,'],
    ['2001:c000::/18', ',2001c,2001d,2001e,2001f,'],
    ['::/0', ',,'],
    ['2001:DB8::1/128', ',20010db8000000000000000000000001,'],
    // Host bits set in the text are ignored, as ipaddr.js's match ignores them.
    ['2001:db8::ff/120', ',20010db80000000000000000000000,'],
    ['10.0.0.0/8', ',00000000000000000000ffff0a,'],
    ['10.1.2.3/31', ',00000000000000000000ffff0a010202,00000000000000000000ffff0a010203,'],
    ['not-a-network', null],
    ['10.0.0.0/33', null],
  ])('cidrPrefixes(%j) = %j', (network, expected) => {
    expect(cidrPrefixes(network)).toBe(expected);
  });

  test.each([
    ['10.0.0.0/8', '10\\.[0-9]+\\.[0-9]+\\.[0-9]+'],
    ['198.51.100.7/32', '198\\.51\\.100\\.7'],
    ['172.16.0.0/14', '172\\.(16|17|18|19)\\.[0-9]+\\.[0-9]+'],
    // Every IPv4 address: the network holds all of ::ffff:0:0/96.
    ['0.0.0.0/0', '.*'],
    ['::ffff:0:0/96', '.*'],
    // IPv6 networks that hold the whole IPv4-mapped block, or none of it.
    ['::/0', '.*'],
    ['::/80', '.*'],
    ['2001:db8::/32', 'none'],
    ['::ffff:0:0/103', '(0|1)\\.[0-9]+\\.[0-9]+\\.[0-9]+'],
    ['bad', null],
  ])('cidrIPv4Pattern(%j) = %j', (network, expected) => {
    expect(cidrIPv4Pattern(network)).toBe(expected);
  });
});
