/**
 * A read store held in this process's memory only: the embedded store's in-memory collections
 * (sqlite-collection.ts, MongoDB's query language from mongo-dialect.ts) with nothing written behind.
 * Scratch space: a past state is rebuilt into one, read, and dropped with it.
 */
import type { Collection, Doc, ReadStore } from './port.js';
import { type MemoryHost, SqliteCollection } from './sqlite-collection.js';
import { MemCollection } from './sqlite-memory.js';

export class MemoryReadStore implements ReadStore {
  private readonly collections = new Map<string, MemCollection>();
  private readonly host: MemoryHost = {
    mem: (name) => this.mem(name),
    written: () => {},
    defineIndex: () => {},
  };

  private mem(name: string): MemCollection {
    let coll = this.collections.get(name);
    if (!coll) this.collections.set(name, (coll = new MemCollection()));
    return coll;
  }

  /** Archives are held in memory too: nothing here outlives the store. */
  collection<T extends Doc = Doc>(name: string): Collection<T> {
    return new SqliteCollection<T>(name, this.host);
  }

  async create(name: string): Promise<void> {
    this.mem(name);
  }

  async drop(name: string): Promise<void> {
    this.collections.delete(name);
  }

  async rename(from: string, to: string): Promise<void> {
    this.collections.set(to, this.mem(from));
    this.collections.delete(from);
  }

  async listCollections(): Promise<string[]> {
    return [...this.collections.keys()];
  }

  async flush(): Promise<void> {}
  async sync(): Promise<void> {}
  /** Nothing of it is on disk. */
  async purge(): Promise<void> {}
  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.collections.clear();
  }
}
