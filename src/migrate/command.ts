import path from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import type { EventStore } from '../infra/eventstore/port.js';
import { copyEventLog } from './copy-event-log.js';

/** `--batch-size` as a positive integer, or a clear refusal. */
export function parseBatchSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--batch-size must be a positive integer, not ${value}`);
  return n;
}

/** A copy onto itself would find every event already there: say so instead. */
export function assertOtherStore(to: string, from: string): void {
  const file = (url: string) =>
    url.startsWith('sqlite:') ? `sqlite:${path.resolve(url.slice('sqlite:'.length))}` : url;
  if (file(to) === file(from)) throw new Error(`The target ${to} is the configured event store itself.`);
}

/**
 * `chronicle migrate`: copies the source log into the target with a progress bar. Run again after an
 * interruption, it goes on where the target stopped; Ctrl-C (or SIGTERM) stops after the batch in hand.
 */
export async function migrateWithProgress(source: EventStore, target: EventStore, batchSize: number): Promise<void> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const bar = new SingleBar(
    { format: 'migrate [{bar}] {percentage}% | {events} events | position {value}/{total} | {eta_formatted} left' },
    Presets.shades_classic,
  );
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
      console.log(
        `Copied ${result.copied} events${resumed} in ${seconds.toFixed(1)} s, up to source position ${result.position}. Run chronicle replay against the new stores next.`,
      );
    }
  } finally {
    bar.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
