import type pg from "pg";
import { ValueTooLarge } from "../../failure/too-large.js";
import { LexError, lexSql, type Token } from "../../sources/sql-lexer.js";
import { type GuardRules, TaskSqlRejected } from "../../sources/statement-guard.js";
import { postgresGuard } from "./guard.js";
import { watchPgResponse } from "./wire-guard.js";

/**
 * Plan fields that hold names, not expressions: their text is never read for calls (an alias
 * may be any quoted text). Every other string in the plan is read as deparsed SQL.
 */
const NAME_FIELDS = new Set([
  "Node Type",
  "Parent Relationship",
  "Strategy",
  "Partial Mode",
  "Join Type",
  "Scan Direction",
  "Command",
  "Operation",
  "Relation Name",
  "Schema",
  "Alias",
  "Index Name",
  "CTE Name",
  "Subplan Name",
  // A Function Scan's function, also shown as its "Function Call".
  "Function Name",
  "Sampling Method",
  "Sort Method",
  "Sort Space Type",
  "Setop",
]);

const isOpen = (t: Token | undefined) => t?.kind === "punct" && t.value === "(";
const isName = (t: Token | undefined) => t?.kind === "word" || t?.kind === "quoted-ident";

/** Every `name(` and `schema.name(` in deparsed SQL, lower-cased, schema kept where shown. */
export function calledNames(tokens: Token[]): string[] {
  const out: string[] = [];
  for (const [i, t] of tokens.entries()) {
    if (!isName(t) || !isOpen(tokens[i + 1])) continue;
    const dot = tokens[i - 1];
    const schema = tokens[i - 2];
    const qualified = dot?.kind === "punct" && dot.value === "." && isName(schema);
    // Quoted names keep their case in the lexer; the deny-list is matched in lower case.
    const name = qualified ? `${(schema as Token).value}.${t.value}` : t.value;
    out.push(name.replace(/[A-Z]+/g, (m) => m.toLowerCase()));
  }
  return out;
}

/**
 * The functions an `EXPLAIN (VERBOSE, FORMAT JSON)` plan calls, as the server resolved them:
 * after U& escapes, quoting and search_path (a name is schema-qualified in the plan when the
 * search path would not find it), from every expression field of every node, InitPlans and
 * SubPlans included. Throws TaskSqlRejected if the plan's text cannot be read.
 */
export function planFunctions(plan: unknown): Set<string> {
  const names = new Set<string>();
  const read = (text: string) => {
    let tokens: Token[];
    try {
      tokens = lexSql(text, postgresGuard.lex);
    } catch (err) {
      if (!(err instanceof LexError)) throw err;
      throw new TaskSqlRejected(
        "The database's plan for the task's SQL could not be checked. Simplify the query.",
      );
    }
    for (const n of calledNames(tokens)) names.add(n);
  };
  const walk = (v: unknown, key: string) => {
    if (typeof v === "string") {
      if (!NAME_FIELDS.has(key)) read(v);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, key);
    } else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) walk(x, k);
    }
  };
  walk(plan, "");
  return names;
}

/**
 * Functions the task SQL calls by a `U&"..."` name that the plan does not show. EXPLAIN VERBOSE
 * leaves some expressions out (LIMIT and OFFSET counts, window frame offsets, the rows of a
 * multi-row VALUES list), where only the lexer's reading of the name judges the call; escapes
 * are where a lexer and the server are likeliest to part, so such a call is refused rather
 * than trusted to the lexer's decoding. (A `"quoted"(` name may also be a CTE or an alias with
 * column names; the lexer judges those names as written.)
 */
export function unseenEscapedCalls(taskSql: string, plan: Set<string>): string[] {
  let tokens: Token[];
  try {
    tokens = lexSql(taskSql, postgresGuard.lex);
  } catch {
    return [];
  }
  const shown = new Set([...plan].map((n) => n.replace(/^.*\./, "")));
  const escaped = (t: Token) => /^u&/i.test(taskSql.slice(t.start, t.start + 2));
  return tokens
    .filter(
      (t, i) =>
        t.kind === "quoted-ident" && escaped(t) && isOpen(tokens[i + 1]) && !shown.has(t.value),
    )
    .map((t) => t.value);
}

/**
 * Refuses task SQL whose plan calls a function the engine's guard refuses, judged by the names
 * the server resolved (statement-guard.ts judges the spelling). EXPLAIN goes over the extended
 * protocol (one statement) on the data session itself: inside its read-only transaction, under
 * its statement timeout, as the data user, because planning may run immutable functions (and
 * stable ones, to estimate) whose arguments are constants.
 */
export async function checkPlanFunctions(
  client: pg.Client,
  sql: string,
  rules: GuardRules,
  limits: { planBytes: number; maxRowBytes: number },
): Promise<void> {
  const config = { text: `EXPLAIN (VERBOSE, FORMAT JSON)\n${sql}`, queryMode: "extended" };
  // The plan shows folded constants whole (repeat('x', 300000000) becomes its result), so it
  // is watched like a row: a plan the worker cannot hold is refused before the driver reads it.
  // An error quoting a huge value (a failed cast folded while planning) is refused as for rows.
  const { planBytes, maxRowBytes } = limits;
  const watch = watchPgResponse(client, planBytes, maxRowBytes);
  let res: pg.QueryResult<{ "QUERY PLAN": unknown }>;
  try {
    res = await client.query<{ "QUERY PLAN": unknown }>(config as pg.QueryConfig);
  } catch (err) {
    const verdict = watch.verdict();
    if (verdict === undefined) throw err;
    if (!(verdict instanceof ValueTooLarge)) throw verdict;
    throw new TaskSqlRejected(
      `The query plan for the task's SQL is larger than ${Math.round(planBytes / 1024 ** 2)} MB (a very long constant, such as a repeat() of millions of characters, is shown in it whole), too large for the worker to check. Shorten that value in the SQL and create the task again.`,
    );
  } finally {
    watch.done();
  }
  const names = planFunctions(res.rows[0]?.["QUERY PLAN"]);
  for (const name of names) {
    const refusal = rules.refuseFunction(name);
    if (refusal !== undefined) {
      throw new TaskSqlRejected(
        `The task's SQL calls ${name.replace(/^pg_catalog\./, "")}(), which ${refusal}. Remove that call.`,
      );
    }
  }
  const unseen = unseenEscapedCalls(sql, names);
  if (unseen.length > 0) {
    throw new TaskSqlRejected(
      `The task's SQL calls a function by a U& name (${unseen[0]?.slice(0, 60)}) where the database's check cannot see it. Write the name plainly.`,
    );
  }
}
