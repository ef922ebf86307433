#!/usr/bin/env node
// The `trail` command (npx trail …): runs the TypeScript entry point through tsx, so no build step is needed.
require('tsx/cjs');
require('../src/cli.ts');
