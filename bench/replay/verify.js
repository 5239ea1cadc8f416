'use strict';
/**
 * Checks rebuilt read models from disk, through a fresh store as a restarted server would load
 * them (SqliteReadStore on <dir>/readmodels.sqlite):
 * - `users` holds exactly one doc per generated user with the final daily_message_limit, the right
 *   username/role, and `_pos` at the position of the user's last event;
 * - the projections checkpoint is at the head of the log; no `__rebuild` collection is left;
 * - when the event_logs projection took part: exactly one entry per event, ids 1..N, under the
 *   names the API uses, no password hash. Those are streamed from the table rather than
 *   loaded into the store (a million documents);
 * - when event logs are answered from the events table instead (dist's SqliteEventLogReader, the shipped
 *   embedded configuration): the newest page and the count through that reader, as the API
 *   reads them, and a filtered page (`event=user_created`) with its count.
 */
const path = require('node:path');
const Database = require('better-sqlite3');
const { dist } = require('../lib/common.js');
const { expectedFinal } = require('./generate.js');
const { eventLogsFromEventStore } = require('./projections.js');

/** Raw event_logs documents as stored in the SQLite table. */
async function* eventLogDocs(dir, problems) {
  const db = new Database(path.join(dir, 'readmodels.sqlite'), { readonly: true });
  try {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'doc_event_logs'").get();
    if (!exists) {
      problems.push('table doc_event_logs is missing');
      return;
    }
    for (const row of db.prepare('SELECT doc FROM doc_event_logs').iterate()) yield JSON.parse(row.doc);
  } finally {
    db.close();
  }
}

async function verifyEventLogs(docs, total, users, problems) {
  const seen = new Uint8Array(total + 1);
  let count = 0;
  for await (const doc of docs) {
    count++;
    if (!(doc.id >= 1 && doc.id <= total) || seen[doc.id]) {
      if (problems.length < 10) problems.push(`event_logs: unexpected or duplicate id ${doc.id}`);
      continue;
    }
    seen[doc.id] = 1;
    // Registrations hold positions 1..users, updates the rest.
    const [type, name] = doc.id <= users ? ['UserRegistered', 'user_created'] : ['UserUpdated', 'user_updated'];
    if ((doc.type !== type || doc.event !== name) && problems.length < 10)
      problems.push(`event_logs ${doc.id}: ${doc.type}/${doc.event}, expected ${type}/${name}`);
    if (doc.metadata && 'password_hash' in doc.metadata && problems.length < 10)
      problems.push(`event_logs ${doc.id}: holds a password hash`);
  }
  if (count !== total) problems.push(`event_logs has ${count} entries, expected ${total}`);
  return count;
}

/** Event logs through dist's reader over the events table: one page newest first, a filtered page, and their counts. */
async function verifyEventLogsFromTable(eventsFile, total, users, problems) {
  const { SqliteEventStore } = dist('infra/eventstore/sqlite.js');
  const { SqliteEventLogReader } = dist('infra/eventstore/sqlite-event-logs.js');
  const store = SqliteEventStore.open(eventsFile);
  try {
    const reader = SqliteEventLogReader.over(store);
    const page = await reader.list({}, { limit: 100 });
    if (page.count !== total) problems.push(`event logs count ${page.count}, expected ${total}`);
    page.results.forEach((e, i) => {
      const id = total - i;
      const [type, name] = id <= users ? ['UserRegistered', 'user_created'] : ['UserUpdated', 'user_updated'];
      if ((e.id !== id || e.type !== type || e.event !== name || e.user_id !== 1) && problems.length < 10) {
        problems.push(
          `event log ${i}: ${e.id} ${e.type}/${e.event} user ${e.user_id}, expected ${id} ${type}/${name} user 1`,
        );
      }
      if ('password_hash' in e.metadata && problems.length < 10)
        problems.push(`event log ${e.id}: holds a password hash`);
    });
    if (page.results.length !== Math.min(100, total))
      problems.push(`event logs page has ${page.results.length} entries`);
    const created = await reader.list({ event: 'user_created' }, { limit: 10, skip: 5 });
    if (created.count !== users) problems.push(`event=user_created counts ${created.count}, expected ${users}`);
    const ids = created.results.map((e) => e.id).join(',');
    const want = Array.from({ length: 10 }, (_, i) => users - 5 - i).join(',');
    if (ids !== want) problems.push(`event=user_created page 2: ids ${ids}, expected ${want}`);
    const one = await reader.find(users + 1);
    if (!one || one.event !== 'user_updated') problems.push(`find(${users + 1}) answered ${JSON.stringify(one)}`);
    return page.count;
  } finally {
    await store.close();
  }
}

async function openStore(dir) {
  return dist('infra/readstore/sqlite.js').SqliteReadStore.open(path.join(dir, 'readmodels.sqlite'));
}

async function verifyReadModels(dir, { users, updates }, { eventLogs = false, eventsFile = null } = {}) {
  const { CHECKPOINTS, PROJECTIONS_CHECKPOINT } = dist('projections/shared/runner.js');
  const problems = [];
  const final = expectedFinal(users, updates);
  const db = await openStore(dir);
  let usersDocs;
  let checkpoint;
  try {
    const docs = await db.collection('users').find({});
    usersDocs = docs.length;
    if (docs.length !== users) problems.push(`users has ${docs.length} docs, expected ${users}`);
    const seen = new Set();
    for (const d of docs) {
      const u = d.id - 1;
      seen.add(d.id);
      // Position of the user's last event: registrations are 1..users, update k sits at users + k + 1.
      const rounds = Math.floor(updates / users) + (u < updates % users ? 1 : 0);
      const lastPos = rounds === 0 ? u + 1 : users + (rounds - 1) * users + u + 1;
      const want = {
        _id: String(d.id),
        username: `user${d.id}`,
        role: d.id === 1 ? 'admin' : 'default',
        daily_message_limit: final(u),
        _pos: lastPos,
        suspended: false,
        token_version: 0,
      };
      for (const [k, v] of Object.entries(want)) {
        if (d[k] !== v && problems.length < 10)
          problems.push(`user ${d.id}: ${k} = ${JSON.stringify(d[k])}, expected ${JSON.stringify(v)}`);
      }
    }
    if (seen.size !== docs.length) problems.push(`duplicate user ids: ${docs.length - seen.size}`);
    const cp = await db.collection(CHECKPOINTS).findOne({ _id: PROJECTIONS_CHECKPOINT });
    checkpoint = cp ? cp.position : null;
    if (checkpoint !== users + updates) problems.push(`checkpoint at ${checkpoint}, expected ${users + updates}`);
    const leftovers = (await db.listCollections()).filter((n) => n.endsWith('__rebuild'));
    if (leftovers.length) problems.push(`left-over collections: ${leftovers.join(', ')}`);
  } finally {
    await db.close();
  }
  const eventLogEntries = eventLogs
    ? await verifyEventLogs(eventLogDocs(dir, problems), users + updates, users, problems)
    : null;
  const fromTable = !eventLogs && eventsFile && eventLogsFromEventStore();
  const eventLogCount = fromTable ? await verifyEventLogsFromTable(eventsFile, users + updates, users, problems) : null;
  return {
    ok: problems.length === 0,
    store: 'sqlite',
    usersDocs,
    eventLogEntries,
    eventLogCount,
    checkpoint,
    problems,
  };
}

module.exports = { verifyReadModels };
