/** How a user-typed value is shown back: control characters escaped, backticks neutralised, at most 40 chars. */
export function shown(value: string, max = 40): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (
      code < 0x20 ||
      code === 0x7f ||
      (code >= 0x80 && code < 0xa0) ||
      code === 0x2028 ||
      code === 0x2029 ||
      // Zero-width and direction-changing characters: echoed raw, U+202E would reverse the rest of the reply.
      (code >= 0x200b && code <= 0x200f) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069) ||
      code === 0xfeff
    ) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else if (ch === '`') {
      out += "'";
    } else {
      out += ch;
    }
  }
  const chars = Array.from(out);
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : out;
}
