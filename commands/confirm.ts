import { takeId } from './ids';
import type { DeferredControl } from './types';

/** The terminal's Confirm button: runs a question that waited for confirmation of its estimated cost. */
export const ConfirmQuestion: DeferredControl<{ token: string }> = {
  kind: 'control',
  name: 'confirm',
  summary: 'run a question that asked for confirmation because of what it would scan',
  usage: 'confirm <token>',
  examples: ['confirm 3f9a1c2b7d4e'],
  parse(args) {
    return { token: takeId(this, args, 'confirmation') };
  },
  async handle({ token }, ctx) {
    return (await ctx.runner.confirm(token, ctx.asker)) ?? '';
  },
};
