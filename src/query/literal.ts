import type { SqlParam } from '../core/query';

/**
 * Renders one parameter as a Trino SQL literal, the form Athena's ExecutionParameters take: "the values are applied
 * sequentially to the parameters in the query" and string values "must be wrapped in single quotes"
 * (docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html). This is the only place in trailbot
 * that quotes a value.
 */
export function sqlLiteral(param: SqlParam): string {
  switch (param.type) {
    case 'varchar':
      // Trino string literals: single quotes, an embedded quote doubled. Backslash has no special meaning.
      // NUL cannot be represented in a literal and never comes out of the parsers; refuse it rather than truncate.
      if (param.value.includes('\u0000')) throw new RangeError('a SQL string literal cannot contain NUL');
      return `'${param.value.replaceAll("'", "''")}'`;
    case 'bigint':
      if (!Number.isSafeInteger(param.value)) throw new RangeError(`not a safe integer: ${param.value}`);
      return String(param.value);
    case 'boolean':
      return param.value ? 'true' : 'false';
  }
}
