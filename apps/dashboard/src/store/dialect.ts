/**
 * Where SQLite and PostgreSQL differ in the listing queries, so `task-query.ts` and `search.ts` build
 * one query for both (with `?` parameters; the PostgreSQL store numbers them):
 *
 * | | SQLite | PostgreSQL |
 * |---|---|---|
 * | insertion order (ties) | `rowid` | `seq` (bigserial) |
 * | NULLs | first ascending, last descending | the same, written out (`NULLS FIRST` / `NULLS LAST`) |
 * | substring | `instr(x, ?) > 0` | `strpos(x, ?) > 0` |
 * | free-text term (3+ characters) | FTS5 trigram index `tasks_search` (or a walk of the order's index for a common term, see `sqlite-store.ts`) | `LIKE` over `cq_search_text(...)`, which a pg_trgm index answers |
 * | no limit | `LIMIT -1` | `LIMIT NULL` |
 *
 * Text compares by code point in both (SQLite BINARY, PostgreSQL columns `COLLATE "C"`).
 */

export interface SqlDialect {
  readonly name: 'sqlite' | 'postgresql';
  /** The column that orders rows as inserted: ties in a listing keep that order, so pages never overlap. */
  readonly insertionOrder: string;
  /** `LIMIT` parameter meaning "all rows". */
  readonly noLimit: number | null;
  /** A filter or sort column as the query names it (SQLite: `+name` keeps its index out of the plan). */
  column(name: string): string;
  /** An ORDER BY term placing NULLs as SQLite does: first ascending, last descending. */
  order(column: string, descending: boolean): string;
  /** A condition true when the next parameter occurs in `expression` (case-sensitive). */
  contains(expression: string): string;
  /** Flower's free-text term: it occurs in the task's name, uuid, state, worker, args, kwargs or result joined by `|`. */
  anyTerm(term: string): { sql: string; params: unknown[] };
}

/** The text Flower searches for a free-text term: the fields joined by `|`, NULLs skipped. */
export const SEARCH_FIELDS = ['name', 'uuid', 'state', 'worker', 'args', 'kwargs', 'result'] as const;
export const SEARCH_TEXT = `concat_ws('|', ${SEARCH_FIELDS.join(', ')})`;

/**
 * What SQLite's FTS5 index holds: {@link SEARCH_TEXT} without `state`, so that a task's state
 * changing (every event) leaves the index alone. A term without `|` that is not part of a state
 * name is in the full text exactly when it is in this one (it lies inside one field either way);
 * the store sends other terms to a scan.
 */
export const FTS_FIELDS = SEARCH_FIELDS.filter((f) => f !== 'state');

/** Shortest term the trigram indexes can answer; a shorter one is a scan. */
const TRIGRAM = 3;

/** Whether a trigram index can answer `term` (its length). */
export const indexableTerm = (term: string): boolean => [...term].length >= TRIGRAM;

/** `term` as an FTS5 string (double quotes, inner quotes doubled): with the trigram tokenizer, its substring match. */
export const ftsString = (term: string): string => `"${term.replace(/"/g, '""')}"`;

/**
 * How a SQLite listing uses the FTS5 index for a free-text term:
 * - `index`: the matches (`rowid IN (...)`) are one condition among the others; SQLite picks the plan.
 * - `drive`: the query starts from the matches (the other filters and the order use no index), then
 *   sorts them: the plan for a rare term, whose few matches cost less than walking an index.
 *
 * Where the index answers, its match is the whole check (a trigram phrase of a case-sensitive
 * index is exactly the substring match; see {@link FTS_FIELDS} for the terms it cannot answer): no
 * row's text is read.
 * - `scan`: no FTS; the exact condition is checked while walking the order's index, which stops at
 *   the page's end: the plan for a common term, found every few rows.
 */
export type SqliteSearchPlan = 'index' | 'drive' | 'scan';

export function sqliteDialect(plan: SqliteSearchPlan = 'index'): SqlDialect {
  const hide = (name: string): string => (plan === 'drive' ? `+${name}` : name);
  return {
    name: 'sqlite',
    insertionOrder: 'rowid',
    noLimit: -1,
    column: hide,
    order: (column, descending) => `${hide(column)} ${descending ? 'DESC' : 'ASC'}`,
    contains: (expression) => `instr(${expression}, ?) > 0`,
    anyTerm(term) {
      const exact = `instr(${SEARCH_TEXT}, ?) > 0`;
      // The store asks for a scan when the index cannot answer the term exactly (see FTS_FIELDS).
      if (plan === 'scan' || !indexableTerm(term)) return { sql: exact, params: [term] };
      // A trigram phrase of the case-sensitive index matches exactly the texts holding the term.
      return { sql: 'rowid IN (SELECT rowid FROM tasks_search WHERE tasks_search MATCH ?)', params: [ftsString(term)] };
    },
  };
}

/**
 * How a PostgreSQL listing orders: `natural` lets the planner walk the order's index; `sorted`
 * orders by an expression of the column (`timestamp + 0`, `name || ''`), which no index gives, so
 * the rows come from the filters' indexes (the trigram one, a range's) and are sorted: the plan for
 * a few matches, which PostgreSQL's statistics cannot tell when the matches are old (its estimate
 * assumes they are spread over the history, and it walks the whole index to find them).
 */
export type PostgresOrderPlan = 'natural' | 'sorted';

const TEXT_SORT_KEYS = new Set(['name', 'state']);

export const postgresDialect = (plan: PostgresOrderPlan = 'natural'): SqlDialect => ({
  name: 'postgresql',
  insertionOrder: 'seq',
  noLimit: null,
  column: (name) => name,
  order: (column, descending) => {
    const key = plan === 'natural' ? column : TEXT_SORT_KEYS.has(column) ? `(${column} || '')` : `(${column} + 0)`;
    return `${key} ${descending ? 'DESC NULLS LAST' : 'ASC NULLS FIRST'}`;
  },
  contains: (expression) => `strpos(${expression}, ?) > 0`,
  anyTerm(term) {
    // LIKE is what a gin_trgm_ops index answers; its wildcards and escape character are escaped.
    return { sql: `cq_search_text(${SEARCH_FIELDS.join(', ')}) LIKE ?`, params: [`%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`] };
  },
});
