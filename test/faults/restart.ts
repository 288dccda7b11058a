import { spawnSync } from "node:child_process";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";

/**
 * Restarts PostgreSQL for real when scripts/services.sh started it (a fast shutdown drops every
 * connection, as in production). Otherwise, a server we must not touch, the export's
 * connections are terminated by the server instead, which the client sees the same way.
 */
export async function restartPostgres(db: SqlClient): Promise<string> {
  const res = spawnSync("bash", ["scripts/services.sh", "restart-pg"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  if (res.status === 0) return "pg_ctl restart -m fast";
  const killed = await db.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'offline-export-worker'",
  );
  return `pg_terminate_backend x${killed.rows.length}`;
}
