#!/usr/bin/env node
// The `trail` command (npx trail …): loads the TypeScript CLI through tsx, so no build step is needed.
require('tsx/cjs');
require('../src/util/quiet-warnings.ts').quietKnownWarnings();
const { runCli } = require('../src/cli.ts');

runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env }).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
