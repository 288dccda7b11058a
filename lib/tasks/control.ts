import type { SqlSession } from "../db/sql-client.js";
import type { DbClient, Dialect } from "../engines/dialect.js";
import { companionTable, type TableName } from "../identifiers.js";

/** The one row claims, dispatch and the reaper lock (FOR UPDATE) before they touch tasks. */
export const CONTROL_ROW = "dispatch";

/** `<task table>_lock`, the control row's table. */
export function controlTable(table: TableName): TableName {
  return companionTable(table, "lock");
}

/** `<task table>_slice`: one row per slice of a task split across workers (lib/slices). */
export function sliceTable(table: TableName): TableName {
  return companionTable(table, "slice");
}

/** Inserts the control row if it is missing (idempotent, safe under concurrency). */
export async function ensureControlRow(s: SqlSession, dialect: Dialect, control: TableName) {
  const seed = dialect.schema.seedControl(control, CONTROL_ROW);
  await s.query(seed.text, seed.values);
}

/** Creates the control table `<task table>_lock` and its row (migrate, or first use). */
export async function ensureControlTable(db: DbClient, control: TableName): Promise<void> {
  await db.query(db.dialect.schema.createControl(control));
  await ensureControlRow(db, db.dialect, control);
}

/**
 * The task table's companions, created if missing: the control table and its row, and the
 * slice table that the in-flight counts read (a table upgraded in place by a new worker before
 * `npm run migrate` ran gets them on first use).
 */
export async function ensureCompanionTables(db: DbClient, table: TableName): Promise<void> {
  await ensureControlTable(db, controlTable(table));
  await db.query(db.dialect.schema.createSlices(sliceTable(table)));
}
