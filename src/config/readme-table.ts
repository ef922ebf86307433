/**
 * The README's settings tables, generated from the declarations: one table a group, one row a variable, its
 * default as declared. `npx tsx src/config/readme-table.ts` prints them; `--write` puts them into README.md between
 * the two marker comments. test/config/readme.test.ts fails when the README and the declarations differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Setting, shownDefault } from './setting';
import { SETTING_GROUPS } from './settings';

export const TABLE_START =
  '<!-- settings: generated from src/config/ by `npx tsx src/config/readme-table.ts --write`; edit the declarations, not these tables -->';
export const TABLE_END = '<!-- /settings -->';

/** The generated section, markers included. */
export function renderSettingsTables(): string {
  const parts = SETTING_GROUPS.map((group) =>
    [`**${group.title}**`, '', '| variable | default | meaning |', '|---|---|---|', ...group.settings.map(row)].join(
      '\n',
    ),
  );
  return [TABLE_START, ...parts, TABLE_END].join('\n\n');
}

function row(s: Setting): string {
  return `| \`${s.name}\` | ${cell(shownDefault(s))} | ${cell(s.doc)} |`;
}

/** A pipe would end the cell early. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

/** README text with the generated section replaced; undefined when the markers are missing. */
export function withSettingsTables(readme: string): string | undefined {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END, start);
  if (start < 0 || end < 0) return undefined;
  return readme.slice(0, start) + renderSettingsTables() + readme.slice(end + TABLE_END.length);
}

if (require.main === module) {
  if (process.argv.includes('--write')) {
    const file = path.join(__dirname, '..', '..', 'README.md');
    const updated = withSettingsTables(readFileSync(file, 'utf8'));
    if (updated === undefined) {
      process.stderr.write(
        `README.md has no settings section; put these two lines where it goes:\n${TABLE_START}\n${TABLE_END}\n`,
      );
      process.exitCode = 1;
    } else {
      writeFileSync(file, updated);
    }
  } else {
    process.stdout.write(`${renderSettingsTables()}\n`);
  }
}
