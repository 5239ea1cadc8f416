/** Streams that exist for the write side's own bookkeeping; they are not domain history (event logs skip them). */
const BOOKKEEPING_CATEGORIES = new Set(['sequence', 'username', 'email', 'bootstrap', 'idempotency', 'slug', 'invitecode', 'apikeyhash', 'chatquota', 'embedquota']);

export const isBookkeepingStream = (stream: string) => BOOKKEEPING_CATEGORIES.has(stream.slice(0, stream.indexOf('-')));
