import type { Engine } from "./url.js";

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
  /** Runs fn on one connection while holding a server-wide named lock (migrations only). */
  withLock<T>(name: string, fn: (s: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Runs fn in one transaction on one connection: committed if fn resolves, rolled back if it
   * throws. Row locks wait at most LOCK_WAIT_SECONDS.
   */
  transaction<T>(fn: (s: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** How long withLock waits for the lock before giving up. */
export const LOCK_WAIT_SECONDS = 10;

/** Runs fn; if it fails with an error `isStale` accepts, runs it once more. */
export async function retryOnce<T>(
  fn: () => Promise<T>,
  isStale: (err: unknown) => boolean,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!isStale(err)) throw err;
    return fn();
  }
}
