import type { Dialect } from "../dialect.js";
import { mysqlClient } from "./client.js";
import { classifyMysql } from "./errors.js";
import { mysqlGuard } from "./guard.js";
import { mysqlQuoteIdent } from "./quote.js";
import { mysqlRoleFacts, mysqlTaskTableSeenFrom } from "./role.js";
import { mysqlSchema } from "./schema.js";
import { mysqlSliceKeys } from "./slice-keys.js";
import { mysqlSource } from "./source.js";

/** MySQL 8 and MariaDB 10.x, through mysql2. */
export const mysqlDialect: Dialect = {
  engine: "mysql",
  quoteIdent: mysqlQuoteIdent,
  sql: {
    placeholder: () => "?",
    now: "NOW()",
    secondsBetween: (a, b) => `TIMESTAMPDIFF(SECOND, ${a}, ${b})`,
    secondsAgo: (p) => `(NOW() - INTERVAL ${p} SECOND)`,
    secondsLater: (p) => `(NOW() + INTERVAL ${p} SECOND)`,
    // DATETIME holds the session zone's wall time; UNIX_TIMESTAMP reads it in that zone.
    epochSeconds: (expr) => `UNIX_TIMESTAMP(${expr})`,
    // The usual collations match "Alice" and "alice " to "alice": compare the bytes.
    sameText: (a, b) => `CAST(${a} AS BINARY) = CAST(${b} AS BINARY)`,
    asText: (expr) => `CAST(${expr} AS CHAR)`,
    returningId: () => "",
  },
  schema: mysqlSchema,
  createClient: mysqlClient,
  createSource: mysqlSource,
  guard: mysqlGuard,
  sliceKeys: mysqlSliceKeys,
  classify: classifyMysql,
  roleFacts: mysqlRoleFacts,
  taskTableSeenFrom: mysqlTaskTableSeenFrom,
  isMissingTable: (err) => (err as { code?: string } | null)?.code === "ER_NO_SUCH_TABLE",
};
