import { expectNoMore } from './args';
import type { ControlCommand } from './types';

export const Help: ControlCommand = {
  kind: 'control',
  name: 'help',
  summary: 'list every subcommand, or show one in detail',
  usage: 'help [command]',
  examples: ['help', 'help sg'],
  parse(args) {
    expectNoMore(this, args, 1);
    return { topic: args.words[0]?.toLowerCase() };
  },
};
