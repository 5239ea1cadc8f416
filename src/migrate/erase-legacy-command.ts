import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { eraseLegacy, type SealingCopy } from './erase-legacy.js';

/** What the entry point opens for the command: the log's file, the new file, and the stores over them. */
export interface SealingCopyTarget {
  logFile: string;
  outFile: string;
  copy: SealingCopy;
}

export function eraseLegacyCommand(program: Command, open: (out?: string) => Promise<SealingCopyTarget>): void {
  program
    .command('erase-legacy')
    .description(
      'Write a copy of the embedded event log with the personal data of events written before encryption sealed (or "[erased]"), into a new file; the original is left as it is',
    )
    .option('--out <file>', 'the new event log file (must not exist)')
    .action(async (options: { out?: string }) => {
      const { logFile, outFile, copy } = await open(options.out);
      const bar = new SingleBar(
        { format: 'erase-legacy [{bar}] {percentage}% | {events} events | {eta_formatted} left' },
        Presets.shades_classic,
      );
      bar.start(1, 0, { events: 0 });
      try {
        const result = await eraseLegacy(copy, ({ events, position, head }) => {
          bar.setTotal(Math.max(1, head));
          bar.update(position, { events });
        });
        bar.stop();
        console.log(
          [
            `Wrote ${result.events} events to ${outFile}:`,
            `  ${result.sealed} plaintext personal values sealed under their subject's key,`,
            `  ${result.erased} written as "[erased]" (their subject was erased),`,
            `  ${result.renamedStreams} username/email reservation streams renamed to their digest.`,
            `The copy verifies: head position ${result.headPosition}, hash ${result.headHash}.`,
            `${logFile} is unchanged. With the server stopped, move the new file into its place`,
            '(or point SQLITE_PATH at it), delete readmodels.sqlite, run `chronicle replay`, then destroy the original.',
          ].join('\n'),
        );
      } finally {
        bar.stop();
        await copy.close();
      }
    });
}
