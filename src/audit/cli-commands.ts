/**
 * The auditor's commands: `verify` (the hash chain, over the log or an export file) and `events
 * export|tail`. The entry point (src/cli.ts) gives them a way to open the event store.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { EventStore } from '../infra/eventstore/port.js';
import type { ChainBreak } from './chain-verifier.js';
import {
  EXPORT_FORMATS,
  type ExportFilter,
  type ExportFormat,
  exportLine,
  exportLines,
  parseBound,
  storedEvents,
} from './event-export.js';
import { verifyExportFile } from './verify-file.js';
import { verifyLog } from './verify-log.js';

export interface OpenedEventStore {
  store: EventStore;
  close(): Promise<void>;
}

const HASH = /^[0-9a-f]{64}$/;
/** How often `events tail` looks for new events. */
const TAIL_POLL_MS = 200;

export function auditCommands(program: Command, open: () => Promise<OpenedEventStore>): void {
  program
    .command('verify')
    .description(
      "Check the event log's hash chain (or an NDJSON export's, with --file); exits non-zero at the first event that does not match",
    )
    .option('--file <file>', 'an NDJSON export to check instead of the log')
    .option(
      '--previous-hash <hash>',
      "with --file: the hash of the event before the file's first (for an export not from the start of the log)",
    )
    .action(async (options: { file?: string; previousHash?: string }) => {
      if (options.previousHash !== undefined && !HASH.test(options.previousHash))
        throw new Error('--previous-hash must be 64 hex characters');
      const bar = new SingleBar(
        { format: 'verify [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left', stream: process.stderr },
        Presets.shades_classic,
      );
      let verdict;
      let written = 0; // the log's newest event, which may not be chained yet (EventStoreDB)
      if (options.file) {
        bar.start(Math.max(1, fs.statSync(options.file).size), 0);
        verdict = await verifyExportFile(options.file, options.previousHash, (bytes) => bar.update(bytes));
      } else {
        const { store, close } = await open();
        try {
          bar.start(Math.max(1, await store.headPosition()), 0);
          verdict = await verifyLog(store, (position) => bar.update(position));
          written = await store.headPosition();
        } finally {
          await close();
        }
      }
      bar.stop();
      const { verifier } = verdict;
      if (!verdict.ok) return fail(verdict.failure, verifier.count);
      const unhashed =
        verifier.unhashed > 0 ? ` (${verifier.unhashed} written before the chain began carry no hash)` : '';
      const unchained =
        written > verifier.lastPosition
          ? `; events after position ${verifier.lastPosition} are not chained yet (the projector's chain sealer chains them)`
          : '';
      console.log(
        `OK: ${verifier.count} events${unhashed}; head position ${verifier.lastPosition}, hash ${verifier.headHash ?? 'none'}${unchained}`,
      );
    });

  const events = program.command('events').description('The event log as files, and live');

  events
    .command('export')
    .description('Write events as stored, with their chain hashes, one per line')
    .option('--from <bound>', 'first position, or ISO 8601 instant (inclusive)')
    .option('--to <bound>', 'last position, or ISO 8601 instant (inclusive)')
    .option('--type <type...>', 'only these event types')
    .option('--stream-prefix <prefix>', 'only streams whose name starts with this')
    .option('--format <format>', 'ndjson or csv', 'ndjson')
    .option('--out <file>', 'write here instead of standard output')
    .action(
      async (options: {
        from?: string;
        to?: string;
        type?: string[];
        streamPrefix?: string;
        format: string;
        out?: string;
      }) => {
        if (!EXPORT_FORMATS.includes(options.format as ExportFormat)) throw new Error('--format must be ndjson or csv');
        const filter: ExportFilter = { types: options.type, streamPrefix: options.streamPrefix };
        for (const key of ['from', 'to'] as const) {
          const raw = options[key];
          if (raw === undefined) continue;
          const bound = parseBound(raw);
          if (!bound) throw new Error(`--${key} must be a position or an ISO 8601 instant, got "${raw}"`);
          filter[key] = bound;
        }
        const { store, close } = await open();
        try {
          const out: Writable = options.out ? fs.createWriteStream(options.out) : process.stdout;
          await pipeline(Readable.from(exportLines(store, filter, options.format as ExportFormat)), out, {
            end: options.out !== undefined,
          });
        } finally {
          await close();
        }
      },
    );

  events
    .command('tail')
    .description('Print new events as NDJSON lines as they are appended, until interrupted')
    .option('--type <type...>', 'only these event types')
    .action(async (options: { type?: string[] }) => {
      const { store, close } = await open();
      const types = options.type ? new Set(options.type) : undefined;
      let stopping = false;
      let wake = () => {};
      void Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]).then(() => {
        stopping = true;
        wake();
      });
      // Polled as stored, with their hashes: on a store that chains events just after their append
      // (EventStoreDB) they appear once chained. Every event read moves the cursor, printed or not.
      let after = await store.headPosition();
      try {
        while (!stopping) {
          for await (const event of storedEvents(store, { from: { position: after + 1 } })) {
            after = event.position;
            if (types && !types.has(event.type)) continue;
            if (!process.stdout.write(exportLine(event, 'ndjson'))) await once(process.stdout, 'drain');
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, TAIL_POLL_MS);
          });
        }
      } finally {
        await close();
      }
    });
}

function fail(failure: ChainBreak, checked: number): void {
  console.error(`FAILED at position ${failure.position}: ${failure.reason} (${checked} events before it verified)`);
  process.exitCode = 1;
}
