import { TaskSqlRejected } from "../../sources/statement-guard.js";
import type { GuardRules } from "../dialect.js";

/** MySQL/MariaDB: `#` comments; SELECT ... INTO OUTFILE/DUMPFILE writes a server file. */
export const mysqlGuard: GuardRules = {
  hashComments: true,
  check(sql) {
    if (/\binto\s+(outfile|dumpfile)\b/i.test(sql)) {
      throw new TaskSqlRejected(
        "SELECT ... INTO OUTFILE/DUMPFILE writes a file on the database server; exports cannot do that. Remove the INTO clause.",
      );
    }
  },
};
