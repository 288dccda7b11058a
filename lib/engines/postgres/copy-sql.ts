import { wrappableSql } from "../../sources/wrappable.js";
import { postgresGuard } from "./guard.js";

/**
 * Whether task SQL may be wrapped as `COPY (<sql>) TO STDOUT`, and the SQL to wrap (trailing
 * semicolons removed). Undefined means "use the cursor path": the caller falls back.
 *
 * The lexer's check is a first filter (wrappable.ts). The proof is the server's: copyOut
 * (copy-out.ts) has the wrapped text parsed as one statement before it goes over the simple
 * query protocol, so a lexer that reads a comment or string differently from the server cannot
 * smuggle a second statement.
 */
export function copyableSql(sql: string): string | undefined {
  return wrappableSql(sql, postgresGuard.lex);
}

/** The COPY statement for SQL that copyableSql accepted; newlines end a trailing `--` comment. */
export function copyStatement(body: string): string {
  return `COPY (\n${body}\n) TO STDOUT WITH (FORMAT csv)`;
}
