/**
 * One setting, declared once: its environment variable, its check, its default and the line the README shows for
 * it. The reader reads only declared settings, so a variable the code reads cannot be missing from the README table
 * (test/config/readme.test.ts holds the two together).
 */
import type { z } from 'zod';

export interface Setting<T = unknown> {
  /** The environment variable; for a family of variables, the pattern (`TRAIL_DEFAULT_WINDOW_<CMD>`). */
  readonly name: string;
  /** String in, typed value out; its messages say what to set. */
  readonly schema: z.ZodType<T, string>;
  /**
   * The default, written as one would set it (`10GiB`, `15m`), and parsed by `schema` like a set value, so the
   * README's default column is exactly what loadConfig uses. Absent when unset means something else (see `unset`).
   */
  readonly default?: string;
  /** The README's default column when it is not simply `default`: what leaving the variable unset means. */
  readonly unset?: string;
  /** One line for the README: what the setting is for. */
  readonly doc: string;
  /** Set when the value is read outside loadConfig (before it can run), naming the file that reads it. */
  readonly readBy?: string;
}

/** A setting whose default is always there, so reading it always gives a value. */
export type DefaultedSetting<T> = Setting<T> & { readonly default: string };

/** Declare a setting; a declared `default` makes it a DefaultedSetting, which `EnvReader.get` accepts. */
export function setting<T, A extends Omit<Setting<T>, 'name' | 'schema'>>(
  name: string,
  schema: z.ZodType<T, string>,
  about: A,
): Setting<T> & A {
  return { name, schema, ...about };
}

/** The README's default column for one setting. */
export function shownDefault(s: Setting): string {
  if (s.unset !== undefined) return s.unset;
  return s.default === undefined || s.default === '' ? 'none' : `\`${s.default}\``;
}

/** Collects problems instead of stopping at the first, so one start-up shows everything to fix. */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** The trimmed value, or undefined when unset or blank. */
  raw(s: Setting | string): string | undefined {
    const value = this.env[typeof s === 'string' ? s : s.name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  isSet(s: Setting): boolean {
    return this.raw(s) !== undefined;
  }

  /** The value, or the declared default when unset or invalid (the problem is recorded either way). */
  get<T>(s: DefaultedSetting<T>): T {
    return this.optional(s) ?? parseDefault(s);
  }

  optional<T>(s: Setting<T>): T | undefined {
    const value = this.raw(s);
    return value === undefined ? undefined : this.parse(s.name, s.schema, value);
  }

  /** Parse `value` for the variable `name` (a setting, or one member of a family). */
  parse<T>(name: string, schema: z.ZodType<T, string>, value: string): T | undefined {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) this.problem(name, issue.message);
    return undefined;
  }

  /** Every variable name present, sorted (for families of settings and the unknown-variable check). */
  names(): string[] {
    return Object.keys(this.env).sort();
  }

  problem(name: string, message: string): void {
    this.problems.push(`${name}: ${message}`);
  }
}

/** A default that fails its own check is a mistake in the declaration, not in the environment. */
export function parseDefault<T>(s: DefaultedSetting<T>): T {
  const parsed = s.schema.safeParse(s.default);
  if (!parsed.success) throw new Error(`${s.name}: the declared default \`${s.default}\` fails its own check`);
  return parsed.data;
}
