/**
 * What a person typed, from what Slack delivered: the text of `/trail` and of an `@trailbot` mention. The catalog's
 * parser then sees the same text either way.
 */

/**
 * The command text as the user typed it. Slack escapes `&`, `<` and `>` in slash-command text as it does in messages
 * (https://docs.slack.dev/messaging/formatting-message-text#escaping) and may wrap what looks like a URL or e-mail
 * address as `<url|label>`; both are undone here so the catalog parses what was typed. Entities are decoded with
 * `&amp;` last so `&amp;lt;` stays `&lt;`.
 */
export function slashCommandText(raw: string): string {
  return raw
    .replace(/<((?:https?|mailto):[^|>]*)(?:\|([^>]*))?>/g, (_m, url: string, label?: string) => label ?? url)
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&')
    .trim();
}

/**
 * The command text of a mention: every mention of the bot removed (`<@U0BOT>` or `<@U0BOT|trailbot>`), then the same
 * unescaping as slash-command text (`&lt;` → `<`, `<https://…|label>` → what was typed). Without the bot's id (auth.test
 * not answered yet) the leading mention is the one taken off, since Slack puts the mention where it was typed.
 */
export function mentionText(raw: string, botUserId?: string): string {
  const withoutBot =
    botUserId !== undefined && botUserId !== ''
      ? raw.replace(new RegExp(`<@${escapeRegExp(botUserId)}(?:\\|[^>]*)?>`, 'g'), '')
      : raw.replace(/^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>/, ' ');
  return slashCommandText(withoutBot.replace(/^\s*\/?trail\s+/i, ' '));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
