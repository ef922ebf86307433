/**
 * The terminal bot as `npm start` runs it (src/main.ts startTerminal: the real REPL, runner, dynalite store in the
 * state folder, terminal publisher), with one difference: its engine answers only once the file named by
 * PTY_GATE_FILE exists, so a pseudo-terminal test can hold a question open for as long as it needs (Ctrl-C, redraw)
 * without timing guesses. Run by test/surfaces/terminal/pty.test.ts inside tmux.
 */
import { existsSync } from 'node:fs';
import { loadConfig } from '../../../src/config';
import type { QueryStatus } from '../../../src/core/engine';
import { consoleLogger } from '../../../src/logger';
import { startTerminal } from '../../../src/main';
import { quietKnownWarnings } from '../../../src/util/quiet-warnings';
import { ScriptedEngine } from '../../helpers/scripted-engine';

class GatedEngine extends ScriptedEngine {
  constructor(private readonly gate: string) {
    super();
    this.pollsBeforeDone = 0;
    this.columns = ['eventtime', 'eventname', 'username'];
    this.rows = [
      ['2026-11-30T09:00:00Z', 'ConsoleLogin', 'alice'],
      ['2026-11-30T09:01:00Z', 'GetCallerIdentity', 'bob'],
    ];
  }

  override async status(id: string): Promise<QueryStatus> {
    if (!existsSync(this.gate) && !this.cancels.includes(id)) {
      await super.status(id); // an id this process never started is still unknown (a restart re-runs it)
      return { state: 'RUNNING', stats: { bytesScanned: 237_000, elapsedMs: 0, filesRead: 154 } };
    }
    return super.status(id);
  }
}

quietKnownWarnings();
const config = loadConfig(process.env);
startTerminal(config, consoleLogger(process.stderr, 'warn'), {
  engine: new GatedEngine(process.env.PTY_GATE_FILE ?? '/nonexistent'),
}).then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
