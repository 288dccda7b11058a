import type { SqlClient } from "../../db/sql-client.js";
import type { RoleFacts } from "../dialect.js";

const WRITE =
  /\b(ALL PRIVILEGES|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|INDEX|EXECUTE|CREATE ROUTINE|EVENT|TRIGGER)\b/;

/** What the connected MySQL/MariaDB user may do, from SHOW GRANTS. */
export async function mysqlRoleFacts(db: SqlClient): Promise<RoleFacts> {
  const who = await db.query<{ u: string }>("SELECT CURRENT_USER() AS u");
  const grants = await db.query<Record<string, string>>("SHOW GRANTS");
  const lines = grants.rows.map((r) => String(Object.values(r)[0]));
  const global = lines.filter((l) => / ON \*\.\* /.test(l));
  const has = (re: RegExp) => lines.filter((l) => re.test(l));
  const modes = await db.query<{ g: string }>("SELECT @@GLOBAL.sql_mode AS g");
  const unusual = String(modes.rows[0]?.g ?? "")
    .split(",")
    .filter((m) => ["NO_BACKSLASH_ESCAPES", "ANSI_QUOTES", "ANSI"].includes(m));
  return {
    user: String(who.rows[0]?.u ?? ""),
    superuser: global.some((l) => /\b(ALL PRIVILEGES|SUPER)\b/.test(l)),
    serverFiles: has(/\bFILE\b|ALL PRIVILEGES ON \*\.\*/).map(() => "FILE"),
    writes: has(WRITE).map((l) => {
      const on = / ON (\S+) TO (\S+)/.exec(l);
      const privileges = /^GRANT (.*?) ON /.exec(l)?.[1] ?? "";
      const what = privileges.length > 40 ? `${privileges.slice(0, 40)}...` : privileges;
      return on
        ? `${what} on ${on[1]}${on[2] === "PUBLIC" ? " (granted to PUBLIC)" : ""}`
        : l.slice(0, 80);
    }),
    unusualSettings: unusual.map(
      (m) => `sql_mode has ${m} (the product pins its own sessions; the PHP app's may differ)`,
    ),
  };
}
