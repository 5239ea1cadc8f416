'use strict';
/**
 * EXPERIMENT (prototype of a proposed src change, not used by the server): an in-memory
 * write-behind ReadStore for rebuilds.
 *
 * Collections whose name ends with `__rebuild` live in plain Maps keyed by `_id`: updates go
 * through nedb's own `model.match` / `model.modify` (so the Mongo dialect, toQuery/toUpdate and
 * applyGuarded's `_pos` guard behave exactly as on nedb), with no executor queue, no index
 * maintenance and no file I/O per event. `rename(x__rebuild, x)` writes the collection once: a fresh
 * file-backed Datastore, its indexes, ONE bulk insert (one append), fsync, then an atomic rename
 * over `x.db` and a directory fsync. Every other collection passes through to the real NedbReadStore.
 *
 * Limits of the prototype: unique secondary indexes are only checked at flush time, and
 * non-_id filters scan the Map (projections address documents by _id through applyGuarded).
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const Datastore = require('@seald-io/nedb');
const model = require('@seald-io/nedb/lib/model.js');
const { dist } = require('../lib/common.js');

// The MongoDB-dialect translation lives in mongo-dialect.js in newer builds, in nedb.js before.
const { toQuery, toUpdate } = (() => {
  try {
    const m = dist('infra/readstore/mongo-dialect.js');
    if (typeof m.toQuery === 'function') return m;
  } catch {
    // older build
  }
  return dist('infra/readstore/nedb.js');
})();
const { DuplicateKeyError } = dist('infra/readstore/port.js');

const SUFFIX = '__rebuild';

class BufferedCollection {
  constructor(name) {
    this.name = name;
    this.docs = new Map();
    this.indexes = [];
  }

  candidates(filter) {
    const id = filter._id;
    if (typeof id === 'string' || typeof id === 'number') {
      const d = this.docs.get(id);
      return d ? [d] : [];
    }
    return this.docs.values();
  }

  matching(filter) {
    const q = toQuery(filter);
    const out = [];
    for (const d of this.candidates(filter)) if (model.match(d, q)) out.push(d);
    return out;
  }

  async findOne(filter) {
    const [d] = this.matching(filter);
    return d ? model.deepCopy(d) : null;
  }

  async find(filter, options = {}) {
    let docs = this.matching(filter);
    if (options.sort) {
      const keys = Object.entries(options.sort);
      docs.sort((a, b) => {
        for (const [k, dir] of keys) {
          const c = model.compareThings(model.getDotValue(a, k), model.getDotValue(b, k));
          if (c !== 0) return c * dir;
        }
        return 0;
      });
    }
    if (options.skip) docs = docs.slice(options.skip);
    if (options.limit) docs = docs.slice(0, options.limit);
    return docs.map((d) => model.deepCopy(d));
  }

  async count(filter) {
    return this.matching(filter).length;
  }

  async insertOne(doc) {
    const d = model.deepCopy(doc);
    if (d._id === undefined) d._id = crypto.randomBytes(8).toString('hex');
    model.checkObject(d);
    if (this.docs.has(d._id)) throw new DuplicateKeyError(`${this.name}: duplicate key ${d._id}`);
    this.docs.set(d._id, d);
  }

  async updateOne(filter, update, options = {}) {
    const upsert = options.upsert === true;
    const q = toQuery(filter, upsert);
    const u = toUpdate(update);
    for (const d of this.candidates(filter)) {
      if (model.match(d, q)) {
        const next = model.modify(d, u);
        this.docs.set(next._id, next);
        return { matched: 1, upserted: false };
      }
    }
    if (!upsert) return { matched: 0, upserted: false };
    // As nedb does: the new document is the query's plain fields with the update applied.
    const doc = model.modify(model.deepCopy(q, true), u);
    if (doc._id === undefined) doc._id = crypto.randomBytes(8).toString('hex');
    if (this.docs.has(doc._id)) throw new DuplicateKeyError(`${this.name}: duplicate key ${doc._id}`);
    this.docs.set(doc._id, doc);
    return { matched: 0, upserted: true };
  }

  async updateMany(filter, update) {
    const u = toUpdate(update);
    const hits = this.matching(filter);
    for (const d of hits) this.docs.set(d._id, model.modify(d, u));
    return { matched: hits.length };
  }

  async deleteOne(filter) {
    const [d] = this.matching(filter);
    if (!d) return { deleted: 0 };
    this.docs.delete(d._id);
    return { deleted: 1 };
  }

  async deleteMany(filter) {
    const hits = this.matching(filter);
    for (const d of hits) this.docs.delete(d._id);
    return { deleted: hits.length };
  }

  async ensureIndex(fields, options = {}) {
    this.indexes.push({ fieldName: fields.length === 1 ? fields[0] : fields, unique: options.unique === true });
  }

  /** One bulk write of the whole collection to `file`, crash-safe (temp file, fsync, rename). */
  async flushTo(file) {
    const tmp = `${file}.rebuild`;
    fs.rmSync(tmp, { force: true });
    const ds = new Datastore({ filename: tmp });
    await ds.loadDatabaseAsync();
    for (const idx of this.indexes) await ds.ensureIndexAsync(idx);
    if (this.docs.size) await ds.insertAsync([...this.docs.values()]); // serialized once, one append
    const fd = fs.openSync(tmp, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
    const dirFd = fs.openSync(path.dirname(file), 'r');
    try {
      fs.fsyncSync(dirFd);
    } catch {
      // platforms without directory fsync
    } finally {
      fs.closeSync(dirFd);
    }
  }
}

/** A ReadStore: `*__rebuild` collections buffered in memory, the rest delegated to `real`. */
function replayBuffer(real, dir) {
  const buffered = new Map();
  const stats = { flushSeconds: 0, flushedDocs: 0 };
  const get = (name) => {
    let c = buffered.get(name);
    if (!c) buffered.set(name, (c = new BufferedCollection(name)));
    return c;
  };
  return {
    collection: (name) => (name.endsWith(SUFFIX) ? get(name) : real.collection(name)),
    async drop(name) {
      if (name.endsWith(SUFFIX)) buffered.delete(name);
      else await real.drop(name);
    },
    async rename(from, to) {
      const source = buffered.get(from);
      if (!source) return real.rename(from, to);
      buffered.delete(from);
      const t0 = performance.now();
      await real.drop(to); // forget the cached datastore; the file is replaced right after
      await source.flushTo(path.join(dir, `${to}.db`));
      stats.flushSeconds += (performance.now() - t0) / 1000;
      stats.flushedDocs += source.docs.size;
    },
    stats,
    listCollections: () => real.listCollections(),
    flush: async () => real.flush?.(),
    sync: async () => real.sync?.(),
    ping: () => real.ping(),
    close: () => real.close(),
  };
}

module.exports = { replayBuffer, BufferedCollection };
