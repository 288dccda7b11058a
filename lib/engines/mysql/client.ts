import { createHash } from "node:crypto";
import mysql from "mysql2/promise";
import {
  LOCK_WAIT_SECONDS,
  retryOnce,
  type SqlClient,
  type SqlResult,
} from "../../db/sql-client.js";
import type { DbUrl } from "../../db/url.js";
import type { ClientOptions } from "../dialect.js";
import { PIN_SQL_MODE } from "./session.js";

/** A pooled MySQL/MariaDB client; named locks are GET_LOCK. */
export function mysqlClient(db: DbUrl, o: ClientOptions): SqlClient {
  const pool = mysql.createPool({
    uri: db.url,
    connectionLimit: o.poolSize,
    charset: "utf8mb4",
    supportBigNumbers: true,
    dateStrings: true,
    multipleStatements: false,
    enableKeepAlive: true,
    // Close idle connections before a server or NAT timeout silently does.
    maxIdle: 1,
    idleTimeout: 60_000,
  });
  // Runs before the pool hands the new connection out (commands on a connection are ordered);
  // a connection that cannot be pinned is destroyed, so its first real query fails loudly.
  pool.pool.on("connection", (conn) => {
    conn.query(PIN_SQL_MODE, (err: unknown) => {
      if (err) conn.destroy();
    });
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
    engine: db.engine,
    label: db.label,
    query: (sql, params) => retryOnce(() => run(pool, sql, params), o.isStaleConnection),
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
    async transaction(fn) {
      const conn = await pool.getConnection();
      let broken = false;
      try {
        await run(conn, "SET SESSION innodb_lock_wait_timeout = ?", [LOCK_WAIT_SECONDS]);
        await run(conn, "START TRANSACTION");
        const out = await fn({ query: (sql, params) => run(conn, sql, params) });
        await run(conn, "COMMIT");
        return out;
      } catch (err) {
        await run(conn, "ROLLBACK").catch(() => {
          broken = true;
        });
        throw err;
      } finally {
        // A connection whose ROLLBACK failed may still hold locks: never hand it out again.
        if (broken) conn.destroy();
        else conn.release();
      }
    },
    close: () => pool.end(),
  };
}
