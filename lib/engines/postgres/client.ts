import pg from "pg";
import {
  LOCK_WAIT_SECONDS,
  retryOnce,
  type SqlClient,
  type SqlResult,
} from "../../db/sql-client.js";
import type { DbUrl } from "../../db/url.js";
import type { ClientOptions } from "../dialect.js";

/** A pooled PostgreSQL client; named locks are advisory locks on the name's hash. */
export function postgresClient(db: DbUrl, o: ClientOptions): SqlClient {
  const pool = new pg.Pool({
    connectionString: db.url,
    max: o.poolSize,
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
    engine: db.engine,
    label: db.label,
    query: (sql, params) => retryOnce(() => run(pool, sql, params), o.isStaleConnection),
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
    async transaction(fn) {
      const conn = await pool.connect();
      let broken: Error | undefined;
      try {
        await run(conn, "BEGIN");
        await run(conn, `SET LOCAL lock_timeout = '${LOCK_WAIT_SECONDS}s'`);
        const out = await fn({ query: (sql, params) => run(conn, sql, params) });
        await run(conn, "COMMIT");
        return out;
      } catch (err) {
        await run(conn, "ROLLBACK").catch((e: Error) => {
          broken = e;
        });
        throw err;
      } finally {
        conn.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
