import { v5 as uuidv5 } from 'uuid';

const NAMESPACE = '6f1c1b9e-3c55-4d8e-9c1a-2f5e8e0a9b71';

/** Deterministic: the same command writing the same stream yields the same event ids, so a retry is a no-op. */
export const eventId = (commandId: string, stream: string, index: number) => uuidv5(`${commandId}|${stream}|${index}`, NAMESPACE);

/** A stable id for a client-chosen key, scoped so two actors cannot collide on the same key. */
export const scopedId = (...parts: (string | number | null)[]) => uuidv5(parts.map(String).join('|'), NAMESPACE);
