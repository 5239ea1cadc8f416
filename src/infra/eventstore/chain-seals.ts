/**
 * The hash chain of a log whose events cannot carry it (EventStoreDB): a writer cannot know the event
 * before its own in $all without a lock shared by every writer of the deployment, and a stored event
 * cannot be changed afterwards. So the chain is taken after the fact, in the log's own order, and kept
 * in seals: records of a stream of their own, each holding the links of the next run of events.
 *
 * The links are those of hash-chain.ts, over the same fields; only where they are kept differs. A seal
 * is appended at the exact revision after the last one, so two sealers never fork the chain: the
 * second one's append is refused, and it carries on from the first one's seal.
 */
import { GENESIS_HASH, type ChainedFields, chainHash } from './hash-chain.js';

/** An event of the log with what the chain covers, and where it is. */
export interface ChainEvent extends ChainedFields {
  position: number;
}

/** The links of a run of consecutive events of the log. */
export interface Seal {
  /** The position of the last event the seals before this one chain (0 before the first seal). */
  after: number;
  /** That event's hash (GENESIS_HASH before the first seal): the run chains from it. */
  previous: string;
  /** The sealed events' positions, increasing. */
  positions: number[];
  /** Each one's chain hash. */
  hashes: string[];
}

/** A seal and its revision in the stream of seals. */
export interface RevisedSeal {
  revision: number;
  seal: Seal;
}

/** The newest chained event. */
export interface ChainLink {
  position: number;
  hash: string;
}

/** Where a chain of seals ends: the link its next seal chains from. */
export function sealedHead(last: RevisedSeal | null): ChainLink {
  if (!last) return { position: 0, hash: GENESIS_HASH };
  const { positions, hashes } = last.seal;
  return { position: positions[positions.length - 1]!, hash: hashes[hashes.length - 1]! };
}

/** Seals events that follow `head` in the log, in their order. */
export class SealBuilder {
  private readonly positions: number[] = [];
  private readonly hashes: string[] = [];
  private previous: string;

  constructor(private readonly head: ChainLink) {
    this.previous = head.hash;
  }

  get size(): number {
    return this.positions.length;
  }

  add(event: ChainEvent): void {
    const last = this.positions[this.positions.length - 1] ?? this.head.position;
    if (event.position <= last) throw new Error(`Event at ${event.position} does not follow position ${last}`);
    this.previous = chainHash(this.previous, event);
    this.positions.push(event.position);
    this.hashes.push(this.previous);
  }

  seal(): Seal {
    return { after: this.head.position, previous: this.head.hash, positions: this.positions, hashes: this.hashes };
  }
}

const HASH = /^[0-9a-f]{64}$/;

/** A seal as read back, checked for shape: a seal that is not one is a broken chain, not a crash further on. */
export function parseSeal(data: unknown, revision: number): Seal {
  const fail = (why: string) => new Error(`The chain's seal at revision ${revision} is malformed: ${why}`);
  if (typeof data !== 'object' || data === null) throw fail('not an object');
  const { after, previous, positions, hashes } = data as Record<string, unknown>;
  if (!Number.isSafeInteger(after) || (after as number) < 0) throw fail('"after" is not a position');
  if (typeof previous !== 'string' || !HASH.test(previous)) throw fail('"previous" is not a hash');
  if (!Array.isArray(positions) || !Array.isArray(hashes) || positions.length !== hashes.length || !positions.length)
    throw fail('"positions" and "hashes" are not two lists of one length');
  let last = after as number;
  for (const position of positions) {
    if (!Number.isSafeInteger(position) || position <= last) throw fail('positions do not increase');
    last = position as number;
  }
  if (!hashes.every((h) => typeof h === 'string' && HASH.test(h))) throw fail('a hash is not 64 hex characters');
  return { after: after as number, previous, positions: positions as number[], hashes: hashes as string[] };
}

/** Where the seals are kept: a stream of their own, written only at exact revisions. */
export interface SealStream {
  /** The newest seal, or null before the first. */
  last(): Promise<RevisedSeal | null>;
  /** The seal at this revision, or null past the newest; throws when an earlier one is gone. */
  at(revision: number): Promise<Seal | null>;
  /** Appends the seal after `expected` (the newest seal's revision, or 'no_stream'); ConcurrencyError when another sealer got there first. */
  append(seal: Seal, expected: number | 'no_stream'): Promise<void>;
}

/** The log's events after a position, in order, without the seals: leaving the iteration early ends the read. */
export type ChainSource = (after: number) => AsyncIterable<ChainEvent>;
