import type { GuardRules } from "../../sources/statement-guard.js";

// Functions a read-only transaction still lets run, and that an export must not call. The
// functions that run SQL given as text were found by calling every pg_catalog function that
// takes text with a query in each text argument (test/integration/lexer-differential.test.ts).
const REFUSED: [RegExp, string][] = [
  [/^pg_(try_)?advisory_/, "takes advisory locks that other sessions use"],
  [/^pg_(cancel|terminate)_backend$/, "stops other sessions' queries"],
  [
    /^(lo_|lo(read|write)$|pg_read_|pg_ls_|pg_stat_file$|pg_file_|pg_logdir_ls$)/,
    "reads or writes files or large objects on the database server",
  ],
  [/^set_config$/, "changes settings (such as the statement timeout)"],
  [/^dblink/, "runs SQL on another connection, outside the read-only transaction"],
  [/(^|_)to_xml(schema)?$|_to_xml_and_xmlschema$|^ts_stat$/, "runs SQL given as text"],
  [
    /^(pg_reload_conf|pg_rotate_logfile|pg_switch_wal|pg_promote|pg_notify|pg_create_|pg_copy_|pg_drop_replication_slot|pg_replication_|pg_logical_|pg_stat_reset|pg_stat_statements_reset|pg_backup_|pg_start_backup|pg_stop_backup|pg_wal_replay_|pg_log_backend_memory_contexts|pg_import_system_collations|pg_nextoid|pg_stop_making_pinned_objects|binary_upgrade_|brin_summarize_|brin_desummarize_range|gin_clean_pending_list)/,
    "changes the server's state",
  ],
];

/** PostgreSQL 15, lexed with standard_conforming_strings pinned on (rules probed on the server). */
export const postgresGuard: GuardRules = {
  lex: {
    whitespace: " \t\n\r\f",
    lineCommentEnds: "\n\r",
    hashComments: false,
    nestedComments: true,
    executableComments: false,
    dollarQuotes: true,
    escapeStrings: true,
    unicodeEscapes: true,
    backslashEscapes: false,
    escapeStyle: "e-string",
    doubleQuoteStrings: false,
    backtickIdentifiers: false,
    atVariables: false,
    nameStartExtra: "",
    digitNames: false,
    nameMaxBytes: 63,
    operatorChars: "~!@#^&|`?+-*/%<>=:",
  },
  refuseFunction(name, args) {
    // A schema-qualified name (pg_catalog.pg_cancel_backend, an extension's ext.dblink) is
    // judged by its function name: the same function in any schema is refused.
    const bare = name.slice(name.lastIndexOf(".") + 1);
    // ts_rewrite(query, 'SELECT ...') runs its second argument; the three-tsquery form does
    // not. Where the count is unknown (a plan), it is refused.
    if (bare === "ts_rewrite" && args !== 3) return "runs SQL given as text";
    return REFUSED.find(([re]) => re.test(bare))?.[1];
  },
};
