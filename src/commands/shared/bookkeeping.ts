/** Streams that exist for the write side's own bookkeeping; they are not domain history (event logs skip them). */
export const BOOKKEEPING_CATEGORIES: ReadonlySet<string> = new Set(['sequence', 'username', 'email', 'bootstrap', 'idempotency', 'slug', 'invitecode', 'apikeyhash', 'chatquota', 'embedquota']);

/** A stream's category: what comes before its first `-` (a stream without one: all but its last character, as `slice` has it). */
export const streamCategory = (stream: string) => stream.slice(0, stream.indexOf('-'));

export const isBookkeepingStream = (stream: string) => BOOKKEEPING_CATEGORIES.has(streamCategory(stream));
