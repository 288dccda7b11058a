import type { SqlClient } from "../../db/sql-client.js";
import { type DbUrl, databaseOf, sameServer } from "../../db/url.js";
import type { TableName } from "../../identifiers.js";
import type { Power, RoleFacts } from "../dialect.js";
import { readableTables, tableText } from "../readable.js";
import { postgresQuoteIdent } from "./quote.js";

// Predefined roles that reach past the data an export reads, and what each reaches.
const POWER_ROLES: [role: string, reaches: string][] = [
  ["pg_read_server_files", "files on the database server"],
  ["pg_write_server_files", "files on the database server"],
  ["pg_execute_server_program", "programs on the database server"],
  ["pg_signal_backend", "other sessions (cancel or terminate their queries)"],
  ["pg_read_all_data", "every table in every schema, the task table included"],
  ["pg_write_all_data", "writes to every table"],
  ["pg_read_all_stats", "other sessions' SQL and activity"],
  ["pg_monitor", "other sessions' SQL and activity"],
];

/** What the connected PostgreSQL role may do, from the catalogues. */
export async function postgresRoleFacts(
  db: SqlClient,
  taskTables: TableName[],
): Promise<RoleFacts> {
  const me = await db.query<{ u: string; s: boolean; ta: string; scs: string }>(
    `SELECT current_user AS u, rolsuper AS s, current_setting('track_activities') AS ta,
            current_setting('standard_conforming_strings') AS scs
     FROM pg_roles WHERE rolname = current_user`,
  );
  // One round trip; unnest keeps the order of POWER_ROLES.
  const held = await db.query<{ r: string }>(
    "SELECT r FROM unnest($1::text[]) WITH ORDINALITY AS x(r, n) WHERE pg_has_role(current_user, r, 'MEMBER') ORDER BY n",
    [POWER_ROLES.map(([r]) => r)],
  );
  const writes = await db.query<{ t: string }>(
    `SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND (has_table_privilege(c.oid, 'INSERT') OR has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE'))
     ORDER BY 1 LIMIT 5`,
  );
  const create = await db.query<{ c: boolean }>(
    "SELECT has_schema_privilege('public', 'CREATE') AS c",
  );
  const row = me.rows[0];
  const user = String(row?.u ?? "");
  const who = quoteRole(user);
  const powers: Power[] = held.rows.map(({ r }) => ({
    held: r,
    reaches: POWER_ROLES.find(([name]) => name === r)?.[1] ?? "",
    fix: `REVOKE ${r} FROM ${who};`,
  }));
  const readable = await readableTables(db, postgresQuoteIdent, taskTables);
  return {
    user,
    superuser: Boolean(row?.s),
    powers,
    readsTaskTables: readable.map((t) => ({
      held: `SELECT on ${tableText(t)}`,
      reaches: "every task's SQL and download link",
      fix: `REVOKE ALL ON ${tableText(t)} FROM ${who};  -- and check ALTER DEFAULT PRIVILEGES does not grant it again`,
    })),
    writes: [
      ...writes.rows.map((r) => `INSERT/UPDATE/DELETE on ${r.t}`),
      ...(create.rows[0]?.c ? ["CREATE in schema public"] : []),
    ],
    // Sessions of one role see each other's query text in pg_stat_activity, unless the role's
    // sessions record none; only a superuser can set (or lift) that.
    seesOthersSql:
      row?.ta === "off"
        ? undefined
        : {
            why: "tasks share this role, and sessions of one role see each other's SQL in pg_stat_activity",
            fix: `ALTER ROLE ${who} SET track_activities = off;  -- as a superuser; the role cannot turn it back on`,
          },
    unusualSettings:
      row?.scs === "off"
        ? [
            "standard_conforming_strings is off for this role (the product turns it on in its sessions)",
          ]
        : [],
  };
}

function quoteRole(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** One PostgreSQL database cannot read another's tables: only the same database reaches it. */
export function postgresTaskTableSeenFrom(
  taskDb: DbUrl,
  dataDb: DbUrl,
  table: TableName,
): TableName | undefined {
  return sameServer(taskDb, dataDb) && databaseOf(taskDb) === databaseOf(dataDb)
    ? table
    : undefined;
}
