import { LexError, type LexOptions, lexSql, type Token } from "./sql-lexer.js";

/** An engine's part of the task-SQL guard (lib/engines/<engine>/guard.ts). */
export interface GuardRules {
  /** How the server lexes SQL, in the escape mode the source pins. */
  lex: LexOptions;
  /** Why task SQL may not call this function (lower-cased name, schema-qualified where the server showed a schema), or undefined. */
  refuseFunction(name: string): string | undefined;
}

/** Task SQL that is refused before it reaches the database. */
export class TaskSqlRejected extends Error {
  override name = "TaskSqlRejected";
}

// What can start a statement that only reads: SELECT, WITH ... SELECT, VALUES, TABLE t.
const READING_STARTS = new Set(["select", "with", "values", "table"]);

// Words that make a query write, lock or leave the result set, wherever they stand: a
// data-modifying CTE, SELECT ... INTO (a table, a file, a variable). Each with what to say.
const writes = (word: string) =>
  `The task's SQL contains ${word}; an export only reads. Remove the ${word}.`;
const WRITING_WORDS: Record<string, string> = {
  insert: writes("INSERT"),
  update: writes("UPDATE"),
  delete: writes("DELETE"),
  merge: writes("MERGE"),
  into: "The task's SQL has an INTO clause (a table, a server file or a variable); an export only reads. Remove the INTO clause.",
};

/**
 * Defence in depth in front of the read-only transaction and the SELECT-only data user. The
 * SQL is lexed as the server lexes it (sql-lexer.ts), so comments, strings and quoted names
 * cannot hide a word from this check nor make it see one that is not there. Refused: anything
 * but one SELECT / WITH / VALUES / TABLE statement; locking reads; INTO; MySQL executable
 * comments and optimizer hints (they run as SQL and can lift the time limit); functions that
 * take locks, cancel other sessions, touch server files, change settings or run other SQL
 * (the engine's list, lib/engines/<engine>/guard.ts). Each message says what to remove.
 */
export function checkTaskSql(rules: GuardRules, sql: string): void {
  let tokens: Token[];
  try {
    tokens = lexSql(sql, rules.lex);
  } catch (err) {
    if (err instanceof LexError)
      throw new TaskSqlRejected(`The task's SQL cannot be read: ${err.message}.`);
    throw err;
  }
  const hint = tokens.find((t) => t.kind === "exec-comment");
  if (hint) {
    throw new TaskSqlRejected(
      `The task's SQL contains an executable comment or optimizer hint (${hint.value.slice(0, 40)}); these run as SQL on the server. Remove it.`,
    );
  }
  // One statement: a trailing `;` is fine, anything after it is not.
  let end = tokens.length;
  while (end > 0 && tokens[end - 1]?.value === ";" && tokens[end - 1]?.kind === "punct") end -= 1;
  const body = tokens.slice(0, end);
  if (body.some((t) => t.kind === "punct" && t.value === ";")) {
    throw new TaskSqlRejected(
      "The task's SQL holds more than one statement. Export one SELECT per task.",
    );
  }
  const first = body.find((t) => !(t.kind === "punct" && t.value === "("));
  if (first === undefined) throw new TaskSqlRejected("The task's SQL is empty. Write a SELECT.");
  if (first.kind !== "word" || !READING_STARTS.has(first.value)) {
    throw new TaskSqlRejected(
      `Only a single SELECT (or WITH ... SELECT) can be exported, but the task's SQL starts with ${first.value.slice(0, 40).toUpperCase()}.`,
    );
  }
  for (const [i, t] of body.entries()) {
    if (t.kind !== "word" && t.kind !== "quoted-ident") continue;
    const next = body[i + 1];
    if (t.kind === "word") {
      const after = next?.kind === "word" ? next.value : "";
      if (t.value === "for" && ["update", "share", "no", "key"].includes(after)) {
        throw new TaskSqlRejected(
          `The task's SQL is a locking read (FOR ${after.toUpperCase()} ...), which would block the application's writes. Remove the FOR ... clause.`,
        );
      }
      if (t.value === "lock" && after === "in") {
        throw new TaskSqlRejected(
          "The task's SQL takes locks (LOCK IN SHARE MODE), which would block the application's writes. Remove that clause.",
        );
      }
      const refusal = WRITING_WORDS[t.value];
      if (refusal !== undefined) throw new TaskSqlRejected(refusal);
    }
    if (next?.kind === "punct" && next.value === "(") {
      const refusal = rules.refuseFunction(t.value);
      if (refusal !== undefined) {
        throw new TaskSqlRejected(
          `The task's SQL calls ${t.value}(), which ${refusal}. Remove that call.`,
        );
      }
    }
  }
}
