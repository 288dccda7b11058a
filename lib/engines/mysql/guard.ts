import type { GuardRules } from "../../sources/statement-guard.js";

// Named locks reach every session (the app's too); LOAD_FILE reads server files; the waits block.
const REFUSED: [RegExp, string][] = [
  [
    /^(get_lock|release_lock|release_all_locks|is_free_lock|is_used_lock)$/,
    "takes or inspects named locks that other sessions use",
  ],
  [/^load_file$/, "reads files on the database server"],
  [/^sys_(exec|eval)$/, "runs programs on the database server"],
  [
    /^(master_pos_wait|source_pos_wait|master_gtid_wait|wait_for_executed_gtid_set|wait_until_sql_thread_after_gtids)$/,
    "waits on replication",
  ],
];

// Every ASCII control character, DEL included: after `--` each one starts a comment (probed).
const CONTROLS = `${String.fromCharCode(...Array.from({ length: 32 }, (_, c) => c))}\x7f`;

/**
 * MySQL/MariaDB, lexed with sql_mode pinned (backslash escapes on, ANSI_QUOTES off); rules
 * probed on MariaDB 10.11.
 */
export const mysqlGuard: GuardRules = {
  lex: {
    whitespace: " \t\n\v\f\r",
    // A NUL ends a line comment (and is then a syntax error) as well as LF; CR does not.
    lineCommentEnds: "\n\0",
    dashDashFollowers: ` ${CONTROLS}`,
    hashComments: true,
    nestedComments: false,
    executableComments: true,
    dollarQuotes: false,
    escapeStrings: false,
    unicodeEscapes: false,
    backslashEscapes: true,
    escapeStyle: "letters",
    doubleQuoteStrings: true,
    backtickIdentifiers: true,
    atVariables: true,
    nameStartExtra: "$",
    digitNames: true,
    nameMaxBytes: 0,
    operatorChars: "<>=!|&:",
  },
  refuseFunction(name) {
    return REFUSED.find(([re]) => re.test(name))?.[1];
  },
};
