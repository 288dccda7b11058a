import { LexError, type LexOptions, lexSql, type Token } from "./sql-lexer.js";

/** An engine's part of the task-SQL guard (lib/engines/<engine>/guard.ts). */
export interface GuardRules {
  /** How the server lexes SQL, in the escape mode the source pins. */
  lex: LexOptions;
  /**
   * Why task SQL may not call this function, or undefined: `name` as the server reads it,
   * ASCII letters lower-cased, schema-qualified where the server's plan showed a schema;
   * `args`, how many arguments the call passes, where known (the lexer knows, a plan does not).
   */
  refuseFunction(name: string, args?: number): string | undefined;
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
const WRITING_WORDS = new Map([
  ["insert", writes("INSERT")],
  ["update", writes("UPDATE")],
  ["delete", writes("DELETE")],
  ["merge", writes("MERGE")],
  [
    "into",
    "The task's SQL has an INTO clause (a table, a server file or a variable); an export only reads. Remove the INTO clause.",
  ],
]);

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
  // PostgreSQL cannot receive a NUL in query text and MySQL ends comments at one: no SQL needs it.
  if (sql.includes("\0")) {
    throw new TaskSqlRejected(
      "The task's SQL contains a NUL character (code 0). Remove it; write CHR(0) or CHAR(0) for a NUL in data.",
    );
  }
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
  const { unbalanced, args } = brackets(body);
  if (unbalanced !== undefined) {
    throw new TaskSqlRejected(
      `The task's SQL has a ${unbalanced.value} at character ${unbalanced.start + 1} without its partner. Balance the brackets.`,
    );
  }
  if (first.kind !== "word" || !READING_STARTS.has(first.value)) {
    throw new TaskSqlRejected(
      `Only a single SELECT (or WITH ... SELECT) can be exported, but the task's SQL starts with ${first.value.slice(0, 40).toUpperCase()}.`,
    );
  }
  for (let i = 0; i < body.length; i += 1) {
    const t = body[i] as Token;
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
      const refusal = WRITING_WORDS.get(t.value);
      if (refusal !== undefined) throw new TaskSqlRejected(refusal);
    }
    if (next?.kind === "punct" && next.value === "(") {
      const name = t.kind === "word" ? t.value : t.value.replace(/[A-Z]+/g, (m) => m.toLowerCase());
      const refusal = rules.refuseFunction(name, args[i + 1] ?? 0);
      if (refusal !== undefined) {
        throw new TaskSqlRejected(
          `The task's SQL calls ${name}(), which ${refusal}. Remove that call.`,
        );
      }
    }
  }
}

/**
 * One pass over the brackets: the first one without its partner (`(` / `)`, `[` / `]`), and for
 * each `(` (by token index) how many comma-separated arguments it holds.
 */
function brackets(tokens: Token[]): { unbalanced: Token | undefined; args: Int32Array } {
  const args = new Int32Array(tokens.length);
  const open: number[] = [];
  for (let i = 0; i < tokens.length; i += 1) {
    const t = tokens[i] as Token;
    const v = t.kind === "punct" ? t.value : "";
    const top = open.length > 0 ? (open[open.length - 1] as number) : -1;
    if (top >= 0 && args[top] === 0 && v !== ")" && v !== "]") args[top] = 1;
    if (v === "(" || v === "[") open.push(i);
    else if (v === ")" || v === "]") {
      if (top < 0 || tokens[top]?.value !== (v === ")" ? "(" : "[")) return { unbalanced: t, args };
      open.pop();
    } else if (v === "," && top >= 0) args[top] = (args[top] as number) + 1;
  }
  return { unbalanced: open.length > 0 ? tokens[open[0] as number] : undefined, args };
}
