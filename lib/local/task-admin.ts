import type { DbClient } from "../engines/dialect.js";
import { quoteTable, type TableName } from "../identifiers.js";
import { STATUS } from "../status.js";
import { notExcludedType, sqlParams } from "../tasks/sql.js";

/**
 * What the PHP app and an operator do to the task table, for the demo, the local runner, the
 * benchmark and the tests. The deployed functions never insert tasks.
 */
export interface NewTask {
  name: string;
  title: string;
  query: string;
  createrName: string;
  /** JSON text for the `options` column; left out of the INSERT when undefined, as the seed's PHP does. */
  options?: string | null;
}

/** Inserts a task exactly as the PHP app does; returns its id. */
export async function insertTask(db: DbClient, table: TableName, f: NewTask): Promise<number> {
  const d = db.dialect;
  const c = d.quoteIdent;
  const { values, p } = sqlParams(d);
  const withOptions = f.options !== undefined;
  const cols = `${c("name")}, ${c("title")}, ${c("query")}, ${c("creater_name")}${withOptions ? `, ${c("options")}` : ""}`;
  const vals = `${p(f.name)}, ${p(f.title)}, ${p(f.query)}, ${p(f.createrName)}${withOptions ? `, ${p(f.options)}` : ""}`;
  const text = `INSERT INTO ${quoteTable(c, table)} (${cols}) VALUES (${vals})${d.sql.returningId(c("id"))}`;
  const res = await db.query<{ id: number | string }>(text, values);
  return Number(res.insertId ?? res.rows[0]?.id);
}

/** Pending or processing tasks (pending ones of excluded types do not count): 0 means idle. */
export async function countOpen(
  db: DbClient,
  table: TableName,
  excludeTypes: string[],
): Promise<number> {
  const d = db.dialect;
  const c = d.quoteIdent;
  const { values, p } = sqlParams(d);
  const text = `SELECT COUNT(*) AS n FROM ${quoteTable(c, table)} WHERE ${c("status")} = ${p(STATUS.processing)} OR (${c("status")} = ${p(STATUS.pending)}${notExcludedType(d, p, excludeTypes)})`;
  const res = await db.query<{ n: number | string }>(text, values);
  return Number(res.rows[0]?.n ?? 0);
}
