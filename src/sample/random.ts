/**
 * The sample generator's only source of randomness: a small seeded PRNG (sfc32, seeded through splitmix32), so the
 * same seed and the same `now` give byte-identical files. `Math.random` and `Date.now` are never used here.
 *
 * `fork(label)` derives an independent stream from the seed and a label. Each part of the data (the world, each
 * scenario, each account/region stream) draws from its own fork, so adding a region or changing events-per-day does
 * not reshuffle the scenario events or the identities.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** FNV-1a, 32 bit: turns a fork label into a number. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** splitmix32 step: spreads a weak seed (e.g. 42) over all 32 bits. */
function splitmix32(state: number): [value: number, next: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [z >>> 0, next];
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed` is any integer (only its low 32 bits and `label` matter). */
  constructor(
    readonly seed: number,
    readonly label = '',
  ) {
    let s = (seed ^ fnv1a(label)) | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [v, next] = splitmix32(s);
      words.push(v);
      s = next;
    }
    [this.a, this.b, this.c, this.d] = words as [number, number, number, number];
    // Warm up: sfc32's first outputs are correlated with the seed words.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** An independent generator for one part of the data. */
  fork(label: string): Random {
    return new Random(this.seed, this.label === '' ? label : `${this.label}/${label}`);
  }

  /** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 32 random bits. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [min, max] (both inclusive). */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Random.pick: empty list');
    return items[this.int(items.length)]!;
  }

  /** Lowercase hex, `length` characters. */
  hex(length: number): string {
    let out = '';
    while (out.length < length) out += HEX[this.uint32() & 0xff];
    return out.slice(0, length);
  }

  /** `A-Z0-9`, as in access key ids and principal ids. */
  upperAlnum(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += UPPER_ALNUM[this.int(UPPER_ALNUM.length)];
    return out;
  }

  /** `A-Za-z0-9`, as in the random suffix of CloudTrail log file names. */
  alnum(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += ALNUM[this.int(ALNUM.length)];
    return out;
  }

  /** A version-4 shaped UUID (CloudTrail eventID / requestID look like this). */
  uuid(): string {
    const h = this.hex(32);
    const variant = '89ab'[this.int(4)];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

/** Picks from weighted items in O(log n); weights need not be normalised. */
export class WeightedPicker<T> {
  private readonly cumulative: number[] = [];
  private readonly total: number;

  constructor(private readonly items: readonly { item: T; weight: number }[]) {
    if (items.length === 0) throw new Error('WeightedPicker: no items');
    let sum = 0;
    for (const { weight } of items) {
      sum += weight;
      this.cumulative.push(sum);
    }
    this.total = sum;
  }

  pick(rng: Random): T {
    const target = rng.next() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]!.item;
  }
}

/** Zipf weights `1 / rank^s` for ranks 1..n: a few very active principals, a long tail of quiet ones. */
export function zipfWeights(n: number, s = 1.1): number[] {
  return Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
}
