import type { SqlClient } from "../../db/sql-client.js";
import type { RoleFacts } from "../dialect.js";

// Roles that reach server files and programs, or other sessions' queries.
const POWER_ROLES = [
  "pg_read_server_files",
  "pg_write_server_files",
  "pg_execute_server_program",
  "pg_signal_backend",
];

/** What the connected PostgreSQL role may do, from the catalogues. */
export async function postgresRoleFacts(db: SqlClient): Promise<RoleFacts> {
  const me = await db.query<{ u: string; s: boolean }>(
    "SELECT current_user AS u, rolsuper AS s FROM pg_roles WHERE rolname = current_user",
  );
  // One round trip; unnest keeps the order of POWER_ROLES.
  const held = await db.query<{ r: string }>(
    "SELECT r FROM unnest($1::text[]) WITH ORDINALITY AS x(r, n) WHERE pg_has_role(current_user, r, 'MEMBER') ORDER BY n",
    [POWER_ROLES],
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
  const scs = await db.query<{ v: string }>(
    "SELECT current_setting('standard_conforming_strings') AS v",
  );
  return {
    user: String(me.rows[0]?.u ?? ""),
    superuser: Boolean(me.rows[0]?.s),
    serverFiles: held.rows.map((x) => x.r),
    writes: [
      ...writes.rows.map((r) => `INSERT/UPDATE/DELETE on ${r.t}`),
      ...(create.rows[0]?.c ? ["CREATE in schema public"] : []),
    ],
    unusualSettings:
      scs.rows[0]?.v === "off"
        ? [
            "standard_conforming_strings is off for this role (the product turns it on in its sessions)",
          ]
        : [],
  };
}
