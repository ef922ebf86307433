/** Figures every load-shaped part reports: answered once, published once, nothing left behind. */
import type { DriveResult } from './drive';
import { count, type Figure, target } from './report';

export function exactlyOnceFigures(r: DriveResult): { figures: Figure[]; problems: string[] } {
  const a = r.answers;
  const p = r.publications;
  const problems: string[] = [];
  if (!r.settled) problems.push(`not everything was answered and published within the wait (${r.settledAfterMs} ms)`);
  problems.push(...a.problems.slice(0, 20));
  if (a.problems.length > 20) problems.push(`… and ${a.problems.length - 20} more unanswered / twice-answered`);
  if (p.problemIds.length > 0) {
    const shown = p.problemIds.slice(0, 10).map((id) => {
      const e = r.executions.find((x) => x.id === id);
      return `${id} (${e?.state}, \`${e?.commandText.slice(0, 40)}\`, parent ${e?.parentRef ?? 'none'}, result ${e?.resultRef ?? 'none'}, attempts ${e?.publishAttempts ?? 0})`;
    });
    problems.push(`executions with a publication problem: ${shown.join('; ')}`);
  }
  const figures: Figure[] = [
    target(
      'commands acknowledged with HTTP 200',
      count(a.commands - a.ackFailures, a.commands),
      'all',
      a.ackFailures === 0,
    ),
    target('commands answered exactly once', count(a.answeredOnce, a.commands), 'all', a.answeredOnce === a.commands),
    target('commands never answered', count(a.unanswered), '0', a.unanswered === 0),
    target('commands answered twice', count(a.answeredTwice), '0', a.answeredTwice === 0),
    target('executions PUBLISHED', count(p.published, p.executions), 'all', p.published === p.executions),
    target(
      'executions left unfinished (listUnfinished)',
      count(r.finalSnapshot.unfinished),
      '0',
      r.finalSnapshot.unfinished === 0,
    ),
    target(
      'executions with exactly one reply in their thread',
      count(p.answeredOnce, p.executions),
      'all',
      p.answeredOnce === p.executions,
    ),
    target('executions lost (no reply)', count(p.noReply), '0', p.noReply === 0),
    target('executions published twice (2+ replies)', count(p.repliedTwice), '0', p.repliedTwice === 0),
    target(
      'executions with 2+ CSV uploads / CSV missing',
      `${p.csvTwice} / ${p.csvMissing}`,
      '0 / 0',
      p.csvTwice === 0 && p.csvMissing === 0,
    ),
    target('parent messages missing or doubled', count(p.parentProblems), '0', p.parentProblems === 0),
    target('messages belonging to no execution', count(p.orphanMessages), '0', p.orphanMessages === 0),
    target('messages rejected for Block Kit limits', count(p.invalidBlocks), '0', p.invalidBlocks === 0),
  ];
  return { figures, problems };
}
