/**
 * Value checks for settings: string in, typed value out, and a message that says what to set when the string is
 * wrong. Every check is a zod schema, so the reader collects every problem through one `issues` list.
 *
 * Numbers are whole numbers in the stated range; yes/no values accept true/false, 1/0, yes/no (any case). Sizes:
 * `kB`/`MB`/`GB`/`TB`/`PB` are powers of 1000, `KiB`/`MiB`/`GiB`/`TiB`/`PiB` powers of 1024 (Athena bills decimal TB).
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/** Custom check as a zod transform, so every schema reports through the same `issues` list. */
export function check<T>(parse: (value: string) => T | { problem: string }): z.ZodType<T, string> {
  return z.string().transform((value, ctx) => {
    const result = parse(value);
    if (isProblem(result)) {
      ctx.addIssue({ code: 'custom', message: result.problem });
      return z.NEVER;
    }
    return result;
  });
}

function isProblem(x: unknown): x is { problem: string } {
  return (
    typeof x === 'object' && x !== null && 'problem' in x && typeof (x as { problem: unknown }).problem === 'string'
  );
}

export const timeZoneSchema = check((value) => {
  try {
    // Intl validates against the runtime's IANA database and returns the canonical spelling (`europe/berlin` →
    // `Europe/Berlin`); the letter check keeps out bare offsets, which are not zone names.
    if (!/^[A-Za-z]/.test(value)) throw new RangeError(value);
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return { problem: `\`${clip(value)}\` is not an IANA time zone (e.g. Europe/Berlin)` };
  }
});

export const offHoursSchema = check<{ start: string; end: string }>((value) => {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!m) {
    return {
      problem: `\`${clip(value)}\` is not a time range; use HH:MM-HH:MM on a 24-hour clock, e.g. 00:00-05:00 or 22:00-06:00`,
    };
  }
  const start = `${m[1]!.padStart(2, '0')}:${m[2]}`;
  const end = `${m[3]!.padStart(2, '0')}:${m[4]}`;
  if (start === end) return { problem: `\`${value}\` is an empty range; the start and end must differ` };
  return { start, end };
});

export const yesNo = z.stringbool({
  truthy: ['true', '1', 'yes'],
  falsy: ['false', '0', 'no'],
  case: 'insensitive',
  error: (iss) => `\`${clip(String(iss.input))}\` is not a yes/no value; use true/false, 1/0 or yes/no`,
});

export function wholeNumber(min: number, max: number): z.ZodType<number, string> {
  return check((value) => {
    if (!/^\d+$/.test(value))
      return { problem: `\`${clip(value)}\` is not a whole number; use one from ${min} to ${max}` };
    const n = Number(value);
    if (n < min || n > max) return { problem: `${value} is out of range; use a whole number from ${min} to ${max}` };
    return n;
  });
}

/** Minutes, written `15m`, `1h`, `90` (bare minutes) or `0m`; within [min, max] minutes. */
export function minutesDuration(min: number, max: number): z.ZodType<number, string> {
  return check((value) => {
    const m = /^(\d+)\s*(m|min|h)?$/i.exec(value);
    if (!m) return { problem: `\`${clip(value)}\` is not a duration; use minutes or hours, e.g. 15m, 30m or 1h` };
    const minutes = Number(m[1]) * (m[2]?.toLowerCase() === 'h' ? 60 : 1);
    if (minutes < min || minutes > max) {
      return { problem: `${value} is out of range; use from ${min} minutes to ${max / 60} hours` };
    }
    return minutes;
  });
}

/** A calendar day `yyyy/MM/dd` (or `yyyy-MM-dd`), returned as `yyyy/MM/dd`: the partition spelling. */
export const dayText = check((value) => {
  const m = /^(\d{4})[/-](\d{2})[/-](\d{2})$/.exec(value);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !date || date.getUTCMonth() !== Number(m[2]) - 1 || date.getUTCDate() !== Number(m[3])) {
    return { problem: `\`${clip(value)}\` is not a day; use yyyy/MM/dd, e.g. 2020/01/01` };
  }
  return `${m[1]}/${m[2]}/${m[3]}`;
});

export function byteSize(min: number): z.ZodType<number, string> {
  return check((value) => {
    const bytes = parseByteSize(value);
    if (bytes === undefined) {
      return { problem: `\`${clip(value)}\` is not a size; use bytes or a size like 500MB, 10GB or 1TiB` };
    }
    if (bytes < min) return { problem: `\`${value}\` is too small; use at least ${min} byte` };
    return bytes;
  });
}

export const cidrList = check((value) => {
  const networks: string[] = [];
  const bad: string[] = [];
  for (const item of splitList(value)) {
    const normal = normaliseCidr(item);
    if (typeof normal === 'string') {
      if (!networks.includes(normal)) networks.push(normal);
    } else {
      bad.push(normal.problem);
    }
  }
  if (bad.length > 0) return { problem: bad.join('; ') };
  return networks;
});

/**
 * `10.0.0.0/8` → itself; `2001:DB8::/32` → `2001:db8::/32` (RFC 5952 text); a bare address → /32 or /128;
 * `::ffff:10.0.0.0/104` → `10.0.0.0/8`. Host bits set (`10.1.2.3/8`) are refused: it is unclear whether the network or
 * the single host was meant, and guessing wrong widens or narrows "our" networks silently.
 */
export function normaliseCidr(text: string): string | { problem: string } {
  const withPrefix = text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`;
  const notCidr = { problem: `\`${clip(text)}\` is not a CIDR (e.g. 10.0.0.0/8 or 2001:db8::/32)` };
  const [addressText] = withPrefix.split('/');
  // ipaddr.js also accepts legacy IPv4 spellings (`010.0.0.1` is octal, `10/8` is 0.0.0.10); only dotted decimal.
  if (!addressText!.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(addressText!)) return notCidr;
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(withPrefix);
  } catch {
    return notCidr;
  }
  let [address, bits] = parsed;
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && bits >= 96) {
    address = address.toIPv4Address();
    bits -= 96;
  }
  const cidr = `${address.toString()}/${bits}`;
  const network =
    address instanceof ipaddr.IPv4
      ? ipaddr.IPv4.networkAddressFromCIDR(cidr).toString()
      : ipaddr.IPv6.networkAddressFromCIDR(cidr).toString();
  if (network !== address.toString()) {
    const host = address instanceof ipaddr.IPv4 ? 32 : 128;
    return {
      problem: `\`${clip(text)}\` has host bits set; write the network ${network}/${bits} or the host ${address.toString()}/${host}`,
    };
  }
  return cidr;
}

export const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
export const regionName = matching(REGION, 'an AWS Region name (e.g. us-east-1)');
export const workgroupName = matching(/^[A-Za-z0-9._-]{1,128}$/, 'an Athena workgroup name (letters, digits, . _ -)');
export const athenaName = matching(/^[A-Za-z0-9_@-]{1,255}$/, 'a Glue database / catalog name (letters, digits, _ -)');
export const dynamoTableName = matching(
  /^[A-Za-z0-9_.-]{3,255}$/,
  'a DynamoDB table name (3-255 of letters, digits, _ . -)',
);
/** A folder path, used as given (relative paths resolve against the working directory when used). */
export const folder = z.string();

export function matching(pattern: RegExp, what: string): z.ZodType<string, string> {
  return check((value) => (pattern.test(value) ? value : { problem: `\`${clip(value)}\` is not ${what}` }));
}

export function listOf(pattern: RegExp, what: string): z.ZodType<string[], string> {
  return check((value) => {
    const items = [...new Set(splitList(value))];
    const bad = items.filter((item) => !pattern.test(item));
    if (bad.length > 0) return { problem: bad.map((item) => `\`${clip(item)}\` is not ${what}`).join('; ') };
    return items;
  });
}

export const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const bucketName = check((value) => {
  if (/^s3:\/\//i.test(value)) return { problem: `give the bucket name only, without s3:// (e.g. my-trail-logs)` };
  if (!BUCKET.test(value) || value.includes('..')) {
    return { problem: `\`${clip(value)}\` is not an S3 bucket name (3-63 lowercase letters, digits, . and -)` };
  }
  return value;
});

export const keyPrefix = check((value) => {
  const prefix = value.replace(/^\/+|\/+$/g, '');
  if (/(^|\/)AWSLogs(\/|$)/.test(prefix)) {
    return { problem: `\`${clip(value)}\` includes AWSLogs; the prefix is only what comes before AWSLogs/` };
  }
  if (/\s/.test(prefix)) return { problem: `\`${clip(value)}\` contains spaces; give the S3 key prefix exactly` };
  return prefix;
});

export const s3Uri = check((value) => {
  const m = /^s3:\/\/([^/]+)(\/.*)?$/.exec(value);
  if (!m || !BUCKET.test(m[1]!)) {
    return { problem: `\`${clip(value)}\` is not an S3 location; use s3://bucket/prefix/` };
  }
  return value;
});

export const httpUrl = check((value) => {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // fall through to the problem
  }
  return { problem: `\`${clip(value)}\` is not an http(s) URL (e.g. http://127.0.0.1:8000)` };
});

/** Checks the prefix only; the value itself never appears in a message, since it is a secret. */
export function slackToken(prefix: string, what: string): z.ZodType<string, string> {
  return check((value) => {
    if (value.startsWith(prefix) && !/\s/.test(value)) return value;
    const actual = /^(xox[a-z]-|xapp-)/.exec(value)?.[1];
    const hint = actual ? ` (this one starts with ${actual})` : '';
    return { problem: `must start with ${prefix}${hint}: use ${what}` };
  });
}

export const signingSecretSchema = check((value) => {
  if (/^(xox[a-z]-|xapp-)/.test(value)) {
    return { problem: 'this is a token, not the signing secret; copy "Signing Secret" from Basic Information' };
  }
  if (/\s/.test(value)) return { problem: 'contains spaces; copy "Signing Secret" from Basic Information exactly' };
  return value;
});

export function splitList(value: string): string[] {
  return value.split(/[\s,]+/).filter((item) => item !== '');
}

/** Echo at most 40 characters of a value in a message, without control characters. */
export function clip(value: string): string {
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}

/** Leave out keys whose value is undefined, so a printed or stored config shows only what is set. */
export function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Parse a size: plain bytes, or a number with kB/MB/GB/TB/PB (×1000) or KiB/MiB/GiB/TiB/PiB (×1024). */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]i?b|b)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const power = 'bkmgtp'.indexOf(unit[0]!);
  const base = unit.includes('i') ? 1024 : 1000;
  const bytes = Math.round(Number(m[1]) * base ** power);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
