/** nedb's matcher and modifier: the part of nedb the embedded SQLite read store uses. */
declare module '@seald-io/nedb/lib/model.js' {
  export function match(doc: unknown, query: unknown): boolean;
  /** Returns a modified deep copy; the input is left as it was. */
  export function modify<T>(doc: T, update: unknown): T;
  export function deepCopy<T>(doc: T): T;
  /** Throws on keys MongoDB refuses (starting with $, or holding a dot). */
  export function checkObject(doc: unknown): void;
  export function compareThings(a: unknown, b: unknown): number;
  export function getDotValue(doc: unknown, field: string): unknown;
}
