#!/usr/bin/env node
// npm 11 on Linux leaves the other platforms' optional binaries (biome, duckdb, swc, …) out of package-lock.json,
// and `npm ci` then refuses the lock ("Missing: @biomejs/cli-darwin-arm64@ from lock file", npm/cli#4828, #8320).
// This adds the missing records from the registry's metadata (`npm view`), so the lock works for `npm ci` anywhere.
// Run after `npm install` changes the lock: `node scripts/lock-platforms.mjs`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;
let added = 0;

function registryInfo(name, range) {
  try {
    const out = execFileSync(
      'npm',
      ['view', `${name}@${range}`, '--json', 'version', 'dist', 'os', 'cpu', 'libc', 'license', 'engines'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const view = JSON.parse(out);
    return Array.isArray(view) ? view[view.length - 1] : view;
  } catch {
    return undefined;
  }
}

// Some platform builds are not on the registry this project installs from (e.g. @biomejs/cli-android-arm64).
// npm only needs their os/cpu to skip them on every other platform, so those are read from the package name.
function guessedPlatform(name, version) {
  const parts = name.split('/').pop().split('-');
  const osNames = ['android', 'darwin', 'linux', 'win32', 'freebsd', 'openbsd', 'sunos', 'aix', 'netbsd'];
  const cpus = ['arm64', 'x64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el', 'wasm32'];
  const os = parts.find((p) => osNames.includes(p));
  const cpu = parts.find((p) => cpus.includes(p));
  const entry = { version };
  if (os) entry.os = [os];
  if (cpu) entry.cpu = [cpu];
  if (parts.includes('musl')) entry.libc = ['musl'];
  return entry;
}
for (const [where, meta] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${where ? `${where}/` : ''}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    const info = registryInfo(name, range) ?? guessedPlatform(name, range);
    const entry = { version: info.version };
    if (info.dist?.integrity) entry.integrity = info.dist.integrity;
    for (const key of ['cpu', 'libc', 'license', 'os', 'engines']) if (info[key]) entry[key] = info[key];
    if (meta.dev) entry.dev = true;
    if (meta.devOptional) entry.devOptional = true;
    entry.optional = true;
    packages[hoisted] = Object.fromEntries(Object.entries(entry).sort(([a], [b]) => a.localeCompare(b)));
    added += 1;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} platform package records`);
