/**
 * manifest.yml is pasted into Slack's "Create app from manifest" form, so a YAML slip only shows up there. No YAML
 * library is installed; the parser below reads the block-style subset the manifest uses (mappings, sequences,
 * quoted and plain scalars, comments) and fails loudly on anything else, so the manifest stays in that subset.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { COMMANDS } from '../../../commands';

type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

interface Line {
  indent: number;
  text: string;
  number: number;
}

function stripComment(raw: string): string {
  let quote: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || raw[i - 1] === ' ')) {
      return raw.slice(0, i);
    }
  }
  return raw;
}

function scalar(text: string, line: number): Yaml {
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) throw new Error(`line ${line}: unterminated double quote`);
    return JSON.parse(text) as string;
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) throw new Error(`line ${line}: unterminated single quote`);
    return text.slice(1, -1).replaceAll("''", "'");
  }
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === '~' || text === 'null') return null;
  if (/^-?\d+$/.test(text)) return Number(text);
  // Characters that start YAML syntax this subset does not support (flow collections, anchors, tags, block scalars).
  if (/^[[{&*!|>%@`]/.test(text)) throw new Error(`line ${line}: unsupported YAML: ${text}`);
  if (/: /.test(text)) throw new Error(`line ${line}: a plain scalar with ": " needs quotes: ${text}`);
  return text;
}

function parseYamlSubset(source: string): Yaml {
  const lines: Line[] = [];
  source.split('\n').forEach((raw, i) => {
    if (raw.includes('\t')) throw new Error(`line ${i + 1}: tab character`);
    const text = stripComment(raw).trimEnd();
    if (text.trim() === '') return;
    lines.push({ indent: text.length - text.trimStart().length, text: text.trim(), number: i + 1 });
  });
  let pos = 0;

  function block(indent: number): Yaml {
    const first = lines[pos];
    if (first.text.startsWith('- ') || first.text === '-') return sequence(first.indent);
    return mapping(indent);
  }

  function entry(text: string, line: Line, map: { [key: string]: Yaml }, indent: number): void {
    const m = /^([A-Za-z0-9_.-]+):(?: (.*))?$/.exec(text);
    if (!m) throw new Error(`line ${line.number}: expected "key: value", got ${text}`);
    const [, key, value] = m;
    if (key in map) throw new Error(`line ${line.number}: duplicate key ${key}`);
    if (value !== undefined && value.trim() !== '') {
      map[key] = scalar(value.trim(), line.number);
      return;
    }
    const next = lines[pos];
    if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) {
      map[key] = block(next.indent);
    } else {
      map[key] = null;
    }
  }

  function mapping(indent: number): { [key: string]: Yaml } {
    const map: { [key: string]: Yaml } = {};
    while (pos < lines.length && lines[pos].indent === indent && !lines[pos].text.startsWith('- ')) {
      const line = lines[pos++];
      entry(line.text, line, map, indent);
    }
    if (pos < lines.length && lines[pos].indent > indent)
      throw new Error(`line ${lines[pos].number}: unexpected indentation`);
    return map;
  }

  function sequence(indent: number): Yaml[] {
    const items: Yaml[] = [];
    while (pos < lines.length && lines[pos].indent === indent && lines[pos].text.startsWith('- ')) {
      const line = lines[pos++];
      const rest = line.text.slice(2).trim();
      if (/^[A-Za-z0-9_.-]+:( |$)/.test(rest)) {
        // "- key: value" opens a mapping whose other keys sit two columns further in.
        const map: { [key: string]: Yaml } = {};
        entry(rest, line, map, indent + 2);
        if (pos < lines.length && lines[pos].indent === indent + 2) Object.assign(map, mapping(indent + 2));
        items.push(map);
      } else {
        items.push(scalar(rest, line.number));
      }
    }
    return items;
  }

  const root = mapping(0);
  if (pos !== lines.length) throw new Error(`line ${lines[pos].number}: could not parse`);
  return root;
}

const manifestPath = path.resolve(__dirname, '../../../manifest.yml');

function get(v: Yaml, ...keys: string[]): Yaml {
  let cur: Yaml = v;
  for (const k of keys) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) throw new Error(`no ${keys.join('.')}`);
    cur = cur[k];
  }
  return cur;
}

describe('the YAML subset parser', () => {
  test('reads nested mappings, sequences of scalars and of mappings, quotes and comments', () => {
    expect(
      parseYamlSubset(
        [
          'a: 1 # one',
          'b:',
          '  c: "x # not a comment"',
          "  d: 'it''s'",
          '  e:',
          '    - one',
          '    - two',
          'f:',
          '  - name: n',
          '    on: true',
          'g:',
        ].join('\n'),
      ),
    ).toEqual({
      a: 1,
      b: { c: 'x # not a comment', d: "it's", e: ['one', 'two'] },
      f: [{ name: 'n', on: true }],
      g: null,
    });
  });

  test('refuses what it does not understand instead of guessing', () => {
    expect(() => parseYamlSubset('a:\n\tb: 1')).toThrow(/tab/);
    expect(() => parseYamlSubset('a: [1, 2]')).toThrow(/unsupported/);
    expect(() => parseYamlSubset('a: b: c')).toThrow(/needs quotes/);
    expect(() => parseYamlSubset('a: 1\na: 2')).toThrow(/duplicate/);
    expect(() => parseYamlSubset('a: "open')).toThrow(/unterminated/);
  });
});

describe('manifest.yml', () => {
  const manifest = parseYamlSubset(readFileSync(manifestPath, 'utf8'));

  test('declares /trail with a description and a usage hint naming every subcommand', () => {
    const commands = get(manifest, 'features', 'slash_commands') as Yaml[];
    expect(commands).toHaveLength(1);
    const trail = commands[0] as Record<string, Yaml>;
    expect(trail.command).toBe('/trail');
    expect(String(trail.command).length).toBeLessThanOrEqual(32);
    expect(typeof trail.description).toBe('string');
    expect(String(trail.description).length).toBeLessThanOrEqual(2000);
    const hint = String(trail.usage_hint);
    expect(hint.length).toBeLessThanOrEqual(1000);
    // Every subcommand in the catalog, so a new command cannot be forgotten here.
    for (const sub of COMMANDS.map((c) => c.name)) expect(hint).toMatch(new RegExp(`(^|[ |])${sub}([ |]|$)`));
    // Socket Mode: no request URL on the command.
    expect(trail.url).toBeUndefined();
  });

  test('asks for exactly the bot scopes trailbot uses', () => {
    expect(get(manifest, 'oauth_config', 'scopes', 'bot')).toEqual([
      'commands',
      'chat:write',
      'files:write',
      'app_mentions:read',
    ]);
  });

  test('subscribes to app_mention, the event a question asked in a thread arrives as (issue 17 item 1)', () => {
    expect(get(manifest, 'settings', 'event_subscriptions', 'bot_events')).toEqual(['app_mention']);
    // Socket Mode: no request URL for events either.
    expect(get(manifest, 'settings', 'event_subscriptions', 'request_url')).toBeUndefined();
  });

  test('has a bot user, interactivity for the buttons, and Socket Mode on', () => {
    expect(get(manifest, 'features', 'bot_user', 'display_name')).toBe('trailbot');
    expect(get(manifest, 'settings', 'interactivity', 'is_enabled')).toBe(true);
    expect(get(manifest, 'settings', 'socket_mode_enabled')).toBe(true);
    expect(get(manifest, '_metadata', 'major_version')).toBe(2);
  });

  test('display information fits the manifest limits', () => {
    const description = String(get(manifest, 'display_information', 'description'));
    const long = String(get(manifest, 'display_information', 'long_description'));
    expect(get(manifest, 'display_information', 'name')).toBe('trailbot');
    expect(description.length).toBeLessThanOrEqual(140);
    expect(long.length).toBeGreaterThanOrEqual(175);
    expect(long.length).toBeLessThanOrEqual(4000);
    expect(get(manifest, 'display_information', 'background_color')).toMatch(/^#[0-9a-f]{6}$/i);
  });
});
