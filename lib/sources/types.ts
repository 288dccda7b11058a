import type { Readable } from "node:stream";
import type { DbUrl } from "../db/url.js";
import type { GuardRules } from "./statement-guard.js";

/** One row: text values (null for NULL), in the query's column order. */
export type Row = unknown[];

/** What a column holds, as far as a file format cares (typed cells in a spreadsheet). */
export type ColumnKind =
  | "number"
  | "text"
  | "date"
  | "time"
  | "timestamp"
  | "boolean"
  | "binary"
  | "other";

/** One column of the result: its name and kind, in the query's column order. */
export interface Column {
  name: string;
  kind: ColumnKind;
}

/**
 * A running query. `rows` yields batches (arrays of rows), so each stream buffer holds a few
 * batches of bounded size (row-limits.ts) instead of a count of rows of any size.
 */
export interface RowStream {
  rows: Readable;
  /**
   * The result's columns, known before its first row (empty if the query fails first). Formats
   * use their kinds: typed spreadsheet cells, long digits kept as text only in text columns.
   */
  columns?: Promise<Column[]>;
  /** Ends the read-only transaction and the connection; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * What a server can write itself instead of handing over rows. Only RFC 4180 CSV so far
 * (PostgreSQL's COPY ... TO STDOUT WITH (FORMAT csv)): values as the server's text, NULL and
 * empty string distinguished by quoting, LF record ends.
 */
export type ServerRendering = "rfc4180-csv";

/** A running query whose result the server renders itself: bytes, not rows. */
export interface RenderedStream {
  bytes: Readable;
  close(): Promise<void>;
  /** The result's columns, as for rows (RowStream.columns). */
  columns?: Promise<Column[]>;
}

/** How SQL text for this source's engine is written around task SQL (lib/slices). */
export interface SqlText {
  /** An identifier checked (identifiers.ts) and quoted for the engine. */
  quoteIdent(ident: string): string;
  /** The task SQL ready to go inside brackets, or undefined when it cannot (wrappable.ts). */
  wrappable(sql: string): string | undefined;
  /** The column the SQL's result is sorted by, when that alone sorts it (order-key.ts). */
  orderKey(sql: string): string | undefined;
  /** A date or timestamp key's value as a whole number (key-bounds.ts); NULL where none (infinity). */
  keyAsWhole(kind: TimeKeyKind, expr: string): string;
  /** A bound of such a key: a literal that the key's comparisons read as the key's own type. */
  keyBound(kind: TimeKeyKind, value: bigint): string;
  /**
   * How the key's lowest and highest values are read cheaply: `MIN`/`MAX` (PostgreSQL: an
   * index-only scan, or none, even through a sorted subquery), or the first row by the key
   * each way (MySQL: the index read in order, stopping at the first row the task's filters
   * keep, where `MIN`/`MAX` under a filter on another column scan the whole table).
   */
  keyExtremes: "min-max" | "first-row";
  /**
   * Keys of this kind whose comparisons the engine may answer differently by index and by value,
   * so that a row can fall in no range: the plan then also counts the whole result (one scan)
   * and refuses a key whose ranges do not hold every row.
   */
  countsAll(kind: TimeKeyKind | "number"): boolean;
}

/** The slice keys that are not plain whole numbers. */
export type TimeKeyKind = "date" | "timestamp";

export interface DataSource {
  label: string;
  /** Set for the engines' sources (engines/index.ts createDataSource). */
  sqlText?: SqlText;
  open(sql: string): Promise<RowStream>;
  /**
   * The result as the server renders it, or undefined when this source cannot (the engine has
   * no such output, it is switched off, or the SQL cannot safely be run that way): then the
   * caller uses open().
   */
  openRendered?(sql: string, rendering: ServerRendering): Promise<RenderedStream | undefined>;
}

export interface SourceOptions {
  statementTimeoutSeconds: number;
  /** The most rows in one batch (row-limits.ts BATCH_ROWS). */
  batchRows?: number;
  /** The most bytes one row may take on the wire (row-limits.ts MAX_ROW_BYTES). */
  maxRowBytes?: number;
  /** The largest query plan the PostgreSQL function check reads (tests lower it; default row-limits.ts). */
  maxPlanBytes?: number;
  /** Let the server render the output where it can (PG_COPY). */
  serverRendering?: boolean;
  /** Otherwise render CSV from the row protocol's bytes where the engine can (PG_FAST_PATH). */
  renderRows?: boolean;
  /**
   * A login on the data database's server that may stop the data user's sessions, which the
   * task's SQL can neither see nor signal (stop.ts). Unset: the data user's own login, with a
   * warning.
   */
  monitor?: DbUrl;
  /**
   * The guard's function rules, applied again to the functions the server resolved where the
   * engine can show them (PostgreSQL's plan). Unset in tests that play what the guard refuses.
   */
  functionRules?: GuardRules;
  /** Where the stop reports a missing monitor (warning, once) and a query it could not stop (error). */
  log?: SourceLog;
}

/** The part of the logger (lib/logger.ts) a source uses. */
export interface SourceLog {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
