/**
 * Reads a log whose chain is kept in seals (chain-seals.ts) as stored events with their hashes: each
 * event is given the hash its seal holds for its position, and nothing past the chain's head is answered
 * (it is not chained yet). The hashes are what was sealed, never recomputed here, so an edited event
 * shows as a hash that does not match, a removed one as a break at the event after it, and one that no
 * seal names as an event without a hash inside the chain: the verifier (src/audit) reports each.
 */
import type { ReadStoredOptions, StoredEvent } from './port.js';
import { type ChainLink, type ChainSource, type Seal, type SealStream, sealedHead } from './chain-seals.js';

/** A link of the chain as found in its seal. */
interface Cursor {
  revision: number;
  seal: Seal;
  index: number;
}

/** Seals kept read: a reader going through the log page by page finds its next page's seal here. */
const CACHED_SEALS = 8;

export class SealedLog {
  private readonly cache = new Map<number, Seal>();

  constructor(
    private readonly seals: SealStream,
    private readonly events: ChainSource,
  ) {}

  /** The newest chained event, or null before the first seal. */
  async head(): Promise<ChainLink | null> {
    const last = await this.seals.last();
    return last ? sealedHead(last) : null;
  }

  async readStored({ after = 0, maxCount, types }: ReadStoredOptions): Promise<StoredEvent[]> {
    const wanted = types ? new Set(types) : undefined;
    const out: StoredEvent[] = [];
    let link = await this.linkAfter(after);
    if (!link || maxCount <= 0) return out;
    for await (const event of this.events(after)) {
      // Links whose events are no longer in the log are passed over: the next event's hash chains through them.
      while (link && position(link) < event.position) link = await this.next(link);
      if (!link) break; // past the chain's head
      const sealed = position(link) === event.position;
      if (!wanted || wanted.has(event.type)) {
        const { id, stream, revision, type, data, metadata, time } = event;
        out.push({
          position: event.position,
          id,
          stream,
          revision,
          type,
          data,
          metadata,
          time,
          hash: sealed ? hash(link) : null,
        });
        if (out.length >= maxCount) break;
      }
      if (sealed) link = await this.next(link);
    }
    return out;
  }

  /** The first link past `after`, or null when the chain ends at or before it. */
  private async linkAfter(after: number): Promise<Cursor | null> {
    for (const [revision, seal] of this.cache) {
      if (seal.after <= after && after < lastPosition(seal)) return cursorAfter(revision, seal, after);
      if (after === lastPosition(seal)) return this.first(revision + 1);
    }
    const last = await this.seals.last();
    if (!last || lastPosition(last.seal) <= after) return null;
    // The first seal that ends past `after`: seals are in position order, so a binary search over revisions.
    let [low, high] = [0, last.revision];
    let found = last;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const seal = await this.sealAt(middle);
      if (!seal) throw new Error(`The chain's seal at revision ${middle} is missing`);
      if (lastPosition(seal) > after) [high, found] = [middle, { revision: middle, seal }];
      else low = middle + 1;
    }
    return cursorAfter(found.revision, found.seal, after);
  }

  private async next(link: Cursor): Promise<Cursor | null> {
    if (link.index + 1 < link.seal.positions.length) return { ...link, index: link.index + 1 };
    const next = await this.first(link.revision + 1);
    // Each seal names the link it chains from: a seal replaced or removed between two others shows here.
    if (next && (next.seal.after !== lastPosition(link.seal) || next.seal.previous !== hash(link)))
      throw new Error(`The chain's seal at revision ${next.revision} does not follow the one before it`);
    return next;
  }

  private async first(revision: number): Promise<Cursor | null> {
    const seal = await this.sealAt(revision);
    return seal ? { revision, seal, index: 0 } : null;
  }

  private async sealAt(revision: number): Promise<Seal | null> {
    const cached = this.cache.get(revision);
    if (cached) return cached;
    const seal = await this.seals.at(revision);
    if (!seal) return null; // not sealed yet: asked again next time
    if (this.cache.size >= CACHED_SEALS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(revision, seal);
    return seal;
  }
}

const position = (link: Cursor) => link.seal.positions[link.index]!;
const hash = (link: Cursor) => link.seal.hashes[link.index]!;
const lastPosition = (seal: Seal) => seal.positions[seal.positions.length - 1]!;

/** The cursor at the seal's first link past `after`. */
function cursorAfter(revision: number, seal: Seal, after: number): Cursor {
  const index = seal.positions.findIndex((p) => p > after);
  return { revision, seal, index };
}
