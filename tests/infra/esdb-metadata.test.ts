import { fromStoredMetadata, toStoredMetadata } from '../../src/infra/eventstore/esdb-metadata.js';
import type { EventMetadata } from '../../src/infra/eventstore/port.js';

const ours: EventMetadata = {
  actorId: '3',
  actorType: 'user',
  correlationId: 'cmd-1',
  causationId: 'cmd-0',
  ip: '203.0.113.7',
  userAgent: 'test',
  schemaVersion: 1,
};

describe('EventStoreDB event metadata', () => {
  it("is written with the server's $correlationId and $causationId beside ours", () => {
    expect(toStoredMetadata(ours)).toEqual({ ...ours, $correlationId: 'cmd-1', $causationId: 'cmd-0' });
  });

  it('has no $causationId when the command had no cause', () => {
    expect(toStoredMetadata({ ...ours, causationId: null })).not.toHaveProperty('$causationId');
  });

  it('reads back as ours alone', () => {
    expect(fromStoredMetadata(JSON.parse(JSON.stringify(toStoredMetadata(ours))))).toEqual(ours);
    expect(fromStoredMetadata(toStoredMetadata({ ...ours, causationId: null }))).toEqual({
      ...ours,
      causationId: null,
    });
  });

  it("reads an event written with the server's keys only through them", () => {
    expect(fromStoredMetadata({ $correlationId: 'saga-9', $causationId: 'evt-8' })).toMatchObject({
      correlationId: 'saga-9',
      causationId: 'evt-8',
    });
  });
});
