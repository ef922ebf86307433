import { queryOf, usageMessage } from '../helpers/commands';

describe.each([
  ['errors', 'error_summary'],
  ['users', 'top_users'],
])('%s', (name, template) => {
  test('renders with the default top 10 over 7 days (snapshot)', () => {
    const r = queryOf(name);
    expect(r.query.template).toBe(template);
    expect(r.normalized).toBe(`${name} top 10 7d`);
    expect(r.query.sql).toMatchSnapshot();
    expect(r.query.params.at(-1)).toEqual({ type: 'bigint', value: 10 });
  });

  test('`top N` and a bare number set the rank bound, which is a WHERE parameter', () => {
    expect(queryOf(`${name} top 5 24h`).query.params.at(-1)).toEqual({ type: 'bigint', value: 5 });
    expect(queryOf(`${name} 20`).query.params.at(-1)).toEqual({ type: 'bigint', value: 20 });
    expect(queryOf(name).query.sql).toMatch(/WHERE position <= \?\nORDER BY position$/);
  });

  test('out-of-range and malformed N are named', () => {
    expect(usageMessage(`${name} top 500`)).toBe(
      `\`${name}\`: top N \`500\` is above 100. Accepted: a whole number from 1 to 100.`,
    );
    expect(usageMessage(`${name} top 0`)).toBe(
      `\`${name}\`: top N \`0\` is below 1. Accepted: a whole number from 1 to 100.`,
    );
    expect(usageMessage(`${name} top`)).toBe(`\`${name}\`: \`top\` needs a number.`);
    expect(usageMessage(`${name} top x`)).toBe(
      `\`${name}\`: top N \`x\` is not a number. Accepted: a whole number from 1 to 100.`,
    );
    expect(usageMessage(`${name} everything`)).toBe(`\`${name}\`: unexpected argument \`everything\`.`);
  });
});
