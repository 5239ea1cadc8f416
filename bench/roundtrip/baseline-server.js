'use strict';
/**
 * Child process: the round-trip baseline. A bare Express 5 app that, for the same request shape as
 * Chronicle's PATCH /api/users/{id}/, parses the JSON body and does ONE better-sqlite3 INSERT
 * (WAL, synchronous=NORMAL, prepared once), then answers a small JSON document. No auth, no
 * projection: the floor of "HTTP + JSON + one durable-ish SQLite write" on this machine.
 * argv[2] = directory for the SQLite file. Same IPC protocol as chronicle-server.js.
 */
const path = require('node:path');
const { childMain } = require('../lib/common.js');

childMain(async () => {
  const express = require('express');
  const Database = require('better-sqlite3');
  const db = new Database(path.join(process.argv[2], 'baseline.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS updates (
    position INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, data TEXT NOT NULL, created_at TEXT NOT NULL)`);
  const insert = db.prepare('INSERT INTO updates (user_id, data, created_at) VALUES (?, ?, ?)');

  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.patch('/api/users/:id/', (req, res) => {
    const id = Number(req.params.id);
    const createdAt = new Date().toISOString();
    const info = insert.run(id, JSON.stringify(req.body), createdAt);
    res.json({ id, daily_message_limit: req.body.daily_message_limit ?? null, position: Number(info.lastInsertRowid), updated_at: createdAt });
  });
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });

  process.on('message', (m) => {
    if (m.cmd === 'stats') process.send({ stats: { memory: process.memoryUsage(), cpu: process.cpuUsage(), stages: {} } });
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
