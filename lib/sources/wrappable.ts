import { LexError, type LexOptions, lexSql, type Token } from "./sql-lexer.js";

/** The SQL's tokens, or undefined when the lexer cannot read it (nothing is then provable). */
export function tokensOf(sql: string, lex: LexOptions): Token[] | undefined {
  try {
    return lexSql(sql, lex);
  } catch (err) {
    if (err instanceof LexError) return undefined;
    throw err;
  }
}

const isSemicolon = (t: Token) => t.kind === "punct" && t.value === ";";

/**
 * Whether task SQL may be wrapped in brackets (`COPY (<sql>) ...`, `SELECT * FROM (<sql>) t
 * ...`), and the SQL to wrap (trailing semicolons removed); undefined when it may not.
 *
 * A first filter only, read with the guard's lexer: brackets balance and never go below zero, no
 * `;` except at the end. The proof that the wrapped text is one statement is the server's (the
 * sources send it so: PostgreSQL parses it as one, MySQL runs one statement per query).
 */
export function wrappableSql(sql: string, lex: LexOptions): string | undefined {
  const tokens = tokensOf(sql, lex);
  if (tokens === undefined) return undefined;
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
