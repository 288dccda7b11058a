import type { SqlSession } from "../db/sql-client.js";
import type { DbClient } from "../engines/dialect.js";
import type { TableName } from "../identifiers.js";
import { ensureCompanionTables } from "./control.js";

export interface MigrationReport {
  created: boolean;
  added: string[];
  widened: string[];
  indexed: boolean;
}

/**
 * Creates the task table, or upgrades the seed's table in place. Idempotent: it looks at
 * information_schema and only changes what is missing (MySQL 8 has no ADD COLUMN IF NOT EXISTS).
 */
export async function migrate(db: DbClient, table: TableName): Promise<MigrationReport> {
  const { schema } = db.dialect;
  // Everything on the locked session: a second pool connection may not exist (pool of one).
  const readColumns = async (s: SqlSession) => {
    const { text, values } = schema.columns(table);
    const res = await s.query<{ name: string; type: string }>(text, values);
    return new Map(res.rows.map((r) => [r.name.toLowerCase(), r.type.toLowerCase()]));
  };
  const migrated = await db.withLock(
    `offline-export:migrate:${table.schema ?? ""}.${table.name}`,
    async (s) => {
      const report: MigrationReport = { created: false, added: [], widened: [], indexed: false };
      let cols = await readColumns(s);
      if (cols.size === 0) {
        await s.query(schema.create(table));
        report.created = true;
        cols = await readColumns(s);
      }
      for (const [name, ddl] of schema.addColumns) {
        if (!cols.has(name)) {
          await s.query(schema.addColumn(table, name, ddl));
          report.added.push(name);
        }
      }
      for (const [name, ddl] of schema.widenColumns) {
        const type = cols.get(name);
        if (type !== undefined && schema.narrowTypes.includes(type)) {
          await s.query(schema.widenColumn(table, name, ddl));
          report.widened.push(name);
        }
      }
      const index = `${table.name.slice(0, 40)}_status_id_idx`;
      const ix = schema.indexes(table);
      const existing = await s.query<{ name: string }>(ix.text, ix.values);
      if (!existing.rows.some((r) => r.name === index)) {
        await s.query(schema.createIndex(table, index));
        report.indexed = true;
      }
      return report;
    },
  );
  await ensureCompanionTables(db, table);
  return migrated;
}
