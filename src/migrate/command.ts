import path from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { openEventStoreAt } from '../app.js';
import { loadConfig } from '../config.js';
import { assertServerStopped } from '../server-lock.js';
import { copyEventLog } from './copy-event-log.js';

export interface MigrateOptions {
  to: string;
  batchSize: string;
}

/**
 * `chronicle migrate --to <url>`: copies the configured event log into the store at `url`. Run again
 * after an interruption, it goes on where the target stopped. Ctrl-C stops after the batch in hand.
 */
export async function migrateCommand(options: MigrateOptions): Promise<void> {
  const config = loadConfig();
  const batchSize = Number(options.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch-size must be a positive integer, not ${options.batchSize}`);
  const from = config.esdbUrl ?? `sqlite:${config.sqlitePath}`;
  if (options.to === from || (options.to.startsWith('sqlite:') && path.resolve(options.to.slice(7)) === config.sqlitePath && !config.esdbUrl)) {
    throw new Error('The target is the configured event store itself.');
  }
  // Events appended after the copy passed them would be left behind: the embedded log must be at rest.
  if (!config.esdbUrl) assertServerStopped(config.dataDir);

  const source = openEventStoreAt(from, config);
  const target = openEventStoreAt(options.to, config);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const bar = new SingleBar({ format: 'migrate [{bar}] {percentage}% | {events} events | position {value}/{total} | {eta_formatted} left' }, Presets.shades_classic);
  const started = Date.now();
  try {
    bar.start(Math.max(1, await source.headPosition()), 0, { events: 0 });
    const result = await copyEventLog(source, target, {
      batchSize,
      signal: abort.signal,
      onProgress: ({ events, position, head }) => {
        bar.setTotal(Math.max(1, head));
        bar.update(position, { events });
      },
    });
    bar.stop();
    const seconds = (Date.now() - started) / 1000;
    const resumed = result.resumedAfter > 0 ? ` after the ${result.resumedAfter} events an earlier run copied` : '';
    if (abort.signal.aborted) {
      console.log(`Stopped after copying ${result.copied} events${resumed}; run the same command again to go on.`);
      process.exitCode = 130;
    } else {
      console.log(`Copied ${result.copied} events${resumed} in ${seconds.toFixed(1)} s, up to source position ${result.position}. Run chronicle replay against the new stores next.`);
    }
  } finally {
    bar.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await target.close();
    await source.close();
  }
}
