import type { SqlParam } from '../../src/core/query';
import { countPlaceholders, renderTemplate, TemplateError } from '../../src/query/bind';

const v = (value: string): SqlParam => ({ type: 'varchar', value });

describe('renderTemplate', () => {
  test('markers become ? and parameters are collected in placeholder order', () => {
    const r = renderTemplate('SELECT 1 WHERE a = {{a}} AND b IN ({{b...}}) AND c = {{a}}', {
      a: v('x'),
      b: [v('y'), v('z')],
    });
    expect(r.sql).toBe('SELECT 1 WHERE a = ? AND b IN (?, ?) AND c = ?');
    expect(r.params.map((p) => p.value)).toEqual(['x', 'y', 'z', 'x']);
  });

  test('sections, inverted sections and each-with-separator', () => {
    const t = 'W {{#f}}F{{/f}}{{^f}}NF{{/f}} {{#l}}({{#each l " OR "}}c={{.}}{{/each}}){{/l}}';
    expect(renderTemplate(t, { f: true, l: [v('1'), v('2')] }).sql).toBe('W F (c=? OR c=?)');
    expect(renderTemplate(t, { f: false, l: [] }).sql).toBe('W NF');
  });

  test('partials are rendered with their comments removed', () => {
    const r = renderTemplate('A {{> p}} B', { x: v('1') }, () => '-- about {{> p}}\nX = {{x}}');
    expect(r.sql).toBe('A X = ? B');
  });

  test('a marker without a value, a missing close tag or a stray brace is an error', () => {
    expect(() => renderTemplate('{{nope}}', {})).toThrow(TemplateError);
    expect(() => renderTemplate('{{#f}}x', { f: true })).toThrow('missing {{/f}}');
    expect(() => renderTemplate('x }}', {})).toThrow('unbalanced');
    expect(() => renderTemplate('{{l...}}', { l: [] })).toThrow('non-empty list');
  });

  test('values never reach the SQL text', () => {
    const r = renderTemplate('WHERE a = {{a}}', { a: v("'; DROP TABLE x; --") });
    expect(r.sql).toBe('WHERE a = ?');
  });

  test('countPlaceholders ignores ? inside strings, identifiers and comments', () => {
    expect(countPlaceholders(`SELECT '?', "a?" FROM t -- ?\nWHERE x = ?`)).toBe(1);
  });
});
