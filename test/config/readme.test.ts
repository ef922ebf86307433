import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { renderSettingsTables, TABLE_END, TABLE_START } from '../../src/config/readme-table';
import { type DefaultedSetting, parseDefault, shownDefault } from '../../src/config/setting';
import { ALL_SETTINGS } from '../../src/config/settings';

const ROOT = path.join(__dirname, '..', '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const declared = new Map(ALL_SETTINGS.map((s) => [s.name, s]));
/** A family of variables (`TRAIL_DEFAULT_WINDOW_<CMD>`) by its prefix. */
const families = ALL_SETTINGS.filter((s) => s.name.includes('<')).map((s) => ({
  prefix: s.name.slice(0, s.name.indexOf('<')),
  name: s.name,
}));

function declaredNameOf(variable: string): string {
  return families.find((f) => variable.startsWith(f.prefix))?.name ?? variable;
}

/** The README's settings section, markers included; fails the test when a marker is missing. */
function readmeSection(): string {
  const start = README.indexOf(TABLE_START);
  const end = README.indexOf(TABLE_END, start);
  expect({ start: start >= 0, end: end >= 0 }).toEqual({ start: true, end: true });
  return README.slice(start, end + TABLE_END.length);
}

/** Each row of the README's settings tables: variable → [default cell, meaning cell]. */
function readmeRows(): Map<string, [string, string]> {
  const rows = new Map<string, [string, string]>();
  for (const line of readmeSection().split('\n')) {
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    const variable = /^`([^`]+)`$/.exec(cells[0] ?? '')?.[1];
    if (variable === undefined) continue;
    expect(rows.has(variable)).toBe(false); // each variable has one row
    rows.set(variable, [cells[1]!, cells[2]!]);
  }
  return rows;
}

/** Environments that between them take every branch of loadConfig (Athena or DuckDB, DynamoDB or dynalite, …). */
const ENVIRONMENTS: NodeJS.ProcessEnv[] = [
  {},
  {
    TRAIL_TIME_ZONE: 'Europe/Berlin',
    TRAIL_OFFHOURS: '22:00-06:00',
    TRAIL_OFFHOURS_WEEKENDS: 'yes',
    TRAIL_KNOWN_NETWORKS: '10.0.0.0/8',
    TRAIL_MAX_WINDOW_DAYS: '30',
    TRAIL_DEFAULT_WINDOW_SG: '6h',
    TRAIL_DELIVERY_LAG: '20m',
    TRAIL_PROJECTION_START: '2024/01/01',
    TRAIL_ATHENA_WORKGROUP: 'primary',
    TRAIL_ATHENA_DATABASE: 'cloudtrail',
    TRAIL_ATHENA_CATALOG: 'AwsDataCatalog',
    TRAIL_ATHENA_OUTPUT: 's3://query-results/athena/',
    TRAIL_ATHENA_REUSE_MINUTES: '60',
    AWS_REGION: 'eu-west-1',
    TRAIL_AWS_REGION: 'us-east-1',
    TRAIL_BUCKET: 'trail-logs',
    TRAIL_PREFIX: 'org',
    TRAIL_ACCOUNTS: '111122223333',
    TRAIL_REGIONS: 'us-east-1',
    TRAIL_ORG_ID: 'o-abcdefghij',
    TRAIL_TABLE: 'trailbot',
    TRAIL_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
    SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
    SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99yyyzzz85a5',
    PORT: '3001',
    TRAIL_SLACK_API_URL: 'http://127.0.0.1:9000/api/',
    TRAIL_MAX_PER_USER: '2',
    TRAIL_MAX_PER_CHANNEL: '5',
    TRAIL_DEDUPE_SECONDS: '60',
    TRAIL_RETENTION_DAYS: '30',
    TRAIL_CONFIRM_ABOVE_BYTES: '1GB',
    TRAIL_DAILY_BUDGET_BYTES: '1TB',
    TRAIL_RESULTS_DIR: '/srv/results',
    TRAIL_LOG_LEVEL: 'info',
    TRAIL_ACCESS_POLICY: 'open',
  },
  {
    TRAIL_DATA_DIR: '/srv/logs',
    TRAIL_STRICT: 'true',
    TRAIL_CACHE: 'false',
    TRAIL_STATE_DIR: '/srv/state',
    SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
    SLACK_APP_TOKEN: 'xapp-1-2-abc',
  },
  { TRAIL_TABLE: 'trailbot', AWS_REGION: 'eu-west-1' },
];

describe("the README's settings tables and the declarations", () => {
  test('every declared setting has one row in the README, with its declared default and meaning', () => {
    const rows = readmeRows();
    expect([...rows.keys()].sort()).toEqual([...declared.keys()].sort());
    for (const [name, [shown, meaning]] of rows) {
      const s = declared.get(name)!;
      expect({ name, default: shown, meaning }).toEqual({ name, default: shownDefault(s), meaning: s.doc });
    }
  });

  test('the README section is exactly what `npx tsx src/config/readme-table.ts --write` writes', () => {
    expect(readmeSection()).toBe(renderSettingsTables());
  });

  test('every variable loadConfig reads is declared, and every declared one is read (or names its reader)', () => {
    const read = new Set<string>();
    for (const env of ENVIRONMENTS) {
      const recording = new Proxy(env, {
        get(target, key) {
          if (typeof key === 'string') read.add(declaredNameOf(key));
          return Reflect.get(target, key);
        },
      });
      expect(() => loadConfig(recording)).not.toThrow();
    }
    expect([...read].filter((name) => !declared.has(name))).toEqual([]);
    const unread = ALL_SETTINGS.filter((s) => !read.has(s.name));
    expect(unread.map((s) => ({ name: s.name, readBy: s.readBy }))).toEqual(
      unread.filter((s) => s.readBy !== undefined).map((s) => ({ name: s.name, readBy: s.readBy })),
    );
  });

  test('every trailbot variable read straight from the environment elsewhere is declared, naming that reader', () => {
    const direct = new Map<string, string[]>();
    for (const file of sourceFiles(['src', 'commands'])) {
      if (file.startsWith(`src${path.sep}config${path.sep}`)) continue;
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/\benv(?:\.|\[['"])((?:TRAIL|SLACK)_[A-Z0-9_]+)/g)) {
        direct.set(m[1]!, [...(direct.get(m[1]!) ?? []), file.split(path.sep).join('/')]);
      }
    }
    expect(direct.size).toBeGreaterThan(0); // the scan finds what it looks for (src/main.ts reads TRAIL_LOG_LEVEL)
    for (const [name, files] of direct) {
      expect({ name, declared: declared.has(name) }).toEqual({ name, declared: true });
      const readBy = declared.get(name)!.readBy;
      if (readBy !== undefined) expect(files).toContain(readBy);
    }
    for (const s of ALL_SETTINGS.filter((x) => x.readBy !== undefined)) {
      expect({ name: s.name, readers: direct.get(s.name) ?? [] }).toEqual({
        name: s.name,
        readers: expect.arrayContaining([s.readBy]),
      });
    }
  });

  test('every declared default passes its own check', () => {
    const defaulted = ALL_SETTINGS.filter((s): s is DefaultedSetting<unknown> => s.default !== undefined);
    expect(defaulted.length).toBeGreaterThan(20);
    for (const s of defaulted) expect(() => parseDefault(s)).not.toThrow();
  });
});

function sourceFiles(folders: string[]): string[] {
  return folders.flatMap((folder) =>
    readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(folder, f)),
  );
}
