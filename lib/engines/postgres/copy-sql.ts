import { LexError, lexSql, type Token } from "../../sources/sql-lexer.js";
import { postgresGuard } from "./guard.js";

const isSemicolon = (t: Token) => t.kind === "punct" && t.value === ";";

/**
 * Whether task SQL may be wrapped as `COPY (<sql>) TO STDOUT`, and the SQL to wrap (trailing
 * semicolons removed). Undefined means "use the cursor path": the caller falls back.
 *
 * A first filter only, read with the guard's lexer: brackets balance and never go below zero, no
 * `;` except at the end. The proof is the server's: copyOut (copy-out.ts) has the wrapped
 * text parsed as one statement before it goes over the simple query protocol, so a lexer that
 * reads a comment or string differently from the server cannot smuggle a second statement.
 */
export function copyableSql(sql: string): string | undefined {
  let tokens: Token[];
  try {
    tokens = lexSql(sql, postgresGuard.lex);
  } catch (err) {
    if (err instanceof LexError) return undefined;
    throw err;
  }
  let end = tokens.length;
  while (end > 0 && isSemicolon(tokens[end - 1] as Token)) end -= 1;
  let depth = 0;
  for (const t of tokens.slice(0, end)) {
    if (t.kind !== "punct") continue;
    if (t.value === ";") return undefined;
    if (t.value === "(") depth += 1;
    if (t.value === ")") {
      depth -= 1;
      if (depth < 0) return undefined;
    }
  }
  if (depth !== 0 || end === 0) return undefined;
  const body = end === tokens.length ? sql : sql.slice(0, (tokens[end] as Token).start);
  return body.trim() === "" ? undefined : body;
}

/** The COPY statement for SQL that copyableSql accepted; newlines end a trailing `--` comment. */
export function copyStatement(body: string): string {
  return `COPY (\n${body}\n) TO STDOUT WITH (FORMAT csv)`;
}
