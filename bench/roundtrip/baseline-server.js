'use strict';
/**
 * Child process: the round-trip baseline (baseline-app.js) on an ephemeral port.
 * argv[2] = directory for the SQLite file. Same IPC protocol as chronicle-server.js.
 */
const { childMain } = require('../lib/common.js');
const { baselineApp } = require('./baseline-app.js');

childMain(async () => {
  const { app, db } = baselineApp(process.argv[2]);
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });

  process.on('message', (m) => {
    if (m.cmd === 'stats')
      process.send({ stats: { memory: process.memoryUsage(), cpu: process.cpuUsage(), stages: {} } });
    else if (m.cmd === 'reset') process.send({ reset: true });
    else if (m.cmd === 'stop') {
      server.closeAllConnections();
      server.close(() => {
        db.close();
        process.send({ stopped: true }, () => process.exit(0));
      });
    }
  });
  process.send({ ready: true, url: `http://127.0.0.1:${server.address().port}`, pid: process.pid });
});
