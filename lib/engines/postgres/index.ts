import type { Dialect } from "../dialect.js";
import { postgresClient } from "./client.js";
import { classifyPostgres } from "./errors.js";
import { postgresGuard } from "./guard.js";
import { postgresQuoteIdent } from "./quote.js";
import { postgresRoleFacts, postgresTaskTableSeenFrom } from "./role.js";
import { postgresSchema } from "./schema.js";
import { postgresSliceKeys } from "./slice-keys.js";
import { postgresSource } from "./source.js";

/** PostgreSQL, through node-postgres (pg, pg-copy-streams). */
export const postgresDialect: Dialect = {
  engine: "postgres",
  quoteIdent: postgresQuoteIdent,
  sql: {
    placeholder: (n) => `$${n}`,
    now: "now()",
    secondsBetween: (a, b) => `CAST(EXTRACT(EPOCH FROM (${b} - ${a})) AS BIGINT)`,
    secondsAgo: (p) => `(now() - ${p} * interval '1 second')`,
    secondsLater: (p) => `(now() + ${p} * interval '1 second')`,
    epochSeconds: (expr) => `EXTRACT(EPOCH FROM ${expr})`,
    sameText: (a, b) => `${a} = ${b}`,
    asText: (expr) => `${expr}::text`,
    returningId: (id) => ` RETURNING ${id}`,
  },
  schema: postgresSchema,
  createClient: postgresClient,
  createSource: postgresSource,
  guard: postgresGuard,
  sliceKeys: postgresSliceKeys,
  classify: classifyPostgres,
  roleFacts: postgresRoleFacts,
  taskTableSeenFrom: postgresTaskTableSeenFrom,
  isMissingTable: (err) => (err as { code?: string } | null)?.code === "42P01",
};
