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

/** MySQL/MariaDB, lexed with sql_mode pinned (backslash escapes on, ANSI_QUOTES off). */
export const mysqlGuard: GuardRules = {
  lex: {
    hashComments: true,
    dashDashNeedsSpace: true,
    nestedComments: false,
    executableComments: true,
    dollarQuotes: false,
    escapeStrings: false,
    backslashEscapes: true,
    doubleQuoteStrings: true,
    backtickIdentifiers: true,
  },
  refuseFunction(name) {
    return REFUSED.find(([re]) => re.test(name))?.[1];
  },
};
