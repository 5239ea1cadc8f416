import path from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { openKeyStore } from '../app.js';
import { loadConfig } from '../config.js';
import { assertServerStopped } from '../server-lock.js';
import { eraseLegacy } from './erase-legacy.js';

const defaultOut = (sqlitePath: string) =>
  path.join(
    path.dirname(sqlitePath),
    `${path.basename(sqlitePath, '.sqlite')}.sealed-${new Date().toISOString().replace(/[-:.]/g, '')}.sqlite`,
  );

export function eraseLegacyCommand(program: Command): void {
  program
    .command('erase-legacy')
    .description(
      'Write a copy of the embedded event log with the personal data of events written before encryption sealed (or "[erased]"), into a new file; the original is left as it is',
    )
    .option('--out <file>', 'the new event log file (must not exist)')
    .action(async (options: { out?: string }) => {
      const config = loadConfig();
      if (config.esdbUrl) throw new Error('erase-legacy rewrites the embedded SQLite log; ESDB_URL is set');
      assertServerStopped(config.dataDir); // events appended during the copy would be left out of it
      const out = path.resolve(options.out ?? defaultOut(config.sqlitePath));
      const keys = await openKeyStore(config);
      const bar = new SingleBar(
        { format: 'erase-legacy [{bar}] {percentage}% | {events} events | {eta_formatted} left' },
        Presets.shades_classic,
      );
      bar.start(1, 0, { events: 0 });
      try {
        const result = await eraseLegacy(config.sqlitePath, out, keys, ({ events, position, head }) => {
          bar.setTotal(Math.max(1, head));
          bar.update(position, { events });
        });
        bar.stop();
        console.log(
          [
            `Wrote ${result.events} events to ${out}:`,
            `  ${result.sealed} plaintext personal values sealed under their subject's key,`,
            `  ${result.erased} written as "[erased]" (their subject was erased),`,
            `  ${result.renamedStreams} username/email reservation streams renamed to their digest.`,
            `The copy verifies: head position ${result.headPosition}, hash ${result.headHash}.`,
            `${config.sqlitePath} is unchanged. With the server stopped, move the new file into its place`,
            '(or point SQLITE_PATH at it), run `chronicle replay`, then destroy the original.',
          ].join('\n'),
        );
      } finally {
        bar.stop();
        await keys.close();
      }
    });
}
