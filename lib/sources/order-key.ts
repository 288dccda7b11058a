import { IDENT } from "../identifiers.js";
import type { LexOptions, Token } from "./sql-lexer.js";
import { tokensOf } from "./wrappable.js";

const is = (t: Token | undefined, kind: Token["kind"], value?: string) =>
  t !== undefined && t.kind === kind && (value === undefined || t.value === value);

/**
 * The column a task's result is sorted by, when its SQL ends in `ORDER BY <column> [ASC]` at
 * the top level: the key the worker may split the task by when it outgrows one worker
 * (lib/slices/auto-slice.ts). Undefined for anything else: no top-level ORDER BY, more than one
 * sort key, DESC or NULLS, an expression, a qualified or positional key, or anything after it
 * (LIMIT, OFFSET, FETCH, FOR).
 *
 * Why that is enough: a slice is `SELECT * FROM (<task sql>) oe_slice WHERE key >= a AND key <
 * b ORDER BY key`, which returns exactly the rows of the task's result with keys in [a, b)
 * whatever the task's SQL does inside the brackets (joins, GROUP BY, window functions,
 * DISTINCT): the ranges split the result, and ascending ranges in ascending order are the
 * result in the task's own order. An unqualified name in ORDER BY means the result's column of
 * that name on both engines. What remains is the key's type and NULLs, which the plan checks;
 * a name that is no column of the result fails the plan's first query. MySQL user variables
 * (`@n := @n + 1`) count rows in execution order, which a slice restarts: refused.
 */
export function orderKey(sql: string, lex: LexOptions): string | undefined {
  const tokens = tokensOf(sql, lex);
  if (tokens === undefined) return undefined;
  while (tokens.length > 0 && is(tokens[tokens.length - 1], "punct", ";")) tokens.pop();
  if (tokens.some((t) => t.kind === "variable" || t.kind === "exec-comment")) return undefined;
  // The last top-level ORDER BY.
  let depth = 0;
  let at = -1;
  tokens.forEach((t, i) => {
    if (is(t, "punct", "(")) depth += 1;
    else if (is(t, "punct", ")")) depth -= 1;
    else if (depth === 0 && is(t, "word", "order") && is(tokens[i + 1], "word", "by")) at = i;
  });
  if (at < 0 || depth !== 0) return undefined;
  const rest = tokens.slice(at + 2);
  const [key, ...after] = rest;
  if (after.length > 1 || (after.length === 1 && !is(after[0], "word", "asc"))) return undefined;
  if (key === undefined || (key.kind !== "word" && key.kind !== "quoted-ident")) return undefined;
  return IDENT.test(key.value) ? key.value : undefined;
}
