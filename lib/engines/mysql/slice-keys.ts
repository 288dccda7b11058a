import { keyBoundText, quotedBound } from "../../sources/key-bounds.js";
import type { SqlText } from "../../sources/types.js";

// TO_DAYS('1970-01-01').
const EPOCH_DAYS = 719528;

/**
 * Date and timestamp slice keys on MySQL and MariaDB: days from 1970-01-01, and microseconds
 * from 1970-01-01 00:00:00 on the session's clock (a TIMESTAMP column is read in the session's
 * time zone, as the export itself reads it). A bound is a string literal, which the server
 * compares as the key's own type. A zero date has no number (NULL), which the plan refuses.
 */
export const mysqlSliceKeys: Pick<SqlText, "keyAsWhole" | "keyBound"> = {
  keyAsWhole: (kind, e) =>
    kind === "date"
      ? `(TO_DAYS(${e}) - ${EPOCH_DAYS})`
      : `TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', ${e})`,
  keyBound: (kind, v) => quotedBound(keyBoundText(kind, v)),
};
