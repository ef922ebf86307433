import { UsageError } from '../src/core/errors';
import { ACTIVITY_CHART, ACTIVITY_COLUMNS } from './activity';
import { expectNoMore, IP_ACCEPTS, ipOrCidr, validateWord } from './args';
import type { QueryCommand } from './types';

/** `/trail ip 203.0.113.7`: every call from an address or network. */
export const SourceIpActivity: QueryCommand = {
  kind: 'query',
  name: 'ip',
  summary: 'every call from an IPv4/IPv6 address or network',
  usage: 'ip <address or CIDR> [window]',
  examples: ['ip 203.0.113.7', 'ip 198.51.100.0/24 7d', 'ip 2001:db8::/32'],
  defaultWindow: '24h',
  chart: ACTIVITY_CHART,
  columns: ACTIVITY_COLUMNS,
  rowCap: { rows: 10_000, narrow: 'a shorter window or account:/region:' },
  plan(args) {
    const [word] = args.words;
    if (word === undefined) throw new UsageError('`ip`: which address? Give an IP address or CIDR.', this.usage);
    const network = validateWord(this, 'address', word, ipOrCidr, IP_ACCEPTS);
    expectNoMore(this, args, 1);
    return {
      template: 'source_ip_activity',
      values: { networks: [{ type: 'varchar', value: network }] },
      normalized: network,
    };
  },
};
