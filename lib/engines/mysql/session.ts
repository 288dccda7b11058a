/**
 * Every MySQL/MariaDB session we open runs this first. mysql2 escapes values on the client
 * with backslashes, and the task guard lexes SQL with backslash escapes and `"` as a string
 * quote: a server whose sql_mode has NO_BACKSLASH_ESCAPES or ANSI_QUOTES would read both
 * differently (a crafted msg could rewrite another task's row). Pure SQL, no values.
 */
export const PIN_SQL_MODE = `SET SESSION sql_mode = TRIM(BOTH ',' FROM ${[
  "NO_BACKSLASH_ESCAPES",
  "ANSI_QUOTES",
  "ANSI",
].reduce(
  (expr, mode) => `REPLACE(${expr}, ',${mode},', ',')`,
  "CONCAT(',', @@SESSION.sql_mode, ',')",
)})`;
