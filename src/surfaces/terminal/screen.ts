import { escapeControls } from '../../util/shown';

/** How a line is shown when colour is on. */
export type Tone = 'plain' | 'ok' | 'fail' | 'warn' | 'dim' | 'bold';

const SGR: Record<Exclude<Tone, 'plain'>, string> = { ok: '32', fail: '31', warn: '33', dim: '2', bold: '1' };

/** Erase the whole current line and go to its start (ECMA-48 EL 2 after a carriage return). */
const ERASE_LINE = '\r\x1b[2K';

/**
 * Colour only for a person at a terminal: stdout is a TTY, `NO_COLOR` is unset or empty (no-color.org: "when present
 * and not an empty string, prevents the addition of ANSI color") and the terminal is not `dumb`.
 */
export function colourWanted(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  return tty && !env.NO_COLOR && env.TERM !== 'dumb';
}

/** Something that owns the line being typed on (the REPL's readline) and can take it away and put it back. */
export interface PromptLine {
  /** Redraws the prompt and whatever was typed so far, after output was written above it. */
  redraw(): void;
  /** True while the prompt is shown and waits for typing (a progress line would fight with it). */
  waiting(): boolean;
}

export interface ScreenOptions {
  out: NodeJS.WritableStream;
  /** ANSI colour (see colourWanted). Default off. */
  colour?: boolean;
  /** Redraw in place (a TTY): the progress line is rewritten, and the prompt is moved below new output. */
  live?: boolean;
}

/**
 * Everything the terminal surface prints goes through here, and every line is passed through `escapeControls`
 * first: a value from a CloudTrail record (or anything else) can never clear the screen, move the cursor, set a link
 * or the clipboard (OSC 8 / OSC 52), or reverse the text after it. Only trailbot's own colour codes are added, after
 * the escape. On a TTY, output that arrives while the prompt is shown (a resumed question, a scheduled run) is
 * written above it and the prompt is redrawn, so no answer sits after a prompt that is never shown again.
 */
export class Screen {
  private statusText: string | undefined;
  private prompt: PromptLine | undefined;

  constructor(private readonly o: ScreenOptions) {}

  get colour(): boolean {
    return this.o.colour === true;
  }

  get live(): boolean {
    return this.o.live === true;
  }

  /** The REPL's prompt line, redrawn after output (TTY only); undefined detaches it. */
  attachPrompt(prompt: PromptLine | undefined): void {
    this.prompt = prompt;
  }

  /** Wraps already escaped text in the tone's colour, when colour is on. */
  paint(text: string, tone: Tone): string {
    if (!this.o.colour || tone === 'plain' || text === '') return text;
    return `\x1b[${SGR[tone]}m${text}\x1b[0m`;
  }

  /** Prints text (one or more lines); `indent` goes before each line. */
  line(text: string, tone: Tone = 'plain', indent = ''): void {
    const lines = escapeControls(text, { keepNewlines: true }).split('\n');
    this.write(lines.map((l) => `${indent}${this.paint(l, tone)}\n`).join(''));
  }

  /** Prints lines that are already escaped and painted (a table whose header is styled apart from its rows). */
  rawLines(lines: readonly string[]): void {
    this.write(lines.map((l) => `${l}\n`).join(''));
  }

  /**
   * A progress line. On a TTY it is rewritten in place until `endStatus` (or other output) replaces it; elsewhere
   * (a pipe, a log file) it is an ordinary line.
   */
  status(text: string): void {
    const safe = escapeControls(text);
    if (!this.o.live) {
      this.o.out.write(`${this.paint(safe, 'dim')}\n`);
      return;
    }
    // At the prompt (a resumed or scheduled question runs in the background) the typed line keeps its place.
    if (this.prompt?.waiting()) return;
    this.statusText = safe;
    this.o.out.write(`${ERASE_LINE}${this.paint(safe, 'dim')}`);
  }

  /** Removes the progress line (TTY). */
  endStatus(): void {
    if (this.statusText === undefined) return;
    this.statusText = undefined;
    if (this.o.live) this.o.out.write(ERASE_LINE);
  }

  private write(chunk: string): void {
    if (!this.o.live) {
      this.o.out.write(chunk);
      return;
    }
    // Take the prompt (or progress) line away, print, then put it back under the output.
    this.o.out.write(`${ERASE_LINE}${chunk}`);
    if (this.statusText !== undefined) this.o.out.write(this.paint(this.statusText, 'dim'));
    else this.prompt?.redraw();
  }
}
