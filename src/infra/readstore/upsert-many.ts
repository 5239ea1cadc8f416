/**
 * `upsertMany` spelled as one guarded `updateOne` upsert per document: what the adapters without a
 * bulk path of their own (the embedded archive) do, and the reference the others must match.
 */
import { type Collection, type Doc, DuplicateKeyError, type Filter, type Update } from './port.js';

/** The filter and update of one document's upsert; throws on a document the port refuses. */
export function upsertOf(doc: Doc, guard?: string): { filter: Filter; update: Update } {
  if (typeof doc._id !== 'string' || !doc._id) throw new Error('upsertMany needs a string _id on every document');
  const { _id, ...fields } = doc;
  if (guard === undefined) return { filter: { _id }, update: { $set: fields } };
  const position = doc[guard];
  if (typeof position !== 'number' || !Number.isFinite(position))
    throw new Error(`upsertMany needs a number under ${guard} on every document`);
  return { filter: { _id, [guard]: { $lt: position } }, update: { $set: fields } };
}

export async function upsertOneByOne<T extends Doc>(
  coll: Collection<T>,
  docs: readonly T[],
  guard?: string,
): Promise<{ written: number }> {
  const ops = docs.map((doc) => upsertOf(doc, guard)); // refuse a bad batch before writing any of it
  let written = 0;
  for (const { filter, update } of ops) {
    try {
      await coll.updateOne(filter, update, { upsert: true });
      written++;
    } catch (err) {
      // The guarded upsert met the document itself: it already holds this position or a later one.
      if (!(guard !== undefined && err instanceof DuplicateKeyError)) throw err;
    }
  }
  return { written };
}
