import { expectNoMore } from './args';
import { renderHelp } from './parse';
import type { ImmediateControl } from './types';

/** Answered at once (no I/O), so it is the acknowledgement itself. */
export const Help: ImmediateControl<{ topic: string | undefined }> = {
  kind: 'control',
  name: 'help',
  summary: 'list every subcommand, or show one in detail',
  usage: 'help [command]',
  examples: ['help', 'help sg'],
  parse(args) {
    expectNoMore(this, args, 1);
    return { topic: args.words[0]?.toLowerCase() };
  },
  reply({ topic }, ctx) {
    if (!ctx.catalog) throw new Error('help: the command catalog was not handed in');
    return renderHelp(ctx.catalog, topic, ctx);
  },
};
