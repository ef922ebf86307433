/**
 * Access policy: who may run which `/trail` command where. The policy comes from TRAIL_ACCESS_POLICY (src/config).
 *
 * - A command's own rule REPLACES the default rule (it does not add to it): `root` limited to the compliance channel
 *   is not also bound by the default's channel list.
 * - Within a rule, an empty or missing list means "anyone" (any channel / any user); a rule with both lists requires
 *   both to match.
 * - A denial says which channels or users would be allowed, as Slack mentions (`<#C…>`, `<@U…>`), so the person knows
 *   where to go or whom to ask.
 * - Buttons are commands too: Cancel is checked as `cancel`, Confirm as `confirm`, Show SQL and Re-run as the
 *   question's own command (what typing `--sql` or the command again would be checked as).
 * - Stopping someone else's question (`cancel`, the Cancel button) or schedule (`unschedule`) takes more than the
 *   command's rule: only the asker or the schedule's creator, or one of the policy's `admins`, may do it
 *   (`checkOwnership`). Admins get no other power: every command's rule still applies to them.
 */
import type { AccessPolicy, AccessRule } from '../config';

export interface AccessRequest {
  /** Subcommand name as in the catalog, e.g. `root`. */
  command: string;
  userId: string;
  channelId: string;
}

export type AccessDecision = { allowed: true } | { allowed: false; reason: string };

/** Everyone, everywhere: the terminal's policy when TRAIL_ACCESS_POLICY is not set, and what `open` stands for. */
export const OPEN_POLICY: AccessPolicy = { default: {}, commands: {} };

export interface OwnershipRequest {
  /** `cancel` or `unschedule`: what the person is trying to do, for the message. */
  command: string;
  /** Who is asking. */
  userId: string;
  /** Who asked the question or created the schedule. */
  ownerId: string;
  /** `question` or `schedule`. */
  what: string;
}

/** Mentions listed in a denial before "and N more", to keep the ephemeral message short. */
const MAX_LISTED = 10;

export function checkAccess(policy: AccessPolicy, req: AccessRequest): AccessDecision {
  const rule = ruleFor(policy, req.command);
  const channels = rule.channels ?? [];
  const users = rule.users ?? [];
  const channelOk = channels.length === 0 || channels.includes(req.channelId);
  const userOk = users.length === 0 || users.includes(req.userId);
  if (channelOk && userOk) return { allowed: true };

  const parts: string[] = [];
  if (!userOk) parts.push(`be run by ${listOf(users.map((u) => `<@${u}>`))}`);
  if (!channelOk) parts.push(`run in ${listOf(channels.map((c) => `<#${c}>`))}`);
  return { allowed: false, reason: `\`${req.command}\` may only ${parts.join(', and only ')}.` };
}

/**
 * May this person stop something another person started? The owner always may (if the command's rule lets them run
 * it at all, which `checkAccess` decides first); anyone else only when the policy lists them in `admins`.
 */
export function checkOwnership(policy: AccessPolicy, req: OwnershipRequest): AccessDecision {
  const admins = policy.admins ?? [];
  if (req.userId === req.ownerId || admins.includes(req.userId)) return { allowed: true };
  const others = admins.length > 0 ? ` or a trailbot admin (${listOf(admins.map((u) => `<@${u}>`))})` : '';
  return {
    allowed: false,
    reason: `Only <@${req.ownerId}>, who ${req.what === 'question' ? 'asked that question' : `set up that ${req.what}`},${others} may ${req.command === 'unschedule' || req.command === 'unwatch' ? 'stop' : 'cancel'} it.`,
  };
}

/** The rule that applies to a command: its own when it has one, else the default. */
export function ruleFor(policy: AccessPolicy, command: string): AccessRule {
  const name = command.toLowerCase();
  // Object.hasOwn: a command called `constructor` or `__proto__` must not pick up Object.prototype members.
  return Object.hasOwn(policy.commands, name) ? policy.commands[name]! : policy.default;
}

function listOf(mentions: string[]): string {
  const shown = mentions.slice(0, MAX_LISTED);
  const more = mentions.length - shown.length;
  const head = shown.length > 1 ? `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}` : shown[0]!;
  return more > 0 ? `${shown.join(', ')} or ${more} more` : head;
}

/**
 * Problems with rules for commands that do not exist. Config cannot check this (it does not know the catalog), and a
 * typo such as `rooot` would silently leave the real `root` under the default rule, so the entry point calls this
 * with the catalog's names at start-up.
 */
export function unknownPolicyCommands(policy: AccessPolicy, knownCommands: readonly string[]): string[] {
  const known = new Set(knownCommands.map((c) => c.toLowerCase()));
  return Object.keys(policy.commands)
    .filter((name) => !known.has(name.toLowerCase()))
    .map(
      (name) =>
        `TRAIL_ACCESS_POLICY: commands.${name} is not a trailbot command; use one of ${[...known].sort().join(', ')}`,
    );
}
