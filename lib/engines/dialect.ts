import type { SqlClient } from "../db/sql-client.js";
import type { DbUrl, Engine } from "../db/url.js";
import type { Classified } from "../failure/kinds.js";
import type { TableName } from "../identifiers.js";
import type { GuardRules } from "../sources/statement-guard.js";
import type { DataSource, SourceOptions, SqlText } from "../sources/types.js";

/** A statement and its parameters: values never enter the SQL text. */
export interface Sql {
  text: string;
  values: unknown[];
}

/** The pieces of SQL text that differ between engines; everything else is shared. */
export interface SqlPieces {
  /** The nth (1-based) parameter placeholder. */
  placeholder(n: number): string;
  /** The current time, as stored in the task table's timestamp columns. */
  now: string;
  /** `now` minus / plus the number of seconds held by the placeholder `p`. */
  secondsAgo(p: string): string;
  secondsLater(p: string): string;
  /** Whole seconds from timestamp expression a to b (NULL if either is NULL). */
  secondsBetween(a: string, b: string): string;
  /** A timestamp column as seconds since the epoch (its zone resolved by the server), or NULL. */
  epochSeconds(expr: string): string;
  /** Text equal character for character (no case folding, no trailing-space padding). */
  sameText(a: string, b: string): string;
  /** A column's value as text, for comparing with text parameters. */
  asText(expr: string): string;
  /** What an INSERT ends with to hand back the new id (PostgreSQL), or "" (MySQL: insertId). */
  returningId(quotedId: string): string;
}

/** The task table's DDL and catalogue queries. */
export interface TableSchema {
  create(table: TableName): string;
  addColumns: [name: string, ddl: string][];
  widenColumns: [name: string, ddl: string][];
  addColumn(table: TableName, name: string, ddl: string): string;
  widenColumn(table: TableName, name: string, ddl: string): string;
  createIndex(table: TableName, index: string): string;
  columns(table: TableName): Sql;
  indexes(table: TableName): Sql;
  /** information_schema data types that the widening replaces. */
  narrowTypes: string[];
  /** The control table: one row per lock the scheduler and workers take with FOR UPDATE. */
  createControl(control: TableName): string;
  /**
   * The slice table (lib/slices): one row per slice of a task split across workers, keyed by
   * (task_id, n); n = -1 is the claim on building the final file, so exactly one slice builds it.
   */
  createSlices(slices: TableName): string;
  /** Inserts the named control row unless it is there. */
  seedControl(control: TableName, name: string): Sql;
}

export interface ClientOptions {
  poolSize: number;
  /** A pooled connection found dead is retried once on a fresh one (the failure policy says which). */
  isStaleConnection: (err: unknown) => boolean;
}

/** A privilege the data user holds that reaches past the data it exports. */
export interface Power {
  /** The privilege or role, as the server names it (PROCESS, pg_monitor). */
  held: string;
  /** What it reaches ("other sessions' SQL", "every table, the task table too"). */
  reaches: string;
  /** The statement that takes it back. */
  fix: string;
}

/** What a database user may do, for `npm run doctor` and the worker's cold-start check. */
export interface RoleFacts {
  user: string;
  superuser: boolean;
  /** Server files and programs, other sessions (their SQL, signals), tables beyond its grants. */
  powers: Power[];
  /** Examples of what it may write or create. */
  writes: string[];
  /** The task tables it can read (every task's SQL and link; locking the control row stalls claims). */
  readsTaskTables: Power[];
  /**
   * Why each task could read the SQL of other tasks running as this user (they share it), and
   * the statement that stops it; undefined when the server hides it.
   */
  seesOthersSql: { why: string; fix: string } | undefined;
  unusualSettings: string[];
}

/**
 * Everything that differs between database engines, in one typed record per engine
 * (lib/engines/<engine>/index.ts), looked up through a Record<Engine, Dialect>: an engine
 * that misses a piece does not compile, and nothing outside lib/engines names an engine.
 */
export interface Dialect {
  engine: Engine;
  /** Quotes an identifier that identifiers.ts has checked. */
  quoteIdent(ident: string): string;
  sql: SqlPieces;
  schema: TableSchema;
  createClient(db: DbUrl, o: ClientOptions): SqlClient;
  createSource(db: DbUrl, o: SourceOptions): DataSource;
  guard: GuardRules;
  /** Date and timestamp slice keys as whole numbers and back (lib/slices/key-range.ts). */
  sliceKeys: Pick<SqlText, "keyAsWhole" | "keyBound" | "keyExtremes" | "countsAll">;
  /** This engine's driver errors; undefined for errors it does not know. */
  classify(err: unknown): Classified | undefined;
  /** The error says a table does not exist. */
  isMissingTable(err: unknown): boolean;
  /** `taskTables`: the task table and its control table as this user would name them (may be none). */
  roleFacts(db: SqlClient, taskTables: TableName[]): Promise<RoleFacts>;
  /**
   * How the data user would name the task table `table` of the task database, or undefined
   * when it cannot reach it at all (another server, or another PostgreSQL database).
   */
  taskTableSeenFrom(taskDb: DbUrl, dataDb: DbUrl, table: TableName): TableName | undefined;
}

/**
 * A pooled SQL client that carries its engine's dialect: the task store, migrate and the
 * doctor ask `db.dialect` for SQL pieces and error meanings instead of looking the engine up.
 */
export interface DbClient extends SqlClient {
  dialect: Dialect;
}
