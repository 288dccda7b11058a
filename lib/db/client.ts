import { createHash } from "node:crypto";
import mysql from "mysql2/promise";
import pg from "pg";
import type { DbUrl, Engine } from "./url.js";

export interface SqlResult<T> {
  rows: T[];
  affected: number;
  /** MySQL's AUTO_INCREMENT id of an INSERT (PostgreSQL uses RETURNING). */
  insertId?: number;
}

/** One narrow interface over both engines; SQL text comes from the per-engine builders. */
export interface SqlSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<SqlResult<T>>;
}

export interface SqlClient extends SqlSession {
  engine: Engine;
  label: string;
  /** Runs fn on one connection while holding a server-wide named lock. */
  withLock<T>(name: string, fn: (s: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const LOCK_WAIT_SECONDS = 10;

// A pooled connection can die while idle (a Lambda frozen between invocations, a database
// restart). One retry on a fresh connection saves the message a 90-minute SQS round trip.
const STALE_CONNECTION = new Set([
  "ECONNRESET",
  "EPIPE",
  "PROTOCOL_CONNECTION_LOST",
  "57P01",
  "57P02",
  "57P03",
]);

function isStaleConnection(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (e.code !== undefined && STALE_CONNECTION.has(e.code)) ||
    /Connection terminated/i.test(e.message ?? "")
  );
}

async function retryOnce<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!isStaleConnection(err)) throw err;
    return fn();
  }
}

export function createSqlClient(db: DbUrl, poolSize = 4): SqlClient {
  return db.engine === "mysql" ? mysqlClient(db, poolSize) : postgresClient(db, poolSize);
}

function mysqlClient(db: DbUrl, poolSize: number): SqlClient {
  const pool = mysql.createPool({
    uri: db.url,
    connectionLimit: poolSize,
    charset: "utf8mb4",
    supportBigNumbers: true,
    dateStrings: true,
    multipleStatements: false,
    enableKeepAlive: true,
    // Close idle connections before a server or NAT timeout silently does.
    maxIdle: 1,
    idleTimeout: 60_000,
  });
  const run = async <T>(
    c: mysql.Pool | mysql.PoolConnection,
    sql: string,
    params: unknown[] = [],
  ): Promise<SqlResult<T>> => {
    const [res] = await c.query(sql, params);
    if (Array.isArray(res)) return { rows: res as T[], affected: res.length };
    const header = res as mysql.ResultSetHeader;
    return { rows: [], affected: header.affectedRows, insertId: header.insertId };
  };
  return {
    engine: "mysql",
    label: db.label,
    query: (sql, params) => retryOnce(() => run(pool, sql, params)),
    async withLock(lockName, fn) {
      // MySQL lock names are server-wide and at most 64 characters.
      const name =
        lockName.length <= 64
          ? lockName
          : `oe:${createHash("sha1").update(lockName).digest("hex")}`;
      const conn = await pool.getConnection();
      try {
        const got = await run<{ got: number | null }>(conn, "SELECT GET_LOCK(?, ?) AS got", [
          name,
          LOCK_WAIT_SECONDS,
        ]);
        if (Number(got.rows[0]?.got) !== 1)
          throw new Error(`could not take lock ${name} in ${LOCK_WAIT_SECONDS}s`);
        try {
          return await fn({ query: (sql, params) => run(conn, sql, params) });
        } finally {
          await run(conn, "SELECT RELEASE_LOCK(?)", [name]);
        }
      } finally {
        conn.release();
      }
    },
    close: () => pool.end(),
  };
}

function postgresClient(db: DbUrl, poolSize: number): SqlClient {
  const pool = new pg.Pool({
    connectionString: db.url,
    max: poolSize,
    idleTimeoutMillis: 60_000,
    connectionTimeoutMillis: 15_000,
    keepAlive: true,
    application_name: "offline-export",
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  const run = async <T>(
    c: pg.Pool | pg.PoolClient,
    sql: string,
    params: unknown[] = [],
  ): Promise<SqlResult<T>> => {
    const res = await c.query(sql, params);
    return { rows: res.rows as T[], affected: res.rowCount ?? 0 };
  };
  return {
    engine: "postgres",
    label: db.label,
    query: (sql, params) => retryOnce(() => run(pool, sql, params)),
    async withLock(name, fn) {
      const conn = await pool.connect();
      let broken: Error | undefined;
      try {
        await run(conn, `SET lock_timeout = '${LOCK_WAIT_SECONDS}s'`);
        await run(conn, "SELECT pg_advisory_lock(hashtext($1))", [name]);
        try {
          return await fn({ query: (sql, params) => run(conn, sql, params) });
        } finally {
          await run(conn, "SELECT pg_advisory_unlock(hashtext($1))", [name]);
        }
      } catch (err) {
        broken = err as Error;
        throw err;
      } finally {
        // A connection that failed mid-lock is discarded so no lock can leak with it.
        conn.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
