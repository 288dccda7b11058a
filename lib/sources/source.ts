import type { Readable } from "node:stream";
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
}

export interface SourceOptions {
  statementTimeoutSeconds: number;
  /** Rows fetched per round trip (PostgreSQL cursor batch, MySQL stream high-water mark). */
  batchRows?: number;
}

/** The data database, with task SQL checked (statement-guard.ts) before it is sent. */
export function createDataSource(db: DbUrl, o: SourceOptions): DataSource {
  const inner = db.engine === "mysql" ? mysqlSource(db, o) : postgresSource(db, o);
  return {
    label: inner.label,
    open(sql) {
      checkTaskSql(db.engine, sql);
      return inner.open(sql);
    },
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
