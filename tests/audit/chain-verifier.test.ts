/** The chain check every verifier shares: given events in the order read, then the first that does not fit. */
import { ChainVerifier } from '../../src/audit/chain-verifier.js';
import { parseBound } from '../../src/audit/event-export.js';
import { GENESIS_HASH, type StoredEvent, chainHash } from '../../src/infra/eventstore/port.js';

/** A chained run of n events from `previous`, positions from `first`. */
function chain(n: number, first = 1, previous = GENESIS_HASH): StoredEvent[] {
  const events: StoredEvent[] = [];
  for (let i = 0; i < n; i++) {
    const e = {
      position: first + i,
      id: `e-${first + i}`,
      stream: `s-${i % 2}`,
      revision: i,
      type: 'T',
      data: `{"i":${i}}`,
      metadata: '{}',
      time: '2026-01-01T00:00:00.000Z',
    };
    previous = chainHash(previous, e);
    events.push({ ...e, hash: previous });
  }
  return events;
}

const run = (events: StoredEvent[], verifier = new ChainVerifier()) => {
  for (const e of events) {
    const failure = verifier.check(e);
    if (failure) return failure;
  }
  return null;
};

describe('ChainVerifier', () => {
  it('given an unbroken chain from genesis, then every event passes and the head is the last hash', () => {
    const events = chain(5);
    const verifier = new ChainVerifier();
    expect(run(events, verifier)).toBeNull();
    expect(verifier).toMatchObject({ count: 5, unhashed: 0, lastPosition: 5, headHash: events[4]!.hash });
  });

  it('given two events swapped, then it fails at the first out of place', () => {
    const events = chain(5);
    [events[2], events[3]] = [events[3]!, events[2]!];
    expect(run(events)).toMatchObject({ position: 4, reason: expect.stringContaining('does not match') });
  });

  it('given a position that goes back, then it fails as out of order', () => {
    const events = chain(5);
    events[3] = { ...events[3]!, position: 2 };
    expect(run(events)).toMatchObject({ position: 2, reason: expect.stringContaining('out of order') });
  });

  it('given an event removed, then it fails at the one after the gap', () => {
    const events = chain(5);
    events.splice(2, 1);
    expect(run(events)).toMatchObject({ position: 4, reason: expect.stringContaining('does not match') });
  });

  it('given unhashed events before the chain, then they pass as unhashed; after it began, one without a hash fails', () => {
    const legacy = [1, 2].map((position) => ({ ...chain(1, position)[0]!, hash: null }));
    const verifier = new ChainVerifier();
    expect(run([...legacy, ...chain(3, 3)], verifier)).toBeNull();
    expect(verifier).toMatchObject({ count: 5, unhashed: 2 });
    const events = chain(3);
    expect(run([...events, { ...chain(1, 4)[0]!, hash: null }])).toMatchObject({
      position: 4,
      reason: expect.stringContaining('no hash'),
    });
  });

  it('given a run from a later position, then it checks against the previous hash it is given', () => {
    const events = chain(6);
    expect(run(events.slice(3), new ChainVerifier(events[2]!.hash!))).toBeNull();
    expect(run(events.slice(3), new ChainVerifier(events[1]!.hash!))).toMatchObject({ position: 4 });
  });
});

describe('parseBound', () => {
  it('reads a position or an ISO instant, and nothing else', () => {
    expect(parseBound('42')).toEqual({ position: 42 });
    expect(parseBound('2026-01-02T03:04:05Z')).toEqual({ time: new Date('2026-01-02T03:04:05Z') });
    expect(parseBound('2026-13-45')).toBeNull();
    expect(parseBound('yesterday')).toBeNull();
    expect(parseBound('-1')).toBeNull();
  });
});
