import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';

/** True when tmux can be run here (the pseudo-terminal tests skip, saying so, when it cannot). */
export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * One program in a real pseudo-terminal: a detached tmux session on its own server socket, typed into with
 * `send-keys` and read with `capture-pane`, as a person at a terminal of `width` × `height` would.
 */
export class TmuxSession {
  private readonly socket: string;
  readonly name = 'trail';

  constructor(label: string) {
    this.socket = `trailbot-${label}-${process.pid}-${Date.now()}`;
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /**
   * Starts `argv` in `cwd` with `env` added. When it ends, `EXIT=<code>` is printed and the pane stays open, so its
   * exit code and last output can be read.
   */
  start(
    argv: string[],
    o: { cwd: string; env: Record<string, string>; stderr?: string; width?: number; height?: number },
  ): void {
    const vars = Object.entries(o.env).map(([k, v]) => `${k}=${quote(v)}`);
    const errors = o.stderr ? ` 2>${quote(o.stderr)}` : '';
    const command = `cd ${quote(o.cwd)} && env ${vars.join(' ')} ${argv.map(quote).join(' ')}${errors}; echo EXIT=$?; sleep 600`;
    this.tmux(
      'new-session',
      '-d',
      '-s',
      this.name,
      '-x',
      String(o.width ?? 120),
      '-y',
      String(o.height ?? 40),
      command,
    );
    this.tmux('set-option', '-t', this.name, 'history-limit', '5000');
  }

  /**
   * Types text literally (no key names), one key at a time as a person does. (Node 20's readline misplaces a chunk of
   * several characters inserted before the end of the line: `ab` typed at the start of `recent 1h` gives `rbecent 1ha`;
   * that is a paste, not typing.)
   */
  type(text: string): void {
    for (const ch of text) this.tmux('send-keys', '-t', this.name, '-l', ch);
  }

  /** Presses keys by tmux name: `Enter`, `Tab`, `Up`, `Left`, `BSpace`, `C-c`, `C-d`, `C-u`. */
  keys(...names: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...names);
  }

  /** Everything on the screen and in its scrollback, trailing blank lines removed; `escapes` keeps the colours. */
  screen(o: { escapes?: boolean } = {}): string {
    const flags = o.escapes ? ['-e'] : [];
    return this.tmux('capture-pane', '-p', '-J', ...flags, '-t', this.name, '-S', '-5000').replace(/\n+$/, '');
  }

  /** The last line that is not blank (where the prompt and the typed text are), without trailing spaces. */
  lastLine(): string {
    return (
      this.screen()
        .split('\n')
        .map((l) => l.trimEnd())
        .filter((l) => l !== '')
        .pop() ?? ''
    );
  }

  /** Polls the screen until `check` holds; fails with the screen shown when it does not within `ms`. */
  async waitFor(check: (screen: string) => boolean, what: string, ms = 60_000): Promise<string> {
    const until = Date.now() + ms;
    for (;;) {
      const s = this.screen();
      if (check(s)) return s;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; the screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    // A killed server can leave its socket file behind (tmux(1): sockets live in $TMUX_TMPDIR/tmux-<uid>/).
    const uid = process.getuid?.() ?? 0;
    rmSync(path.join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${uid}`, this.socket), { force: true });
  }
}
