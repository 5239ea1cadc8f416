/** Streams that exist for the write side's own bookkeeping; they are not domain history (event logs skip them). */
export const BOOKKEEPING_CATEGORIES: ReadonlySet<string> = new Set([
  'sequence',
  'username',
  'email',
  'bootstrap',
  'idempotency',
  'slug',
  'invitecode',
  'apikeyhash',
  'chatquota',
  'embedquota',
]);

/** A stream named `<category>-<id>` whose category is one of the above (the event logs' SQL says the same with ranges). */
export const isBookkeepingStream = (stream: string) => {
  const dash = stream.indexOf('-');
  return dash > 0 && BOOKKEEPING_CATEGORIES.has(stream.slice(0, dash));
};
