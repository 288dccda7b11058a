import type { GuardRules } from "../../sources/statement-guard.js";

// Functions a read-only transaction still lets run, and that an export must not call.
const REFUSED: [RegExp, string][] = [
  [/^pg_(try_)?advisory_/, "takes advisory locks that other sessions use"],
  [/^pg_(cancel|terminate)_backend$/, "stops other sessions' queries"],
  [
    /^(lo_|pg_read_|pg_ls_|pg_stat_file$|pg_file_|pg_logdir_ls$)/,
    "reads or writes files or large objects on the database server",
  ],
  [/^set_config$/, "changes settings (such as the statement timeout)"],
  [/^dblink/, "runs SQL on another connection, outside the read-only transaction"],
  [/(^|_)to_xml(schema)?$|_to_xml_and_xmlschema$/, "runs SQL given as text"],
  [
    /^(pg_reload_conf|pg_rotate_logfile|pg_switch_wal|pg_promote|pg_notify|pg_create_|pg_drop_replication_slot|pg_replication_|pg_logical_|pg_stat_reset|pg_stat_statements_reset|pg_backup_|pg_log_backend_memory_contexts|pg_import_system_collations)/,
    "changes the server's state",
  ],
];

/** PostgreSQL, lexed with standard_conforming_strings pinned on. */
export const postgresGuard: GuardRules = {
  lex: {
    hashComments: false,
    dashDashNeedsSpace: false,
    nestedComments: true,
    executableComments: false,
    dollarQuotes: true,
    escapeStrings: true,
    backslashEscapes: false,
    doubleQuoteStrings: false,
    backtickIdentifiers: false,
  },
  refuseFunction(name) {
    // A schema-qualified name (pg_catalog.pg_cancel_backend, an extension's ext.dblink) is
    // judged by its function name: the same function in any schema is refused.
    const bare = name.slice(name.lastIndexOf(".") + 1);
    return REFUSED.find(([re]) => re.test(bare))?.[1];
  },
};
