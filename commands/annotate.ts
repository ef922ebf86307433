import type { TrailConfig } from '../src/config';
import type { Annotator } from '../src/core/runner';
import { findCommand } from './index';

/**
 * The risk annotator of a query command, bound to the current configuration: the runner asks for one by command name
 * for each collection (src/app.ts wires it), so the runner never sees the catalog.
 */
export function annotatorsFrom(config: TrailConfig, now: () => Date = () => new Date()) {
  return (name: string): Annotator | undefined => {
    const command = findCommand(name);
    if (command?.kind !== 'query' || (!command.annotate && !command.rowCap)) return undefined;
    const annotate = command.annotate?.bind(command);
    const cap = command.rowCap;
    // One annotator per collection: it counts rows so the answer that reaches the template's LIMIT says so.
    let rows = 0;
    return (row) => {
      const flags = annotate ? annotate(row, { config, now: now() }) : [];
      rows += 1;
      if (cap && rows === cap.rows) {
        flags.push({
          code: 'row-cap',
          message: `${command.name} stops at ${cap.rows.toLocaleString('en-US')} rows and this answer reached that: there may be more. Narrow it with ${cap.narrow}.`,
        });
      }
      return flags;
    };
  };
}
