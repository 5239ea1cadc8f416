'use strict';
/**
 * Child process: baseline for the REST list read. A bare Express 5 app with one route,
 * GET /api/workspaces/, answering res.json() of the list Chronicle answered (read from argv[3]) from
 * memory: no middleware, no auth, no store. Serialises per request, as Chronicle does.
 * IPC as chronicle-server.js: {ready, url, pid} out; stop, profile-start, profile-stop in.
 */
const fs = require('node:fs');
const { childMain } = require('../lib/common.js');

childMain(async () => {
  const express = require('express');
  const items = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  const app = express();
  app.get('/api/workspaces/', (_req, res) => {
    res.json(items);
  });
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  require('../lib/profiler.js').install(); // profile-start / profile-stop, for --diagnose
  process.on('message', (m) => {
    if (m.cmd === 'stop') {
      server.closeAllConnections();
      server.close(() => process.send({ stopped: true }, () => process.exit(0)));
    }
  });
  process.send({ ready: true, url: `http://127.0.0.1:${server.address().port}`, pid: process.pid });
});
