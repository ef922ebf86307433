/**
 * Characters that must never reach a person's screen as they are, whether the text was typed by a user or read from
 * a CloudTrail record: C0 controls (ESC starts ANSI/OSC sequences that clear the screen, move the cursor, plant OSC 8
 * links or write the clipboard with OSC 52), DEL, C1 controls (U+009B is a one-byte CSI in some terminals), the line
 * and paragraph separators, and the invisible format characters that reorder or hide text: zero-width characters,
 * bidi embeddings, overrides and isolates (CVE-2021-42574, "Trojan Source"), the Arabic letter mark, word joiners
 * and the byte-order mark.
 */
export function isUnsafeChar(code: number): boolean {
  return (
    code < 0x20 ||
    code === 0x7f ||
    (code >= 0x80 && code < 0xa0) ||
    code === 0x061c ||
    (code >= 0x200b && code <= 0x200f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x2064) ||
    (code >= 0x2066 && code <= 0x206f) ||
    code === 0xfeff
  );
}

/**
 * The one escape for shown text: every unsafe character becomes visible text (`\n`, `\r`, `\t`, `\u001b`), so a
 * value can neither act on the terminal nor start a line of its own. `keepNewlines` leaves LF alone, for multi-line
 * text composed by trailbot itself (a reply, a usage message) in which the data is already escaped.
 */
export function escapeControls(value: string, o: { keepNewlines?: boolean } = {}): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (!isUnsafeChar(code)) out += ch;
    else if (ch === '\n') out += o.keepNewlines ? '\n' : '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return out;
}

/** How a user-typed value is shown back: control characters escaped, backticks neutralised, at most 40 chars. */
export function shown(value: string, max = 40): string {
  const out = escapeControls(value).replaceAll('`', "'");
  const chars = Array.from(out);
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : out;
}
