import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { UsageError } from '../src/core/errors';
import { shown } from '../src/util/shown';
import type { CommandArgs, CommandInfo } from './types';

export { shown };

/**
 * Argument validators shared by the commands. Each is a zod schema that normalises a typed word; a failure becomes
 * a UsageError that names the argument, shows what was received (truncated, escaped) and says what is accepted.
 */

const HEX_ID = (prefix: string) => new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`);

export const SECURITY_GROUP_ID = HEX_ID('sg');
export const NETWORK_INTERFACE_ID = HEX_ID('eni');

/** `sg-…` or `eni-…` (8 or 17 hex digits, the two id lengths EC2 issues), lower-cased. */
export const securityGroupOrEni = z
  .string()
  .transform((s) => s.toLowerCase())
  .refine((s) => SECURITY_GROUP_ID.test(s) || NETWORK_INTERFACE_ID.test(s), {
    message: 'is not a security group id or network interface id',
  });
export const SG_ACCEPTS = 'sg- or eni- followed by 8 or 17 hex digits (e.g. sg-5887f224, eni-6c5ca5a8)';

/**
 * An ARN: `arn:partition:service:region:account:resource` (AWS General Reference, "Amazon Resource Names (ARNs)").
 * Region and account may be empty (S3, IAM). The resource part takes the characters AWS documents for IAM names and
 * paths ("IAM identifiers": letters, digits and `+=,.@_-`), plus `/` and `:` that separate resource type, path and
 * id, and `*` of wildcard ARNs. Anything else (backticks, `<`, `>`, `|`, quotes, spaces) is refused: the command
 * text is echoed into replies other people read (issue 13 item 4). At most 1,000 characters: Athena takes each
 * ExecutionParameter up to 1,024 characters, quotes included (Athena API Reference, "StartQueryExecution"), so a longer
 * value would fail on Athena only; both engines refuse it here instead.
 */
export const ARN_MAX = 1000;
export const ARN =
  /^arn:aws(-cn|-us-gov|-iso(-[a-z])?)?:[a-z0-9-]{1,64}:([a-z]{2}(-[a-z]+)+-\d)?:(\d{12}|aws)?:[A-Za-z0-9+=,.@_/:*-]+$/;
export const arn = z
  .string()
  .max(ARN_MAX, { message: `is longer than ${ARN_MAX} characters` })
  .regex(ARN, { message: 'is not an ARN' });
export const ARN_ACCEPTS =
  'an ARN like arn:aws:iam::123456789012:user/alice (resource part: letters, digits and + = , . @ _ - / : *)';

/** For a word that looks like an ARN but is refused: what its resource part may hold (one of the commonest slips). */
function arnHint(s: string): string {
  if (!/^arn:/i.test(s)) return '';
  if (s.length > ARN_MAX) return ` (longer than ${ARN_MAX} characters)`;
  return ' (an ARN is arn:partition:service:region:account:resource, its resource part letters, digits and + = , . @ _ - / : *)';
}

/** IAM user / role names: "alphanumeric characters plus =,.@_-", 1–64 (IAM CreateUser: [\w+=,.@-]+). */
export const IAM_NAME = /^[A-Za-z0-9+=,.@_-]{1,64}$/;
export const iamNameOrArn = z.string().superRefine((s, ctx) => {
  if (IAM_NAME.test(s) || (s.length <= ARN_MAX && ARN.test(s))) return;
  ctx.addIssue({ code: 'custom', message: `is not an IAM user name or ARN${arnHint(s)}` });
});
export const IAM_ACCEPTS = 'an IAM user name (up to 64 of A-Z a-z 0-9 + = , . @ _ -) or an ARN';

/**
 * A resource id or ARN for `who`: an ARN, or an id/name of at least 3 characters (shorter would match nearly every
 * event) from the characters AWS uses in resource ids and names.
 */
export const RESOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/+=,@-]{2,254}$/;
export const resourceIdOrArn = z.string().superRefine((s, ctx) => {
  if ((s.length <= ARN_MAX && ARN.test(s)) || RESOURCE_ID.test(s)) return;
  ctx.addIssue({ code: 'custom', message: `is not a resource id or ARN${arnHint(s)}` });
});
export const RESOURCE_ACCEPTS =
  'a resource id or name of 3–255 characters (e.g. i-0abc123def4567890, sg-5887f224, my-bucket) or an ARN';

/** Parses an IPv4/IPv6 address or CIDR strictly (no `127.1`, no zone ids) into a normalised network `addr/prefix`. */
export function parseNetwork(text: string): string | undefined {
  const [addr, prefixText, extra] = text.split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(addr)) parsed = ipaddr.IPv4.parse(addr);
  else if (!addr.includes('%') && ipaddr.IPv6.isValid(addr)) parsed = ipaddr.IPv6.parse(addr);
  else return undefined;
  const max = parsed.kind() === 'ipv4' ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  let prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  // An IPv4-mapped network (::ffff:10.0.0.0/104) is the IPv4 network it maps: Trino stores IPv4 addresses that way,
  // and the templates compare only same-family pairs (sql/_in_network.sql).
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
    prefix -= 96;
  }
  // Zero the host bits so `10.1.2.3/8` means 10.0.0.0/8 (Trino's contains() wants a network).
  const network =
    parsed.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${parsed.toString()}/${prefix}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/${prefix}`);
  return `${network.toString()}/${prefix}`;
}

export const ipOrCidr = z.string().transform((s, ctx) => {
  const network = parseNetwork(s);
  if (!network) {
    ctx.addIssue({ code: 'custom', message: 'is not an IPv4/IPv6 address or CIDR' });
    return z.NEVER;
  }
  return network;
});
export const IP_ACCEPTS = 'an IPv4 or IPv6 address or CIDR (e.g. 203.0.113.7, 198.51.100.0/24, 2001:db8::/32)';

/** `top N` bound: enough for a thread table and a CSV, small enough to keep the query cheap to read. */
export const TOP_MAX = 100;
export const topN = z.coerce
  .number({ message: 'is not a number' })
  .int({ message: 'is not a whole number' })
  .min(1, { message: 'is below 1' })
  .max(TOP_MAX, { message: `is above ${TOP_MAX}` });

/** Validates one word with a schema or throws a UsageError naming the argument and what is accepted. */
export function validateWord<T>(
  command: CommandInfo,
  what: string,
  value: string,
  schema: z.ZodType<T>,
  accepts: string,
): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const why = result.error.issues[0]?.message ?? 'is not valid';
  throw new UsageError(`\`${command.name}\`: ${what} \`${shown(value)}\` ${why}. Accepted: ${accepts}.`, command.usage);
}

/** Refuses words a command does not take. */
export function expectNoMore(command: CommandInfo, args: CommandArgs, from: number): void {
  const extra = args.words[from];
  if (extra !== undefined) {
    throw new UsageError(`\`${command.name}\`: unexpected argument \`${shown(extra)}\`.`, command.usage);
  }
}

/** Reads an optional `top N` (or a bare number) from the words; returns the default when absent. */
export function takeTop(command: CommandInfo, args: CommandArgs, fallback: number): { top: number; used: number } {
  const [first, second] = args.words;
  if (first === undefined) return { top: fallback, used: 0 };
  if (first.toLowerCase() === 'top') {
    if (second === undefined) throw new UsageError(`\`${command.name}\`: \`top\` needs a number.`, command.usage);
    return { top: validateWord(command, 'top N', second, topN, `a whole number from 1 to ${TOP_MAX}`), used: 2 };
  }
  if (/^\d+$/.test(first)) {
    return { top: validateWord(command, 'top N', first, topN, `a whole number from 1 to ${TOP_MAX}`), used: 1 };
  }
  return { top: fallback, used: 0 };
}
