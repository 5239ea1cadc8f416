/**
 * Keeps a sealed chain (chain-seals.ts) current: reads the events past the newest seal, seals up to
 * SEAL_EVENTS of them at a time, and waits a moment when there are none. Any number of sealers may run:
 * each seal is appended at the exact revision after the newest, so a sealer that was beaten to it reads
 * the winner's seal and goes on from there; the chain never forks.
 */
import { type ChainSource, type RevisedSeal, SealBuilder, type SealStream, sealedHead } from './chain-seals.js';
import { type ChainKeeper, ConcurrencyError } from './port.js';
import { Sleeper } from '../sleeper.js';

/** Links per seal: about 80 bytes each as JSON, so a seal stays near 160 kB, far below an append's limit. */
export const SEAL_EVENTS = 2000;
const IDLE_MS = 250;
const MAX_BACKOFF_MS = 5000;
/** A conflict means another sealer got there first; this many in a row means something else is wrong. */
const STUCK_AFTER_CONFLICTS = 20;
const CONFLICT_PAUSE_MS = 50;

export class ChainSealer implements ChainKeeper {
  private stopped = false;
  private readonly sleeper = new Sleeper();
  private readonly done: Promise<void>;

  constructor(
    private readonly seals: SealStream,
    private readonly events: ChainSource,
    private readonly onError: (err: Error) => void,
    private readonly idleMs = IDLE_MS,
  ) {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    let last: RevisedSeal | null = null;
    let synced = false;
    let failures = 0;
    let conflicts = 0;
    while (!this.stopped) {
      try {
        if (!synced) [last, synced] = [await this.seals.last(), true];
        const next = await this.sealNext(last);
        failures = conflicts = 0;
        if (next) last = next;
        else if (!this.stopped) await this.sleeper.sleep(this.idleMs);
      } catch (err) {
        synced = false; // another sealer's seal, or an unknown outcome: read the newest again
        if (this.stopped) return;
        if (err instanceof ConcurrencyError && ++conflicts < STUCK_AFTER_CONFLICTS) {
          // Another sealer got there first: go on from its seal, after a pause (never a busy loop).
          await this.sleeper.sleep(Math.random() * CONFLICT_PAUSE_MS);
          continue;
        }
        conflicts = 0;
        failures += 1;
        this.onError(
          err instanceof ConcurrencyError
            ? new Error(
                `Seals keep being refused at the revision read (${STUCK_AFTER_CONFLICTS} times): ${err.message}`,
              )
            : err instanceof Error
              ? err
              : new Error(String(err)),
        );
        await this.sleeper.sleep(Math.min(100 * 2 ** failures, MAX_BACKOFF_MS));
      }
    }
  }

  /** Seals the next events after `last`; null when there are none. */
  private async sealNext(last: RevisedSeal | null): Promise<RevisedSeal | null> {
    const builder = new SealBuilder(sealedHead(last));
    for await (const event of this.events(sealedHead(last).position)) {
      builder.add(event);
      if (builder.size >= SEAL_EVENTS || this.stopped) break;
    }
    if (builder.size === 0 || this.stopped) return null;
    const seal = builder.seal();
    await this.seals.append(seal, last ? last.revision : 'no_stream');
    return { revision: last ? last.revision + 1 : 0, seal };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    await this.done;
  }
}
