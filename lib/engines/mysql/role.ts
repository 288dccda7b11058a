import type { SqlClient } from "../../db/sql-client.js";
import { type DbUrl, databaseOf, sameServer } from "../../db/url.js";
import type { TableName } from "../../identifiers.js";
import type { Power, RoleFacts } from "../dialect.js";
import { readableTables, tableText } from "../readable.js";
import { mysqlQuoteIdent } from "./quote.js";

const WRITE =
  /\b(ALL PRIVILEGES|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|INDEX|EXECUTE|CREATE ROUTINE|EVENT|TRIGGER)\b/;

// Global privileges that reach past the data an export reads, and what each reaches.
const POWERS: [privilege: string, pattern: RegExp, reaches: string][] = [
  ["FILE", /\bFILE\b/, "files on the database server"],
  ["PROCESS", /\bPROCESS\b/, "other sessions' SQL (SHOW PROCESSLIST)"],
  ["SUPER", /\bSUPER\b/, "other sessions (KILL) and server settings"],
  ["CONNECTION ADMIN", /\bCONNECTION[ _]ADMIN\b/, "other sessions (KILL)"],
  [
    "SELECT ON *.*",
    /^GRANT (.*\b)?SELECT\b.* ON \*\.\* /,
    "every database: the task table and the user table's password hashes",
  ],
];

/** What the connected MySQL/MariaDB user may do, from SHOW GRANTS. */
export async function mysqlRoleFacts(db: SqlClient, taskTables: TableName[]): Promise<RoleFacts> {
  const who = await db.query<{ u: string }>("SELECT CURRENT_USER() AS u");
  const grants = await db.query<Record<string, string>>("SHOW GRANTS");
  const lines = grants.rows.map((r) => String(Object.values(r)[0]));
  const global = lines.filter((l) => / ON \*\.\* /.test(l));
  const has = (re: RegExp) => lines.filter((l) => re.test(l));
  const modes = await db.query<{ g: string }>("SELECT @@GLOBAL.sql_mode AS g");
  const unusual = String(modes.rows[0]?.g ?? "")
    .split(",")
    .filter((m) => ["NO_BACKSLASH_ESCAPES", "ANSI_QUOTES", "ANSI"].includes(m));
  const user = String(who.rows[0]?.u ?? "");
  const account = accountOf(user);
  const all = global.some((l) => /\bALL PRIVILEGES\b/.test(l));
  const powers: Power[] = POWERS.filter(([, re]) => all || global.some((l) => re.test(l))).map(
    ([held, , reaches]) => ({
      held,
      reaches,
      fix:
        held === "SELECT ON *.*"
          ? `REVOKE SELECT ON *.* FROM ${account}; then GRANT SELECT ON <data database>.* TO ${account};`
          : `REVOKE ${held} ON *.* FROM ${account};`,
    }),
  );
  const readable = await readableTables(db, mysqlQuoteIdent, taskTables);
  return {
    user,
    superuser: global.some((l) => /\b(ALL PRIVILEGES|SUPER)\b/.test(l)),
    powers,
    // MySQL cannot revoke one table out of a database-wide grant: grant the data tables instead.
    readsTaskTables: readable.map((t) => ({
      held: `SELECT on ${tableText(t)}`,
      reaches: "every task's SQL and download link",
      fix: `REVOKE SELECT ON ${t.schema ?? "<task database>"}.* FROM ${account}; then GRANT SELECT on each data table (or on a database without the task table) instead: MySQL cannot except one table from a database-wide grant`,
    })),
    writes: has(WRITE).map((l) => {
      const on = / ON (\S+) TO (\S+)/.exec(l);
      const privileges = /^GRANT (.*?) ON /.exec(l)?.[1] ?? "";
      const what = privileges.length > 40 ? `${privileges.slice(0, 40)}...` : privileges;
      return on
        ? `${what} on ${on[1]}${on[2] === "PUBLIC" ? " (granted to PUBLIC)" : ""}`
        : l.slice(0, 80);
    }),
    // A user without PROCESS still sees its own threads' statements in the process list, and
    // every task runs as this one user: MySQL has no per-session way to hide them.
    seesOthersSql: {
      why: "tasks share this user, and a user sees its own sessions' statements in SHOW PROCESSLIST (MySQL cannot hide them)",
      fix: "keep secrets out of task SQL, or give groups of creators data users of their own (README: The data role)",
    },
    unusualSettings: unusual.map(
      (m) => `sql_mode has ${m} (the product pins its own sessions; the PHP app's may differ)`,
    ),
  };
}

/** 'user'@'host' from CURRENT_USER()'s user@host. */
function accountOf(current: string): string {
  const at = current.lastIndexOf("@");
  const name = at === -1 ? current : current.slice(0, at);
  const host = at === -1 ? "%" : current.slice(at + 1);
  const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return `${q(name)}@${q(host)}`;
}

/** On one MySQL server every database is reachable by name: the task table as `db`.`table`. */
export function mysqlTaskTableSeenFrom(
  taskDb: DbUrl,
  dataDb: DbUrl,
  table: TableName,
): TableName | undefined {
  if (!sameServer(taskDb, dataDb)) return undefined;
  return { schema: table.schema ?? databaseOf(taskDb), name: table.name };
}
