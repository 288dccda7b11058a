import type { EventEmitter } from "node:events";
import { PassThrough, type Readable } from "node:stream";
import type { DbUrl } from "../db/url.js";
import { mysqlSource } from "./mysql.js";
import { postgresSource } from "./postgres.js";
import { checkTaskSql } from "./statement-guard.js";

/** A running query: rows as arrays of text values (null for NULL), in the query's column order. */
export interface RowStream {
  rows: Readable;
  /** Ends the read-only transaction and the connection; safe to call more than once. */
  close(): Promise<void>;
}

export interface DataSource {
  label: string;
  open(sql: string): Promise<RowStream>;
  /**
   * PostgreSQL only: the result as the server's own CSV bytes (COPY TO STDOUT), or undefined
   * when the SQL cannot safely be run that way and open() must be used.
   */
  openCopy?(sql: string): Promise<RowStream | undefined>;
}

export interface SourceOptions {
  statementTimeoutSeconds: number;
  /** Rows fetched per round trip (PostgreSQL cursor batch, MySQL stream high-water mark). */
  batchRows?: number;
}

/** The data database, with task SQL checked (statement-guard.ts) before it is sent. */
export function createDataSource(db: DbUrl, o: SourceOptions): DataSource {
  const inner = db.engine === "mysql" ? mysqlSource(db, o) : postgresSource(db, o);
  const guarded =
    <T>(open: (sql: string) => Promise<T>) =>
    (sql: string): Promise<T> => {
      checkTaskSql(db.engine, sql);
      return open(sql);
    };
  return {
    label: inner.label,
    open: guarded(inner.open),
    openCopy: inner.openCopy && guarded(inner.openCopy),
  };
}

/** Runs close at most once and never lets it hang the export. */
export function onceClose(fn: () => Promise<void>, timeoutMs = 5000): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= Promise.race([
      fn().catch(() => {}),
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
    return done;
  };
}

/**
 * The driver's row stream, but ending in an error as soon as the connection dies. Neither
 * pg-query-stream nor mysql2's query stream ends when the server goes away mid-stream (a
 * restart, a killed connection): pg-query-stream's destroy waits forever for the dead
 * connection to close its cursor, and mysql2's stream simply stops. The export would hang
 * until the Lambda timeout. The connection's 'error' or 'end' means the rows will never come;
 * `errorsFrom` are other emitters (the cursor) whose 'error' carries the server's own reason.
 */
export function failFast(
  inner: Readable,
  buffering: { objectMode: boolean; highWaterMark: number },
  connection: EventEmitter,
  errorsFrom: EventEmitter[] = [],
): Readable {
  const rows = new PassThrough(buffering);
  const fail = (err: Error) => {
    if (!rows.destroyed && !rows.readableEnded) rows.destroy(err);
  };
  const lost = () =>
    fail(
      Object.assign(new Error("Connection terminated unexpectedly"), {
        code: "PROTOCOL_CONNECTION_LOST",
      }),
    );
  inner.on("error", fail);
  for (const e of errorsFrom) e.on("error", fail);
  connection.on("error", fail);
  connection.on("end", lost);
  // The export stopping early (abort, upload failure) stops the driver's stream too.
  rows.on("close", () => {
    if (!inner.destroyed) inner.destroy();
  });
  inner.pipe(rows);
  return rows;
}
