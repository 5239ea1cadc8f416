import { randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import { eventId, scopedId } from '../../src/commands/shared/event-ids.js';

const NAMESPACE = '6f1c1b9e-3c55-4d8e-9c1a-2f5e8e0a9b71';

describe('event ids', () => {
  it('are the UUIDv5 ids every earlier version derived, so a retry under an old key still finds its events', () => {
    const names: [string, string, number][] = [
      ...Array.from({ length: 200 }, (_, i) => [randomUUID(), `user-${i}`, i % 4] as [string, string, number]),
      ['clé-ünïcødé', 'setting-日本語', 0],
      ['😀 key', 'workspace-1', 12],
      ['', '', 0],
      ['k'.repeat(2000), 'user-1', 0], // longer than the buffer short names are hashed from
      ['ü'.repeat(341), 'x', 1], // as long as that buffer in UTF-8, give or take a few bytes
    ];
    for (const [commandId, stream, index] of names) {
      expect(eventId(commandId, stream, index)).toBe(uuidv5(`${commandId}|${stream}|${index}`, NAMESPACE));
    }
    expect(scopedId(7, 'key-1')).toBe(uuidv5('7|key-1', NAMESPACE));
    expect(scopedId('anonymous', null, 3)).toBe(uuidv5('anonymous|null|3', NAMESPACE));
  });
});
