import { LIST, listValue, VARCHAR } from '@duckdb/node-api';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { addressHex, cidrContains, networkRange } from '../../../src/engines/duckdb/trino';
import { memoryDuckDb } from './fixtures';

/**
 * `contains(network, address)` on DuckDB (SQL for the spellings it covers, the JS function for the rest) against a
 * reference written straight from ipaddr.js and Trino's rules: IPv4 is held as IPv4-mapped IPv6 (::ffff:a.b.c.d),
 * an address that is no IP address (invalid text, zone ids, classful `127.1`) is NULL, an invalid network raises.
 * Addresses are drawn near the network (the first j bits shared) so that matches and near misses at every prefix
 * length are common, and spelled every way RFC 4291 section 2.2 allows, then mutated into invalid text.
 */

type Verdict = boolean | null | 'raises';

/** The reference: what contains() answered before the SQL fast path, from ipaddr.js alone. */
function reference(network: string, address: string | null): Verdict {
  const n = network.trim();
  let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
  if (ipaddr.IPv4.isValidCIDRFourPartDecimal(n)) range = ipaddr.IPv4.parseCIDR(n);
  else if (n.includes(':') && ipaddr.IPv6.isValidCIDR(n)) range = ipaddr.IPv6.parseCIDR(n);
  else return address === null ? null : 'raises';
  if (address === null) return null;
  const a = address.trim();
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(a)) ip = ipaddr.IPv4.parse(a);
  else if (a.includes(':') && ipaddr.IPv6.isValid(a)) {
    const v6 = ipaddr.IPv6.parse(a);
    if (v6.zoneId !== undefined) return null;
    ip = v6;
  } else return null;
  const asV6 = (x: ipaddr.IPv4 | ipaddr.IPv6) =>
    x.kind() === 'ipv6' ? (x as ipaddr.IPv6) : (x as ipaddr.IPv4).toIPv4MappedAddress();
  return asV6(ip).match(asV6(range[0]), range[0].kind() === 'ipv4' ? range[1] + 96 : range[1]);
}

// ---------------------------------------------------------------------------------------------------------------
// Values: 8 hextets. Spellings: every form RFC 4291 allows, then invalid variants.

/** `arbitrary` one time in `every`, else null. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, every: number) =>
  fc.oneof({ weight: every - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });

// Zeros often, so that '::' has runs of every length to stand for.
const hextet = fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
const hextets = fc.array(hextet, { minLength: 8, maxLength: 8 });
const mappedHextets = fc
  .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
  .map(([hi, lo]) => [0, 0, 0, 0, 0, 0xffff, hi, lo]);
const isMapped = (p: readonly number[]) => p.slice(0, 5).every((x) => x === 0) && p[5] === 0xffff;

/** The first `bits` bits of `base`, the rest from `rest`. */
function near(base: readonly number[], rest: readonly number[], bits: number): number[] {
  return base.map((g, i) => {
    const kept = Math.max(0, Math.min(16, bits - i * 16));
    const mask = kept === 0 ? 0 : (0xffff << (16 - kept)) & 0xffff;
    return (g & mask) | (rest[i]! & ~mask & 0xffff);
  });
}

/** `base` with bit `bit` (0 = the highest) flipped. */
function flip(base: readonly number[], bit: number): number[] {
  return base.map((g, i) => (i === bit >> 4 ? g ^ (0x8000 >> (bit & 15)) : g));
}

const ipv4Text = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

interface Spelling {
  /** Which zero run '::' replaces (the last choice: none), and which part of it. */
  run: number;
  from: number;
  to: number;
  letters: 'lower' | 'upper' | 'mixed';
  /** Extra leading zeros per group (up to 4 digits). */
  pad: number[];
  /** The last 32 bits as a dotted quad. */
  embedIPv4: boolean;
  zone: string | null;
}

const spelling: fc.Arbitrary<Spelling> = fc.record({
  run: fc.nat(4),
  from: fc.nat(7),
  to: fc.nat(7),
  letters: fc.constantFrom('lower', 'upper', 'mixed'),
  pad: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }),
  embedIPv4: sometimes(fc.constant(true), 4).map((x) => x === true),
  zone: sometimes(fc.constantFrom('%eth0', '%1', '%'), 8),
});

function spellIPv6(parts: readonly number[], s: Spelling): string {
  const hexCount = s.embedIPv4 ? 6 : 8;
  const groups = parts.slice(0, hexCount).map((g, i) => {
    const hex = g.toString(16);
    return hex.padStart(Math.min(4, hex.length + s.pad[i]!), '0');
  });
  const runs: [number, number][] = [];
  for (let i = 0; i < hexCount; i++) {
    if (parts[i] !== 0) continue;
    let j = i;
    while (j < hexCount && parts[j] === 0) j++;
    runs.push([i, j]);
    i = j;
  }
  let text: string;
  const chosen = runs[s.run];
  if (chosen) {
    // A part of the run (at least one group): '::' may stand for any number of zero groups.
    const length = chosen[1] - chosen[0];
    const start = chosen[0] + (s.from % length);
    const end = start + 1 + (s.to % (chosen[1] - start));
    const tail = groups.slice(end).join(':');
    text = `${groups.slice(0, start).join(':')}::${tail}`;
    if (s.embedIPv4) text += `${tail === '' ? '' : ':'}${ipv4Text(parts[6]!, parts[7]!)}`;
  } else {
    text = groups.join(':');
    if (s.embedIPv4) text += `:${ipv4Text(parts[6]!, parts[7]!)}`;
  }
  if (s.letters === 'upper') text = text.toUpperCase();
  if (s.letters === 'mixed') text = [...text].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
  return s.zone ? `${text}${s.zone}` : text;
}

/** Text CloudTrail or a user could send, valid or not: a mutation or white space around a valid spelling. */
const mutation = fc.record({
  kind: fc.constantFrom('insert', 'delete', 'replace', 'pad'),
  at: fc.nat(60),
  char: fc.constantFrom(...':.%/ \t0123456789abcdefABCDEFgxz-'.split(''), '::', '\u00a0'),
});

function mutate(text: string, m: { kind: string; at: number; char: string }): string {
  const at = m.at % (text.length + 1);
  if (m.kind === 'insert') return text.slice(0, at) + m.char + text.slice(at);
  if (m.kind === 'delete') return text.slice(0, at) + text.slice(at + 1);
  if (m.kind === 'replace') return text.slice(0, at) + m.char + text.slice(at + 1);
  return ` ${text}\t`;
}

/**
 * An address near the network's value (the first `bits` bits shared: anywhere, or just around the prefix length
 * over 128 bits, where an off-by-one would show), spelled as IPv4 (when mapped) or IPv6, sometimes mutated.
 */
function addressArbitrary(base: readonly number[], prefix: number): fc.Arbitrary<string> {
  const aroundPrefix = fc.integer({ min: -2, max: 1 }).map((d) => Math.max(0, Math.min(127, prefix + d)));
  const value = fc.oneof(
    // The network's own address, or one bit away from it (inside the network exactly when the bit is past the
    // prefix), or sharing a leading part and random after it.
    fc.constant([...base]),
    fc.oneof(fc.integer({ min: 0, max: 127 }), aroundPrefix).map((bit) => flip(base, bit)),
    fc
      .tuple(fc.oneof(fc.integer({ min: 0, max: 128 }), aroundPrefix), fc.oneof(hextets, mappedHextets))
      .map(([bits, rest]) => near(base, rest, bits)),
  );
  return fc
    .record({
      parts: value,
      asIPv4: fc.boolean(),
      spelling,
      mutation: sometimes(mutation, 4),
      leadingZero: sometimes(fc.nat(3), 10),
    })
    .map(({ parts, asIPv4, spelling: s, mutation: m, leadingZero }) => {
      let text: string;
      if (isMapped(parts) && asIPv4) {
        const octets = ipv4Text(parts[6]!, parts[7]!).split('.');
        // A leading zero (253.252.51.07) is no IP address for Trino's cast nor here.
        if (leadingZero !== null) octets[leadingZero] = `0${octets[leadingZero]}`;
        text = octets.join('.');
      } else text = spellIPv6(parts, s);
      return m ? mutate(text, m) : text;
    });
}

const NON_IP = ['ec2.amazonaws.com', 'AWS Internal', '127.1', '', '::ffff:1.2.3', '1:2:3:4:5:6:7:8:9', '1::2::3', ':1'];

/** A network and addresses to test against it. */
const networkCase = fc
  .record({
    ipv4: fc.boolean(),
    parts: fc.oneof(hextets, mappedHextets),
    v4prefix: fc.integer({ min: 0, max: 32 }),
    v6prefix: fc.integer({ min: 0, max: 128 }),
    spelling,
    // Out-of-range and zero-padded prefix lengths (ipaddr.js reads '/08' as 8), then mutated text.
    prefixOddity: sometimes(fc.constantFrom('over', 'zero-padded', 'missing'), 10),
    mutation: sometimes(mutation, 10),
  })
  .chain((c) => {
    const parts = c.ipv4 ? [0, 0, 0, 0, 0, 0xffff, c.parts[6]!, c.parts[7]!] : c.parts;
    const address = c.ipv4 ? ipv4Text(parts[6]!, parts[7]!) : spellIPv6(parts, { ...c.spelling, zone: null });
    let prefix = String(c.ipv4 ? c.v4prefix : c.v6prefix);
    if (c.prefixOddity === 'over') prefix = String((c.ipv4 ? 33 : 129) + (c.v4prefix % 7));
    if (c.prefixOddity === 'zero-padded') prefix = `0${prefix}`;
    let network = c.prefixOddity === 'missing' ? address : `${address}/${prefix}`;
    if (c.mutation) network = mutate(network, c.mutation);
    const prefix128 = c.ipv4 ? 96 + c.v4prefix : c.v6prefix;
    return fc.record({
      network: fc.constant(network),
      addresses: fc.array(
        fc.oneof({ weight: 10, arbitrary: addressArbitrary(parts, prefix128) }, fc.constantFrom(...NON_IP)),
        {
          minLength: 1,
          maxLength: 40,
        },
      ),
    });
  });

describe('contains(network, address): SQL fast path and JS function against the ipaddr.js reference', () => {
  const db = memoryDuckDb();

  /** contains() as the templates call it: the network a bound parameter, the address a column of text. */
  async function sqlVerdicts(network: string, addresses: readonly (string | null)[]): Promise<Verdict[]> {
    try {
      const reader = await db.connection.runAndReadAll(
        `SELECT contains($1, try_cast(a AS ipaddress)) FROM (SELECT unnest($2) AS a, generate_subscripts($2, 1) AS i) ORDER BY i`,
        [network, listValue(addresses)],
        [VARCHAR, LIST(VARCHAR)],
      );
      return reader.getRowsJS().map((r) => r[0] as boolean | null);
    } catch (err) {
      if (/Invalid CIDR network/.test(String(err))) return addresses.map((a) => (a === null ? null : 'raises'));
      throw err;
    }
  }

  test('equals the reference for every network and address, at every prefix length', async () => {
    await fc.assert(
      fc.asyncProperty(networkCase, async ({ network, addresses }) => {
        const expected = addresses.map((a) => reference(network, a));
        const raises = expected.includes('raises');
        const got = await sqlVerdicts(network, addresses);
        // An invalid network fails the whole query (Trino's "Invalid CIDR network"), as soon as one address is not NULL.
        expect(got).toEqual(raises ? addresses.map((a) => (a === null ? null : 'raises')) : expected);
      }),
      { numRuns: 300 },
    );
  });

  test('a NULL address is NULL, even next to an invalid network', async () => {
    expect(await sqlVerdicts('2001:db8::/48', [null, '2001:db8::1'])).toEqual([null, true]);
    expect(await sqlVerdicts('10.0.0.0/8', [null])).toEqual([null]);
    expect(await sqlVerdicts('not-a-network', [null])).toEqual([null]);
  });

  test('networks and addresses both varying by row (not only a bound network)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(networkCase, { minLength: 1, maxLength: 20 }), async (cases) => {
        const pairs = cases
          .filter((c) => reference(c.network, '::') !== 'raises')
          .flatMap((c) => c.addresses.map((a) => [c.network, a] as const));
        const reader = await db.connection.runAndReadAll(
          `SELECT contains(n, try_cast(a AS ipaddress)) FROM (SELECT unnest($1) AS n, unnest($2) AS a, generate_subscripts($1, 1) AS i) ORDER BY i`,
          [listValue(pairs.map((p) => p[0])), listValue(pairs.map((p) => p[1]))],
          [LIST(VARCHAR), LIST(VARCHAR)],
        );
        expect(reader.getRowsJS().map((r) => r[0])).toEqual(pairs.map(([n, a]) => reference(n, a)));
      }),
      { numRuns: 40 },
    );
  });

  test('cidrContains (the JS function) equals the reference', () => {
    fc.assert(
      fc.property(networkCase, ({ network, addresses }) => {
        for (const address of addresses) {
          const expected = reference(network, address);
          if (expected === 'raises') expect(() => cidrContains(network, address)).toThrow(/Invalid CIDR network/);
          else expect(cidrContains(network, address)).toBe(expected);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('the cache’s address index (addressHex within networkRange) matches exactly the addresses contains() does', () => {
    fc.assert(
      fc.property(networkCase, ({ network, addresses }) => {
        const range = networkRange(network);
        if (reference(network, '::') === 'raises') {
          expect(range).toBeNull();
          return;
        }
        expect(range).not.toBeNull();
        const [first, last] = range!;
        for (const address of addresses) {
          const value = addressHex(address);
          expect(value !== null && first <= value && value <= last).toBe(reference(network, address) === true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
