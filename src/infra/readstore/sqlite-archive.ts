/**
 * An archive collection of the embedded read store: kept on disk only (the event log would otherwise
 * hold one in-memory document per event), answered through SQLite expression indexes on the fields the
 * projection indexes. SQLite narrows; the matcher (mongo-dialect.ts) still decides whenever part of a filter has no exact
 * SQL form, so every filter the port allows gives the same answer as in memory. For that, every
 * document holds a string, a number or null (never a list, an object, or nothing) under each indexed
 * field: SQLite then compares and orders those values as MongoDB does.
 */
import { applyUpdate, comparator, matcher, upsertSeed } from './mongo-dialect.js';
import { type Collection, type Doc, DuplicateKeyError, type Filter, type FindOptions, type Update } from './port.js';
import { upsertOneByOne } from './upsert-many.js';
import { assertStorableFields } from './storable-fields.js';

/** What an archive needs from its store: statements, its indexed fields, and the write-behind queue. */
export interface ArchiveHost {
  stmt(sql: string): {
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
    iterate(...params: unknown[]): IterableIterator<unknown>;
  };
  tableName(name: string): string;
  ensureTable(name: string): void;
  /** Fields named by the collection's indexes: every document holds a string, a number or null there. */
  indexedFields(name: string): ReadonlySet<string>;
  defineArchiveIndex(name: string, fields: string[]): void;
  /** The pending serialised write for a document: a JSON string, null (deleted), undefined (none). */
  pendingArchived(name: string, id: string): string | null | undefined;
  archived(name: string, id: string, json: string | null): void;
  flushNow(): void;
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RANGE: Record<string, string> = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' };

const scalar = (v: unknown): v is string | number =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

interface Plan {
  where: string[];
  params: unknown[];
  exact: boolean;
}

export class ArchiveCollection<T extends Doc> implements Collection<T> {
  constructor(
    readonly name: string,
    private readonly host: ArchiveHost,
  ) {}

  private get table() {
    return `"${this.host.tableName(this.name)}"`;
  }

  /** SQL for the parts of a filter SQLite can answer exactly; `exact` false leaves the rest to the matcher. */
  private plan(filter: Filter): Plan {
    const indexed = this.host.indexedFields(this.name);
    const plan: Plan = { where: [], params: [], exact: true };
    for (const [key, cond] of Object.entries(filter)) {
      const isId = key === '_id';
      if (!isId && !indexed.has(key)) {
        plan.exact = false;
        continue;
      }
      const expr = isId ? 'id' : `json_extract(doc, '$.${key}')`;
      // _id is a TEXT column, which would turn a number into text before comparing: only strings go to SQL.
      const fits = (v: unknown) => (isId ? typeof v === 'string' : scalar(v));
      const ops: [string, unknown][] =
        cond !== null && typeof cond === 'object' && !Array.isArray(cond) && !(cond instanceof RegExp)
          ? Object.entries(cond)
          : [['$eq', cond]];
      for (const [op, value] of ops) {
        if (op === '$eq' && fits(value)) {
          plan.where.push(`${expr} = ?`);
          plan.params.push(value);
        } else if (op === '$in' && Array.isArray(value) && value.every(fits)) {
          plan.where.push(value.length ? `${expr} IN (${value.map(() => '?').join(', ')})` : '0');
          plan.params.push(...value);
        } else if (Object.hasOwn(RANGE, op) && fits(value)) {
          // SQLite orders every number below every string; MongoDB's $lt/$gt compare only like with like.
          plan.where.push(`${expr} ${RANGE[op]} ?`, typeof value === 'string' ? `${expr} >= ''` : `${expr} < ''`);
          plan.params.push(value);
        } else {
          plan.exact = false;
        }
      }
    }
    return plan;
  }

  /** ORDER BY for a sort on _id or indexed fields, else null (sorted in memory after matching). */
  private order(sort: FindOptions['sort']): string | null {
    if (!sort) return '';
    const indexed = this.host.indexedFields(this.name);
    const terms: string[] = [];
    for (const [field, direction] of Object.entries(sort)) {
      if (field !== '_id' && !indexed.has(field)) return null;
      terms.push(`${field === '_id' ? 'id' : `json_extract(doc, '$.${field}')`} ${direction === -1 ? 'DESC' : 'ASC'}`);
    }
    return terms.length ? ` ORDER BY ${terms.join(', ')}` : '';
  }

  private where(plan: Plan): string {
    return plan.where.length ? ` WHERE ${plan.where.join(' AND ')}` : '';
  }

  private rows(sql: string, params: unknown[]): IterableIterator<{ doc: string }> {
    this.host.ensureTable(this.name);
    return this.host.stmt(sql).iterate(...params) as IterableIterator<{ doc: string }>;
  }

  async find(filter: Filter, options: FindOptions = {}): Promise<T[]> {
    this.host.flushNow(); // reads see every write made so far
    const plan = this.plan(filter);
    const order = this.order(options.sort);
    const skip = options.skip ?? 0;
    const base = `SELECT doc FROM ${this.table}${this.where(plan)}`;
    if (plan.exact && order !== null) {
      const page = ` LIMIT ${options.limit ? Math.trunc(options.limit) : -1} OFFSET ${Math.trunc(skip)}`;
      return [...this.rows(base + order + page, plan.params)].map((r) => JSON.parse(r.doc) as T);
    }
    const matches = matcher(filter);
    const out: T[] = [];
    const end = options.limit ? skip + options.limit : Infinity;
    for (const row of this.rows(base + (order ?? ''), plan.params)) {
      const doc = JSON.parse(row.doc) as T;
      if (!matches(doc)) continue;
      out.push(doc);
      if (order !== null && out.length >= end) break; // already in order: stop at the page's end
    }
    if (order === null) out.sort(comparator(options.sort!));
    return out.slice(skip, end);
  }

  async findOne(filter: Filter): Promise<T | null> {
    return (await this.find(filter, { limit: 1 }))[0] ?? null;
  }

  async count(filter: Filter): Promise<number> {
    this.host.flushNow();
    const plan = this.plan(filter);
    if (plan.exact) {
      this.host.ensureTable(this.name);
      return (
        this.host.stmt(`SELECT COUNT(*) AS n FROM ${this.table}${this.where(plan)}`).get(...plan.params) as {
          n: number;
        }
      ).n;
    }
    const matches = matcher(filter);
    let n = 0;
    for (const row of this.rows(`SELECT doc FROM ${this.table}${this.where(plan)}`, plan.params))
      if (matches(JSON.parse(row.doc))) n++;
    return n;
  }

  async insertOne(doc: T): Promise<void> {
    if (typeof doc._id !== 'string') throw new Error('Documents need a string _id');
    if (this.exists(doc._id)) throw new DuplicateKeyError(`Duplicate _id ${doc._id} in ${this.name}`);
    this.write(doc);
  }

  async updateOne(filter: Filter, update: Update, options: { upsert?: boolean } = {}) {
    const [doc] = await this.find(filter, { limit: 1 });
    if (doc) {
      this.write(applyUpdate(doc, update));
      return { matched: 1, upserted: false };
    }
    if (!options.upsert) return { matched: 0, upserted: false };
    const created = applyUpdate(upsertSeed(filter), update);
    if (typeof created._id !== 'string' || !created._id)
      throw new Error('An upsert needs a string _id in its filter or update');
    if (this.exists(created._id)) throw new DuplicateKeyError(`Duplicate _id ${created._id} in ${this.name}`);
    this.write(created);
    return { matched: 0, upserted: true };
  }

  async updateMany(filter: Filter, update: Update) {
    const docs = await this.find(filter);
    for (const doc of docs) this.write(applyUpdate(doc, update));
    return { matched: docs.length };
  }

  async upsertMany(docs: readonly T[], options: { guard?: string } = {}): Promise<{ written: number }> {
    return upsertOneByOne(this, docs, options.guard);
  }

  async deleteOne(filter: Filter) {
    const [doc] = await this.find(filter, { limit: 1 });
    if (doc) this.host.archived(this.name, doc._id, null);
    return { deleted: doc ? 1 : 0 };
  }

  async deleteMany(filter: Filter) {
    const docs = await this.find(filter);
    for (const doc of docs) this.host.archived(this.name, doc._id, null);
    return { deleted: docs.length };
  }

  async ensureIndex(fields: string[], options: { unique?: boolean } = {}): Promise<void> {
    if (options.unique) throw new Error(`Archive ${this.name} supports no unique index but _id's`);
    for (const f of fields)
      if (!FIELD.test(f)) throw new Error(`Archive ${this.name} indexes top-level fields only, not ${f}`);
    if (fields.every((f) => this.host.indexedFields(this.name).has(f))) return;
    this.host.flushNow();
    this.host.ensureTable(this.name);
    const bad = this.host
      .stmt(
        `SELECT id FROM ${this.table} WHERE ${fields.map((f) => `COALESCE(json_type(doc, '$.${f}'), 'missing') NOT IN ('text', 'integer', 'real', 'null')`).join(' OR ')} LIMIT 1`,
      )
      .get() as { id: string } | undefined;
    if (bad)
      throw new Error(
        `Archive ${this.name}: document ${bad.id} lacks ${fields.join(',')} or holds a list or object there`,
      );
    this.host.defineArchiveIndex(this.name, fields);
  }

  private exists(id: string): boolean {
    const pending = this.host.pendingArchived(this.name, id);
    if (pending !== undefined) return pending !== null;
    this.host.ensureTable(this.name);
    return !!this.host.stmt(`SELECT 1 FROM ${this.table} WHERE id = ?`).get(id);
  }

  /** Serialised at once: the caller may reuse its object, and a string is the smallest thing to hold until the flush. */
  private write(doc: Doc): void {
    assertStorableFields(doc); // keys MongoDB would refuse are refused here too
    for (const f of this.host.indexedFields(this.name)) {
      const v = doc[f];
      if (v !== null && !scalar(v))
        throw new Error(`Archive ${this.name}: indexed field ${f} must hold a string, a number or null`);
    }
    this.host.archived(this.name, doc._id, JSON.stringify(doc));
  }
}
