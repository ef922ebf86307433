import { expectNoMore } from '../args';
import type { QueryCommand } from '../types';
import { type DetectedEvent, detectionFlags, type Flag } from './common';

/** What makes one detection command: its words, its template, and the rules that turn a row into flags. */
export interface DetectionSpec {
  name: string;
  summary: string;
  examples: string[];
  template: string;
  rules: (e: DetectedEvent) => Flag[];
  /** The resource a refused call was aimed at, for its `denied-attempt` flag. */
  target: (e: DetectedEvent) => string | undefined;
}

/**
 * `tamper`, `iam` and `exposed` take no argument but the window and read the same columns (who, what, when and
 * where first, then the request the flags are read from), so each is its words and its rules.
 */
export function detectionCommand(spec: DetectionSpec): QueryCommand {
  return {
    kind: 'query',
    name: spec.name,
    summary: spec.summary,
    usage: `${spec.name} [window]`,
    examples: spec.examples,
    defaultWindow: '24h',
    columns: {
      order: [
        'username',
        'principal_arn',
        'eventname',
        'eventtime',
        'sourceipaddress',
        'errorcode',
        'requestparameters',
        'eventsource',
        'awsregion',
        'recipientaccountid',
      ],
    },
    rowCap: { rows: 5000, narrow: 'a shorter window or account:/region:' },
    plan(args) {
      expectNoMore(this, args, 0);
      return { template: spec.template, values: {}, normalized: '' };
    },
    annotate(row) {
      return detectionFlags(row, spec.rules, spec.target);
    },
  };
}
