import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { Command } from 'commander';
import { auditCommands } from './audit/cli-commands.js';
import { openEventStoreAt, openSealingCopy, openStores } from './stores.js';
import { loadConfig } from './config.js';
import { assertOtherStore, migrateWithProgress, parseBatchSize } from './migrate/command.js';
import { eraseLegacyCommand } from './migrate/erase-legacy-command.js';
import { rebuildReadModels } from './projections/replay.js';
import { SNAPSHOT_COLLECTIONS } from './projections/time-travel/reads.js';
import { type SubscriberStatus, subscribersStatus } from './projections/status.js';
import { assertServerStopped } from './server-lock.js';

const program = new Command('chronicle').description('Chronicle operations');

program
  .command('replay')
  .description('Rebuild every read model from the event log, then switch over to the rebuilt ones')
  .action(async () => {
    const config = loadConfig();
    if (!config.mongodbUrl) assertServerStopped(config.dataDir);
    const { store, keys, db, pubsub, projections } = await openStores(config);
    const bar = new SingleBar(
      { format: 'replay [{bar}] {percentage}% | position {value}/{total} | {eta_formatted} left' },
      Presets.shades_classic,
    );
    const started = Date.now();
    bar.start(Math.max(1, await store.headPosition()), 0);
    const { events, position } = await rebuildReadModels(
      store,
      db,
      projections,
      (p, head) => {
        bar.setTotal(head);
        bar.update(p);
      },
      { every: config.snapshotEvery, collections: SNAPSHOT_COLLECTIONS },
    );
    bar.stop();
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `Replayed ${events} events up to position ${position} in ${seconds.toFixed(1)} s (${Math.round(events / Math.max(seconds, 0.001))} events/s).`,
    );
    await pubsub.close();
    await db.close();
    await store.close();
    await keys.close();
  });

const projections = program
  .command('projections')
  .description('The read models and the reactors that follow the event log');

projections
  .command('status')
  .description(
    "Each projection's and reactor's checkpoint, lag (events behind the log) and last error; safe while the server runs",
  )
  .option('--json', 'print JSON instead of a table')
  .action(async (options: { json?: boolean }) => {
    const { store, keys, db, pubsub, projections: all } = await openStores(loadConfig());
    try {
      const rows = await subscribersStatus(store, db, all);
      if (options.json) console.log(JSON.stringify(rows, null, 2));
      else printTable(rows);
      if (rows.some((r) => r.lastError !== null)) process.exitCode = 2; // the read side is stuck: scripts can tell
    } finally {
      await pubsub.close();
      await db.close();
      await store.close();
      await keys.close();
    }
  });

auditCommands(program, async () => {
  const { store, keys, db, pubsub } = await openStores(loadConfig());
  return {
    store,
    close: async () => {
      await pubsub.close();
      await db.close();
      await store.close();
      await keys.close();
    },
  };
});

function printTable(rows: SubscriberStatus[]): void {
  const cells = rows.map((r) => [
    r.name,
    String(r.checkpoint),
    r.lag === null ? '?' : String(r.lag),
    String(r.failures),
    r.lastError ?? '-',
  ]);
  const header = ['NAME', 'CHECKPOINT', 'LAG', 'FAILURES', 'LAST ERROR'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  for (const line of [header, ...cells])
    console.log(line.map((c, i) => (i === line.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

program
  .command('migrate')
  .description(
    'Copy the whole event log into another, empty event store (resumable), e.g. --to esdb://host:2113?tls=false or --to sqlite:/path/events.sqlite',
  )
  .requiredOption('--to <url>', 'the target event store: esdb://... or sqlite:<path>')
  .option('--batch-size <n>', 'events read from the source per batch', '200')
  .action(async (options: { to: string; batchSize: string }) => {
    const config = loadConfig();
    const batchSize = parseBatchSize(options.batchSize);
    const from = config.esdbUrl ?? `sqlite:${config.sqlitePath}`;
    assertOtherStore(options.to, from);
    // Events appended after the copy passed them would be left behind: the embedded log must be at rest.
    if (!config.esdbUrl) assertServerStopped(config.dataDir);
    const source = await openEventStoreAt(from, config);
    const target = await openEventStoreAt(options.to, config);
    try {
      await migrateWithProgress(source, target, batchSize);
    } finally {
      await target.close();
      await source.close();
    }
  });

eraseLegacyCommand(program, async (out) => {
  const config = loadConfig();
  assertServerStopped(config.dataDir); // events appended during the copy would be left out of it
  const outFile = path.resolve(
    out ??
      path.join(path.dirname(config.sqlitePath), `events.sealed-${new Date().toISOString().replace(/\W/g, '')}.sqlite`),
  );
  return { logFile: config.sqlitePath, outFile, copy: await openSealingCopy(config, outFile) };
});

program.parseAsync(process.argv).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
