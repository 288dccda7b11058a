/**
 * Whether task SQL can be wrapped as `COPY (<sql>) TO STDOUT` without changing what runs, and
 * the SQL to wrap (trailing semicolons removed). Undefined means "use the cursor path": the
 * caller falls back, so this only has to be sure when it says yes.
 *
 * COPY goes over the simple query protocol, which runs several statements; the cursor path's
 * extended protocol does not. Wrapping is safe only if the task SQL cannot close the bracket
 * we open (`SELECT 1) TO '/file' --`) nor end the statement (`...; COMMIT; DELETE ...`). So:
 * brackets must balance and never go below zero, no `;` except at the very end, and anything
 * this scanner does not fully understand (dollar quotes, E'' strings with backslash escapes,
 * nested comments, backslashes or `$` outside strings) makes it say no.
 */
export function copyableSql(sql: string): string | undefined {
  const n = sql.length;
  let depth = 0;
  let end = n;
  let i = 0;
  while (i < n) {
    const c = sql[i] as string;
    if (c === "'" || c === '"') {
      if (c === "'" && i > 0 && /[eE]/.test(sql[i - 1] as string) && !/\w/.test(sql[i - 2] ?? " "))
        return undefined; // E'...': backslash escapes
      i += 1;
      for (;;) {
        if (i >= n) return undefined; // unterminated
        if (sql[i] === c) {
          if (sql[i + 1] === c) {
            i += 2;
            continue;
          }
          break;
        }
        i += 1;
      }
      i += 1;
      continue;
    }
    if (c === "-" && sql[i + 1] === "-") {
      const nl = sql.indexOf("\n", i);
      i = nl === -1 ? n : nl + 1;
      continue;
    }
    if (c === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2);
      if (close === -1 || sql.slice(i + 2, close).includes("/*")) return undefined;
      i = close + 2;
      continue;
    }
    if (c === "$" || c === "\\") return undefined;
    if (c === "(") depth += 1;
    if (c === ")") {
      depth -= 1;
      if (depth < 0) return undefined;
    }
    if (c === ";") {
      if (!/^[\s;]*$/.test(sql.slice(i))) return undefined;
      end = i;
      break;
    }
    i += 1;
  }
  if (depth !== 0) return undefined;
  const body = sql.slice(0, end);
  return body.trim() === "" ? undefined : body;
}

/** The COPY statement for SQL that copyableSql accepted; newlines end a trailing `--` comment. */
export function copyStatement(body: string): string {
  return `COPY (\n${body}\n) TO STDOUT WITH (FORMAT csv)`;
}
