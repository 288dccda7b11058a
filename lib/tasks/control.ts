import type { SqlClient, SqlSession } from "../db/sql-client.js";
import type { Engine } from "../db/url.js";
import { DIALECTS } from "../engines/index.js";
import { companionTable, type TableName } from "../identifiers.js";

/** The one row claims, dispatch and the reaper lock (FOR UPDATE) before they touch tasks. */
export const CONTROL_ROW = "dispatch";

/** `<task table>_lock`, the control row's table. */
export function controlTable(table: TableName): TableName {
  return companionTable(table, "lock");
}

/** Inserts the control row if it is missing (idempotent, safe under concurrency). */
export async function ensureControlRow(s: SqlSession, engine: Engine, control: TableName) {
  const seed = DIALECTS[engine].schema.seedControl(control, CONTROL_ROW);
  await s.query(seed.text, seed.values);
}

/** Creates the control table `<task table>_lock` and its row (migrate, or first use). */
export async function ensureControlTable(db: SqlClient, control: TableName): Promise<void> {
  await db.query(DIALECTS[db.engine].schema.createControl(control));
  await ensureControlRow(db, db.engine, control);
}
