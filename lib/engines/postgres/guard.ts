import { TaskSqlRejected } from "../../sources/statement-guard.js";
import type { GuardRules } from "../dialect.js";

/** PostgreSQL: functions that read or write files on the server run inside a read-only transaction. */
export const postgresGuard: GuardRules = {
  hashComments: false,
  check(sql) {
    if (/\b(lo_export|lo_import|pg_file_write|pg_file_unlink)\s*\(/i.test(sql)) {
      throw new TaskSqlRejected(
        "The task's SQL calls a function that writes files on the database server; exports cannot do that.",
      );
    }
  },
};
