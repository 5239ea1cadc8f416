#!/usr/bin/env node
// `npx chronicle ...` right after `npm install`: compile on first use if the build is missing.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const root = join(__dirname, '..');
if (!existsSync(join(root, 'dist', 'cli.js'))) {
  require('node:child_process').execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
require('../dist/cli.js');
