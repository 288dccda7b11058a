import type { GuardRules } from "../engines/dialect.js";

/** Task SQL that is refused before it reaches the database. */
export class TaskSqlRejected extends Error {
  override name = "TaskSqlRejected";
}

// What can start a statement that only reads: SELECT, WITH ... SELECT, VALUES, TABLE t.
const READING_STARTS = new Set(["select", "with", "values", "table"]);

/**
 * Defence in depth, in front of the read-only transaction. A read-only transaction stops
 * writes to tables and sequences, but not statements that write files on the database
 * server (`COPY ... TO '/file'`, `SELECT ... INTO OUTFILE`) or that are not queries at all
 * (CALL, DO, SET, LOAD DATA). The real boundary is a data-database user with SELECT only;
 * this check catches the obvious rest with a message a person can act on. The engine adds
 * its own rules (lib/engines/<engine>/guard.ts).
 */
export function checkTaskSql(rules: GuardRules, sql: string): void {
  const first = firstKeyword(rules, sql);
  if (first === undefined) throw new TaskSqlRejected("The task's SQL is empty. Write a SELECT.");
  if (!READING_STARTS.has(first)) {
    throw new TaskSqlRejected(
      `Only a single SELECT (or WITH ... SELECT) can be exported, but the task's SQL starts with ${first.toUpperCase()}.`,
    );
  }
  rules.check(sql);
}

/** The first word of the statement, lower-cased, after comments, whitespace and opening brackets. */
function firstKeyword(rules: GuardRules, sql: string): string | undefined {
  let s = sql;
  for (;;) {
    const before = s;
    s = s.replace(/^[\s(]+/, "");
    s = s.replace(/^--[^\n]*(\n|$)/, "");
    s = s.replace(/^\/\*[\s\S]*?\*\//, "");
    if (rules.hashComments) s = s.replace(/^#[^\n]*(\n|$)/, "");
    if (s === before) break;
  }
  const m = /^[a-z]+/i.exec(s);
  return m ? m[0].toLowerCase() : undefined;
}
