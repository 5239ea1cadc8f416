'use strict';
/**
 * The round-trip baseline's app: a bare Express 5 app that, for the same request shape as Chronicle's
 * PATCH /api/users/{id}/, parses the JSON body and does ONE better-sqlite3 INSERT (WAL,
 * synchronous=NORMAL, prepared once), then answers a small JSON document. No auth, no projection: the
 * floor of "HTTP + JSON + one durable-ish SQLite write" on this machine. Used by baseline-server.js
 * (roundtrip.js) and roundtrip-ab.js.
 */
const path = require('node:path');

/** The app and its database, over `dir/baseline.sqlite`. */
function baselineApp(dir) {
  const express = require('express');
  const Database = require('better-sqlite3');
  const db = new Database(path.join(dir, 'baseline.sqlite'));
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
    res.json({
      id,
      daily_message_limit: req.body.daily_message_limit ?? null,
      position: Number(info.lastInsertRowid),
      updated_at: createdAt,
    });
  });
  return { app, db };
}

module.exports = { baselineApp };
