import { existsSync } from 'node:fs';
import { quietKnownWarnings } from '../../src/util/quiet-warnings';
import { csvViolations, slackViolations, terminalViolations, type Violation } from './checks';
import { REAL_LOGS, writeHostileDataset } from './events';

if (!existsSync(REAL_LOGS))
  console.log(
    `hostile data: ${REAL_LOGS} does not exist (a clone without shared/): builder shapes only, no real records`,
  );

import { type HostileDataReport, runHostileData } from './run';
import { FIXED_COUNT, FORGED, hostileValues } from './values';

quietKnownWarnings();

/**
 * The fast part of the hostile-data suite (issue 13, "Build"; the larger run is `npm run soak -- --parts hostile`):
 * every fixed hostile value in every attacker-settable field of every shape, every query command, every surface.
 */
describe('hostile data: nothing in a log can forge what people see', () => {
  describe('the instruments', () => {
    test('the generator is seeded and covers every kind, 10 KB strings included', () => {
      const values = hostileValues(FIXED_COUNT + 20, 5);
      expect(hostileValues(FIXED_COUNT + 20, 5)).toEqual(values);
      expect(new Set(values.map((v) => v.kind))).toEqual(
        new Set(['slack', 'mrkdwn', 'terminal', 'formula', 'invisible', 'newline', 'long', 'mixed']),
      );
      expect(values.filter((v) => v.value.length >= 10_240).length).toBeGreaterThanOrEqual(5);
      // A value never starts with the forged-line marker: only a line break inside a value can put it first on a line.
      expect(values.some((v) => v.value.trimStart().startsWith(FORGED))).toBe(false);
    });

    test('every value reaches every hostile field of every builder shape; anchors keep the events findable', () => {
      const values = hostileValues(FIXED_COUNT, 1);
      const d = writeHostileDataset(values, { now: new Date(), real: false });
      try {
        expect(d.events).toBe(d.shapes * values.length);
        expect(d.fields.has('userAgent')).toBe(true);
        expect(d.fields.has('userIdentity.userName')).toBe(true);
        expect(d.fields.has('errorMessage')).toBe(true);
        expect(d.fields.has('requestParameters.ipPermissions.items[].ipRanges.items[].description')).toBe(true);
        expect(d.fields.has('eventName')).toBe(false);
        expect(d.fields.has('sourceIPAddress')).toBe(false);
      } finally {
        d.remove();
      }
    });

    test('each check sees the failure it exists to count', () => {
      const rules = (vs: Violation[]) => vs.map((v) => v.rule);
      expect(rules(terminalViolations('ok\n\u001b[2J', 't'))).toEqual(['control character']);
      expect(rules(terminalViolations('\u009b2J', 't'))).toEqual(['control character']);
      expect(rules(terminalViolations('user\u202eexe', 't'))).toEqual(['bidi / zero-width character']);
      expect(rules(terminalViolations(`⚠ x by alice\n  ${FORGED} approved`, 't'))).toEqual(['a value started a line']);
      expect(terminalViolations(`  alice\\n${FORGED} approved  2026-11-30`, 't')).toEqual([]);
      expect(rules(csvViolations([['a', ' =1+1']], 'c'))).toEqual(['cell starts a formula']);
      expect(rules(csvViolations([['＠SUM(1)']], 'c'))).toEqual(['cell starts a formula']);
      expect(csvViolations([["'=1+1", '-3', '+1.5e3']], 'c')).toEqual([]);
      const allowedTokens = new Set(['@U0ASKER']);
      const section = (text: string, extra = {}) => ({
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text, ...extra } }],
      });
      expect(rules(slackViolations(section('by <!channel>'), 's', { allowedTokens }))).toEqual([
        'live Slack control token',
      ]);
      expect(rules(slackViolations(section('<https://evil.example|x>'), 's', { allowedTokens }))).toContain(
        'live Slack control token',
      );
      expect(slackViolations(section('asked by <@U0ASKER>: `&lt;!channel&gt;`'), 's', { allowedTokens })).toEqual([]);
      expect(rules(slackViolations(section('by *APPROVED by security*'), 's', { allowedTokens }))).toEqual([
        'data outside code in mrkdwn',
      ]);
      expect(slackViolations(section('by `*APPROVED by security*`'), 's', { allowedTokens })).toEqual([]);
      expect(rules(slackViolations(section(`by \`alice\`\n${FORGED}\``), 's', { allowedTokens }))).toContain(
        'a value started a line',
      );
      expect(rules(slackViolations({ text: 'x\u200by' }, 's', { allowedTokens }))).toEqual([
        'bidi / zero-width character',
      ]);
      expect(rules(slackViolations(section('x'.repeat(3001)), 's', { allowedTokens }))).toEqual(['Block Kit limit']);
    });
  });

  describe('every query command on every surface', () => {
    let report: HostileDataReport;
    beforeAll(async () => {
      report = await runHostileData({ values: FIXED_COUNT, seed: 1 });
      const summary = Object.entries(report.counts)
        .map(([k, n]) => `${k}: ${n}`)
        .join('; ');
      console.log(
        `hostile data: ${report.values} values × ${report.fields} fields (${report.events} events, ${report.realRecords} real) × ${report.commands} commands × ${report.surfaces.length} surfaces; renders ${JSON.stringify(report.renders)}; violations ${report.violations.length}${summary ? ` (${summary})` : ''}`,
      );
    }, 120_000);

    const on = (surface: string) => () =>
      expect(
        report.violations.filter((v) => v.surface === surface).map((v) => `${v.rule} · ${v.where} · ${v.example}`),
      ).toEqual([]);

    test('every command answered with rows on every surface', () => {
      expect(Object.keys(report.rows)).toHaveLength(report.commands);
      for (const [command, n] of Object.entries(report.rows))
        expect({ command, rows: n > 0 }).toEqual({ command, rows: true });
      expect(report.renders.terminal).toBeGreaterThan(report.commands);
      expect(report.renders.slack).toBeGreaterThan(report.commands);
      // Hostile data visibly arrived on each surface, so a clean result means the surface handled it.
      expect(report.reached.terminal).toBeGreaterThan(report.commands);
      expect(report.reached.slack).toBeGreaterThan(report.commands);
      expect(report.reached.csv).toBeGreaterThan(report.commands);
    });
    test('CSV: no cell starts a formula (the --csv file and every upload)', on('csv'));
    test('terminal: no control, bidi or zero-width character; no line started by a value', on('terminal'));
    test('Slack: no live token, data only as code, no forged line, within Block Kit limits', on('slack'));
  });
});
