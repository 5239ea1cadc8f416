'use strict';
/**
 * The projections `chronicle replay` rebuilds over the embedded SQLite event store, as dist/ has them:
 * `projectionsFor('event-store')` where dist has it (event logs are answered from the events table,
 * no event_logs archive), else ALL_PROJECTIONS (older builds, for A/B runs).
 * BENCH_ALL_PROJECTIONS=1 takes every projection (the event_logs archive too), as EventStoreDB runs them.
 */
const { dist } = require('../lib/common.js');

function shippedProjections() {
  const all = dist('projections/all.js');
  if (process.env.BENCH_ALL_PROJECTIONS === '1' || typeof all.projectionsFor !== 'function') return all.ALL_PROJECTIONS;
  return all.projectionsFor('event-store');
}

/** Whether dist serves event logs from the SQLite events table (then the bench checks them there). */
function eventLogsFromEventStore() {
  try {
    return typeof dist('infra/eventstore/sqlite-event-logs.js').SqliteEventLogReader === 'function';
  } catch {
    return false;
  }
}

module.exports = { shippedProjections, eventLogsFromEventStore };
