import { UsageError } from '../src/core/errors';
import { shown } from './args';
import type { QueryCommand } from './types';

const KINDS = ['all', 'writes', 'errors'] as const;

/** `/trail recent`: the latest events, newest first. */
export const RecentEvents: QueryCommand = {
  kind: 'query',
  name: 'recent',
  summary: 'the latest events, newest first (all, only writes, or only errors)',
  usage: 'recent [all|writes|errors] [window]',
  examples: ['recent', 'recent writes 30m', 'recent errors 2h'],
  defaultWindow: '1h',
  chart: { timeColumn: 'eventtime', bucket: 'minute', rows: 'events' },
  columns: {
    order: [
      'principal_arn',
      'eventname',
      'eventtime',
      'sourceipaddress',
      'errorcode',
      'eventsource',
      'identity_type',
      'awsregion',
      'recipientaccountid',
    ],
  },
  rowCap: {
    rows: 200,
    narrow: 'a shorter window (e.g. `recent 15m`), `recent writes` or `recent errors`, or account:/region:',
  },
  plan(args) {
    const [word, extra] = args.words;
    const kind = word?.toLowerCase() ?? 'all';
    if (!(KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(
        `\`recent\`: \`${shown(word ?? '')}\` is not accepted. Accepted: ${KINDS.join(', ')}.`,
        this.usage,
      );
    }
    if (extra !== undefined) throw new UsageError(`\`recent\`: unexpected argument \`${shown(extra)}\`.`, this.usage);
    return {
      template: 'recent_events',
      values: { writes_only: kind === 'writes', errors_only: kind === 'errors' },
      normalized: kind,
    };
  },
};
