import type { ExecutionRecord } from '../src/core/execution';
import { takeId } from './ids';
import type { ControlContext, DeferredControl } from './types';

export const CancelExecution: DeferredControl<{ id: string }> = {
  kind: 'control',
  name: 'cancel',
  summary: 'stop a running question (the engine query is stopped too)',
  usage: 'cancel <id>',
  examples: ['cancel k3x9q2m8a1'],
  parse(args) {
    return { id: takeId(this, args, 'execution') };
  },
  async handle({ id }, ctx) {
    const e = await ctx.executions.get(id);
    if (!e || e.channelId !== ctx.asker.channelId) return `There is no execution \`${id}\` in this channel.`;
    return cancelAs(e, ctx);
  },
};

/**
 * Cancels a question for the asker if they asked it or are an admin; otherwise says who may, and audits the refusal.
 * The Cancel button is this command too (src/dispatch/dispatcher.ts), after its own lookup.
 */
export async function cancelAs(e: ExecutionRecord, ctx: ControlContext): Promise<string> {
  const owner = ctx.mayStop({ command: 'cancel', ownerId: e.userId, what: 'question' });
  if (!owner.allowed) {
    await ctx.audit({ action: 'denied', command: 'cancel', detail: `cancel ${e.id} asked by ${e.userId}` });
    return owner.reason;
  }
  return ctx.runner.cancel(e.id, ctx.asker.userId);
}
