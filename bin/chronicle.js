#!/usr/bin/env node
// `npx chronicle ...`: builds only when dist/ is missing or older than the sources (see build.js).
require('./build.js').ensureBuilt();
require('../dist/cli.js');
