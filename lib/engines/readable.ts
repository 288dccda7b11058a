import type { SqlClient } from "../db/sql-client.js";
import { quoteTable, type TableName } from "../identifiers.js";

/** The tables of `tables` that the connected user can SELECT from (a probe that reads no row). */
export async function readableTables(
  db: SqlClient,
  quote: (ident: string) => string,
  tables: TableName[],
): Promise<TableName[]> {
  const out: TableName[] = [];
  for (const t of tables) {
    const ok = await db.query(`SELECT 1 FROM ${quoteTable(quote, t)} WHERE 1 = 0`).then(
      () => true,
      // Permission denied, or no such table from here: either way it cannot read it.
      () => false,
    );
    if (ok) out.push(t);
  }
  return out;
}

/** schema.table or table, for messages and fixes. */
export function tableText(t: TableName): string {
  return t.schema ? `${t.schema}.${t.name}` : t.name;
}
