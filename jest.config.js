/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  roots: ['<rootDir>/test', '<rootDir>/infra/test'],
  testMatch: ['**/*.test.ts'],
  // Integration tests start dynalite, DuckDB and local HTTP servers; give them room on a shared 2-core machine.
  testTimeout: 60000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/reporters/summary-reporter.js'],
};
