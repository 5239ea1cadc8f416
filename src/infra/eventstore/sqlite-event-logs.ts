/**
 * Event logs answered straight from the embedded event store's `events` table: the events are
 * already there, so no projected copy is kept (DESIGN.md: "read from the event stream"). Entries are
 * the projection's exactly (the same `eventLogEntry`), bookkeeping streams left out, newest first.
 * Filters are the narrow subset the event-log API builds, turned into SQL with bound values; anything
 * else is refused with an error rather than answered wrongly.
 */
import type Database from 'better-sqlite3';
import { BOOKKEEPING_CATEGORIES } from '../../domain/shared/bookkeeping.js';
import { eventLogEntry, type EventLogView } from '../../domain/event-logs/entry.js';
import { eventLogName } from '../../domain/event-logs/names.js';
import type { EventLogReader } from '../event-logs/port.js';
import type { Filter } from '../readstore/port.js';
import type { PersonalDataCipher } from './personal-data-cipher.js';
import { COLUMNS, type EventRow, eventRows, type SqliteEventStore, toRecorded } from './sqlite.js';

const ACTOR = "json_extract(metadata, '$.actorId')";
/** `user_id` as the entry has it: the actor id when it is all digits, else NULL (userIdOf in SQL). */
const USER_ID = `(CASE WHEN ${ACTOR} GLOB '[0-9]*' AND ${ACTOR} NOT GLOB '*[^0-9]*' THEN CAST(${ACTOR} AS INTEGER) END)`;
/**
 * Bookkeeping streams (`<category>-…` of isBookkeepingStream) as ranges of the (stream, revision)
 * index: `stream >= 'sequence-' AND stream < 'sequence.'` ('.' follows '-'), so they are counted
 * from that index instead of by reading every row.
 */
const BOOKKEEPING = `(${[...BOOKKEEPING_CATEGORIES]
  .map((c) => {
    if (!/^[a-z]+$/.test(c)) throw new Error(`Unexpected bookkeeping category ${c}`);
    return `(stream >= '${c}-' AND stream < '${c}.')`;
  })
  .join(' OR ')})`;
const DOMAIN_ONLY = `NOT ${BOOKKEEPING}`;

/**
 * What the event-log filters need besides the primary key and the (type, position) index: `from_date`/
 * `to_date` and `user_id`. Each costs an append one more index entry.
 */
const INDEXES = [
  'CREATE INDEX IF NOT EXISTS events_created_at ON events (created_at)',
  `CREATE INDEX IF NOT EXISTS events_user_id ON events (${USER_ID})`,
];

/** Every type in the table, one index seek per type (a skip scan over events_type_position). */
const DISTINCT_TYPES = `
  WITH RECURSIVE t(type) AS (
    SELECT MIN(type) FROM events
    UNION ALL
    SELECT (SELECT MIN(type) FROM events WHERE type > t.type) FROM t WHERE t.type IS NOT NULL
  )
  SELECT type FROM t WHERE type IS NOT NULL`;

const MAX_STATEMENTS = 200;
const RANGE: Record<string, string> = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' };
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

type Cond = [op: string, value: unknown];

/** A field's conditions: a plain value is `$eq`; an operator object gives one condition per operator. */
function conditions(field: string, cond: unknown): Cond[] {
  if (cond !== null && typeof cond === 'object' && !Array.isArray(cond) && !(cond instanceof RegExp)) {
    const ops = Object.entries(cond as Record<string, unknown>);
    for (const [op] of ops) if (!op.startsWith('$')) throw unsupported(field, op);
    return ops;
  }
  return [['$eq', cond]];
}

const unsupported = (field: string, what: unknown) =>
  new Error(`Event logs cannot be filtered by ${field} ${String(what)}`);

/** Whether a string value satisfies a condition, as the read store's matcher decides it. */
function holds(value: string, [op, arg]: Cond, field: string): boolean {
  if (op === '$eq') return typeof arg === 'string' && value === arg;
  if (op === '$in') {
    if (!Array.isArray(arg)) throw unsupported(field, op);
    return arg.some((a) => typeof a === 'string' && a === value);
  }
  if (op === '$regex') {
    if (!(arg instanceof RegExp)) throw unsupported(field, op);
    arg.lastIndex = 0;
    return arg.test(value);
  }
  if (Object.hasOwn(RANGE, op)) {
    if (typeof arg !== 'string') return false; // compared like with like only
    return op === '$gt' ? value > arg : op === '$gte' ? value >= arg : op === '$lt' ? value < arg : value <= arg;
  }
  throw unsupported(field, op);
}

/** `$regex` as `__icontains` builds it (a literal, case-insensitive), as the term it looks for; else null. */
function containsTerm(re: RegExp): string | null {
  if (re.flags !== 'i') return null;
  const term = re.source.replace(/\\(.)/g, '$1');
  return escapeRegex(term) === re.source ? term : null;
}

interface Query {
  where: string[];
  params: unknown[];
}

/** Columns answered in SQL: the entry's field → its expression over the row and the kind of its values. */
const COLUMN_OF: Record<string, { expr: string; kind: 'number' | 'string' }> = {
  id: { expr: 'position', kind: 'number' },
  user_id: { expr: USER_ID, kind: 'number' },
  occurred_at: { expr: 'created_at', kind: 'string' },
};

export class SqliteEventLogReader implements EventLogReader {
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(
    private readonly db: Database.Database,
    private readonly cipher: PersonalDataCipher | null,
  ) {}

  /** Entries of stored rows, their personal values opened (or "[erased]"), as the event store reads them. */
  private async entries(rows: EventRow[]): Promise<EventLogView[]> {
    const events = rows.map(toRecorded);
    return (this.cipher ? await this.cipher.openEvents(events) : events).map(eventLogEntry);
  }

  /** Statements are prepared once per distinct SQL (a filter's shape), not per request. */
  private stmt(sql: string): Database.Statement {
    return this.cached(sql, () => this.db.prepare(sql));
  }

  private rows(sql: string): Database.Statement<unknown[], EventRow> {
    return this.cached(`rows:${sql}`, () => eventRows<unknown[]>(this.db, sql)) as Database.Statement<
      unknown[],
      EventRow
    >;
  }

  private cached(key: string, prepare: () => Database.Statement): Database.Statement {
    let s = this.statements.get(key);
    if (!s) {
      // `__in` lists of every length are shapes of their own: the cache is bounded, not a leak.
      if (this.statements.size >= MAX_STATEMENTS) this.statements.clear();
      this.statements.set(key, (s = prepare()));
    }
    return s;
  }

  /** The reader over a SQLite event store's table; creates the indexes its filters use (once per file). */
  /** Without a cipher, sealed values are shown as stored. */
  static over(store: SqliteEventStore, cipher: PersonalDataCipher | null = null): SqliteEventLogReader {
    const db = store.connection;
    for (const sql of INDEXES) db.exec(sql);
    return new SqliteEventLogReader(db, cipher);
  }

  /**
   * The filter's conditions, bookkeeping streams not yet left out. `unindexed` writes each column as
   * `+column`, which SQLite does not look up in an index (so another term's index is used instead).
   */
  private query(filter: Filter, unindexed = false): Query {
    const q: Query = { where: [], params: [] };
    let types: string[] | null = null;
    for (const [field, cond] of Object.entries(filter)) {
      if (field === 'event' || field === 'type') {
        // A handful of types in the table: decide the condition on each (by name or by type), keep those that pass.
        const conds = conditions(field, cond);
        types ??= (this.stmt(DISTINCT_TYPES).all() as { type: string }[]).map((r) => r.type);
        types = types.filter((t) => conds.every((c) => holds(field === 'event' ? eventLogName(t) : t, c, field)));
        continue;
      }
      const column = COLUMN_OF[field];
      if (!column) throw unsupported(field, '');
      const expr = unindexed ? `+${column.expr}` : column.expr;
      for (const [op, value] of conditions(field, cond)) this.condition(q, field, { ...column, expr }, op, value);
    }
    if (types) {
      q.where.push(types.length ? `${unindexed ? '+' : ''}type IN (${types.map(() => '?').join(', ')})` : '0');
      q.params.push(...types);
    }
    return q;
  }

  private condition(
    q: Query,
    field: string,
    column: { expr: string; kind: 'number' | 'string' },
    op: string,
    value: unknown,
  ): void {
    const fits = (v: unknown) => (column.kind === 'number' ? typeof v === 'number' : typeof v === 'string');
    if (op === '$eq' && fits(value)) {
      q.where.push(`${column.expr} = ?`);
      q.params.push(value);
    } else if (op === '$in' && Array.isArray(value) && value.every(fits)) {
      q.where.push(value.length ? `${column.expr} IN (${value.map(() => '?').join(', ')})` : '0');
      q.params.push(...value);
    } else if (Object.hasOwn(RANGE, op) && fits(value)) {
      q.where.push(`${column.expr} ${RANGE[op]} ?`);
      q.params.push(value);
    } else if (op === '$regex' && value instanceof RegExp && column.kind === 'number') {
      q.where.push('0'); // a pattern matches strings only
    } else if (op === '$regex' && value instanceof RegExp && containsTerm(value) !== null) {
      // The column holds ASCII (ISO times), where SQLite's lower() folds case as the pattern's `i` does.
      q.where.push(`instr(lower(${column.expr}), lower(?)) > 0`);
      q.params.push(containsTerm(value));
    } else {
      throw unsupported(field, op);
    }
  }

  async list(filter: Filter, window: { limit?: number; skip?: number }) {
    const q = this.query(filter);
    const where = (...extra: string[]) => {
      const terms = [...q.where, ...extra];
      return terms.length ? ` WHERE ${terms.join(' AND ')}` : '';
    };
    const limit = window.limit ? Math.trunc(window.limit) : -1;
    const rows = this.rows(
      `SELECT ${COLUMNS} FROM events${where(DOMAIN_ONLY)} ORDER BY position DESC LIMIT ? OFFSET ?`,
    ).all(...q.params, limit, Math.trunc(window.skip ?? 0));
    return { results: await this.entries(rows), count: this.count(filter, q) };
  }

  /**
   * All matching events less the bookkeeping ones: counting "not bookkeeping" directly reads every row
   * of the table, while both of these are answered from indexes. The bookkeeping share of a filtered
   * count is looked up from whichever side is smaller: the filter's matches (through its index) or the
   * bookkeeping streams (through the stream ranges), as SQLite without statistics cannot tell.
   */
  private count(filter: Filter, q: Query): number {
    const count = (sql: string, params: unknown[] = []) => (this.stmt(sql).get(...params) as { n: number }).n;
    const where = (terms: string[]) => (terms.length ? ` WHERE ${terms.join(' AND ')}` : '');
    const matching = count(`SELECT COUNT(*) AS n FROM events${where(q.where)}`, q.params);
    const bookkeeping = count(`SELECT COUNT(*) AS n FROM events WHERE ${BOOKKEEPING}`);
    if (!q.where.length || !bookkeeping || !matching) return matching - (q.where.length ? 0 : bookkeeping);
    const side = matching <= bookkeeping ? q : this.query(filter, true);
    return matching - count(`SELECT COUNT(*) AS n FROM events${where([...side.where, BOOKKEEPING])}`, side.params);
  }

  async find(id: number): Promise<EventLogView | null> {
    const row = this.rows(`SELECT ${COLUMNS} FROM events WHERE position = ? AND ${DOMAIN_ONLY}`).get(id);
    return row ? (await this.entries([row]))[0]! : null;
  }
}
