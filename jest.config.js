/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
    // dt-sql-parser (the Trino grammar check in test/sql) and its antlr4-c3 ship ES modules only.
    '/node_modules/(dt-sql-parser|antlr4-c3)/.+\\.m?js$': [
      '@swc/jest',
      { jsc: { target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(dt-sql-parser|antlr4-c3)/)'],
  roots: ['<rootDir>/test', '<rootDir>/infra/test'],
  testMatch: ['**/*.test.ts'],
  // Integration tests start dynalite, DuckDB and local HTTP servers; give them room on a shared 2-core machine.
  testTimeout: 60000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/reporters/summary-reporter.js'],
};
