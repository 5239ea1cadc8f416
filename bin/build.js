'use strict';
/**
 * The compiled server in dist/ is built once (npm's `prepare` runs on `npm install` / `npm ci`);
 * `npm start` and `npx chronicle` rebuild only when dist/ is missing or older than a source file
 * (a checkout after install), so a start does not pay for the TypeScript compiler.
 */
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const SOURCES = ['src', 'tsconfig.json', 'tsconfig.build.json'];
/** Written after every successful build: dist/ is as new as this file. */
const STAMP = path.join(root, 'dist', '.built');

function newestSourceMtime(entry) {
  const stat = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file shows as its folder's change
  for (const name of fs.readdirSync(entry)) newest = Math.max(newest, newestSourceMtime(path.join(entry, name)));
  return newest;
}

function isStale() {
  const built = fs.statSync(STAMP, { throwIfNoEntry: false });
  if (!built) return true;
  return SOURCES.some((s) => newestSourceMtime(path.join(root, s)) > built.mtimeMs);
}

function build() {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

/** Builds unless dist/ is current; without sources (an image holding dist/ alone) there is nothing to build. */
function ensureBuilt() {
  if (!fs.existsSync(path.join(root, 'src'))) return;
  if (isStale()) build();
}

module.exports = { build, ensureBuilt };

if (require.main === module) {
  if (process.argv.includes('--if-stale')) ensureBuilt();
  else if (fs.existsSync(path.join(root, 'src'))) build();
}
