/**
 * The access policy: who may ask what, where. JSON like
 * `{"default":{"channels":["C…"],"users":["U…"]},"commands":{"root":{"channels":["C0COMPLIANCE"]}}}`, `@path/to/policy.json`,
 * or `open`. Channel ids start with C, G or D; user ids with U or W (copy them from Slack, not `#names`). A command's
 * rule replaces the default; an empty or missing list means anyone (src/dispatch/policy.ts). `"admins":["U…"]` lists
 * who may cancel other people's questions and stop their schedules (everyone else only their own). With Slack and
 * Athena together a policy is required; `open` is the explicit "everyone, everywhere".
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { type EnvReader, setting } from './setting';
import type { AccessPolicy, AccessRule, ChatConfig, EngineConfig } from './types';
import { check, clip } from './values';

/** TRAIL_ACCESS_POLICY's value for "everyone, everywhere, on purpose". */
export const OPEN_POLICY_WORD = 'open';

/** Checked by `readAccessPolicy` (a file to read, JSON to parse); the schema here only passes the text on. */
export const ACCESS_POLICY = setting('TRAIL_ACCESS_POLICY', z.string(), {
  unset: 'everyone everywhere; **required** with Slack and Athena',
  doc: 'e.g. `{"default":{"channels":["C0SECOPS"]},"commands":{"root":{"channels":["C0COMPLIANCE"]}},"admins":["U0LEAD"]}`, `@policy.json`, or `open`',
});

/** Account → channel for watches' findings (issue 19): an organization with a channel per account. */
export const WATCH_ROUTES = setting(
  'TRAIL_WATCH_ROUTES',
  check<Record<string, string>>((value) => {
    const routes: Record<string, string> = {};
    for (const pair of value.split(/[\s,]+/).filter((p) => p !== '')) {
      const m = /^(\d{12}):([CG][A-Z0-9]{2,})$/.exec(pair);
      if (!m) {
        return {
          problem: `\`${clip(pair)}\` is not <12-digit account>:<channel id>; e.g. 111122223333:C0PROD,444455556666:C0DEV`,
        };
      }
      if (routes[m[1]!] !== undefined && routes[m[1]!] !== m[2]) return { problem: `account ${m[1]} is routed twice` };
      routes[m[1]!] = m[2]!;
    }
    return routes;
  }),
  {
    unset: "findings stay in the watch's channel",
    doc: "watches post the findings of these accounts in these channels, e.g. `111122223333:C0PROD,444455556666:C0DEV` (a watch's own `route` wins; the access policy must allow the watched command there, else they stay in the watch's channel)",
  },
);

export const POLICY_SETTINGS = [ACCESS_POLICY, WATCH_ROUTES];

/** TRAIL_WATCH_ROUTES, or undefined when unset. */
export function readWatchRoutes(r: EnvReader): Record<string, string> | undefined {
  const routes = r.optional(WATCH_ROUTES);
  return routes && Object.keys(routes).length > 0 ? routes : undefined;
}

const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, {
  error: (iss) =>
    `\`${clip(String(iss.input))}\` is not a Slack channel id (C…, G… or D…; copy it from the channel's details, not its #name)`,
});
const userId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, {
  error: (iss) =>
    `\`${clip(String(iss.input))}\` is not a Slack user id (U… or W…; copy it from the person's profile, not their @name)`,
});
const accessRule = z.strictObject(
  {
    channels: z.array(channelId, { error: 'must be a list of channel ids' }).optional(),
    users: z.array(userId, { error: 'must be a list of user ids' }).optional(),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown field ${iss.keys.map((k) => `\`${k}\``).join(', ')}; a rule has only "channels" and "users"`
        : 'must be an object like {"channels":["C…"],"users":["U…"]}',
  },
);
const accessPolicySchema = z.strictObject(
  {
    default: accessRule.optional(),
    admins: z.array(userId, { error: 'must be a list of user ids' }).optional(),
    commands: z
      .record(
        z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, {
          error: (iss) => `\`${clip(String(iss.input))}\` is not a command name (letters, digits, - and _)`,
        }),
        accessRule,
        { error: 'must be an object of command name → rule' },
      )
      .optional(),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown field ${iss.keys.map((k) => `\`${k}\``).join(', ')}; the policy has only "default", "commands" and "admins"`
        : 'must be a JSON object like {"default":{…},"commands":{…}}',
  },
);

export function readAccessPolicy(r: EnvReader): AccessPolicy {
  const name = ACCESS_POLICY.name;
  const value = r.raw(ACCESS_POLICY);
  // Unset is open too; loadConfig refuses that for Slack with Athena (requirePolicy), where `open` must be said.
  if (value === undefined || value === OPEN_POLICY_WORD) return { default: {}, commands: {} };
  let text = value;
  if (value.startsWith('@')) {
    const file = value.slice(1).trim();
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      r.problem(name, `cannot read policy file \`${clip(file)}\` (${code}); give a readable path after @`);
      return { default: {}, commands: {} };
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    r.problem(
      name,
      `not valid JSON (${(err as Error).message}); give JSON like {"commands":{"root":{"channels":["C…"]}}} or @path/to/policy.json`,
    );
    return { default: {}, commands: {} };
  }
  const parsed = accessPolicySchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const inner = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
      const where = issue.path.length > 0 ? `${pathText(issue.path)}: ` : '';
      r.problem(name, `${where}${inner ?? issue.message}`);
    }
    return { default: {}, commands: {} };
  }
  const commands: Record<string, AccessRule> = {};
  for (const [command, rule] of Object.entries(parsed.data.commands ?? {})) commands[command.toLowerCase()] = rule;
  const policy: AccessPolicy = { default: parsed.data.default ?? {}, commands };
  if (parsed.data.admins !== undefined) policy.admins = parsed.data.admins;
  return policy;
}

/**
 * A shared production bot (Slack with Athena) answers anyone in any channel or DM about every account the role can
 * read unless a policy says otherwise, so there it must be chosen, not defaulted: a policy, or `open` on purpose. The
 * terminal and the embedded engine stay open by default (one local user, local files).
 */
export function requirePolicy(r: EnvReader, chat: ChatConfig, engine: EngineConfig): void {
  if (chat.kind !== 'slack' || engine.kind !== 'athena' || r.isSet(ACCESS_POLICY)) return;
  r.problem(
    ACCESS_POLICY.name,
    `required for Slack with Athena: say who may ask what where, e.g. {"default":{"channels":["C0SECOPS"]},"admins":["U0LEAD"]} or @policy.json, or set it to \`${OPEN_POLICY_WORD}\` to let everyone in every channel ask about every account`,
  );
}

function pathText(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}
