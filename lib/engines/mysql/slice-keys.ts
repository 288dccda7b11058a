import { keyBoundText, quotedBound } from "../../sources/key-bounds.js";
import type { SqlText } from "../../sources/types.js";

// TO_DAYS('1970-01-01').
const EPOCH_DAYS = 719528;

/**
 * Date and timestamp slice keys on MySQL and MariaDB: days from 1970-01-01, and microseconds
 * from 1970-01-01 00:00:00 on the session's clock (a TIMESTAMP column is read in the session's
 * time zone, as the export itself reads it). A bound is a string literal, which the server
 * compares as the key's own type. A date that is not on the calendar has no number (NULL),
 * which the plan refuses: the zero date, and one with a zero month or day or an impossible day
 * ('2024-00-00', '2024-02-30', stored without NO_ZERO_IN_DATE or with ALLOW_INVALID_DATES).
 * TO_DAYS and TIMESTAMPDIFF give those a day that does not sort where comparisons put them
 * ('2024-00-00' is 2023-11-30 to TO_DAYS, after 2023-12-31 to `<`), so a range from that
 * number would miss the row; a date that TO_DAYS and FROM_DAYS give back as it is has none.
 */
export const mysqlSliceKeys: Pick<
  SqlText,
  "keyAsWhole" | "keyBound" | "keyExtremes" | "countsAll"
> = {
  keyExtremes: "first-row",
  // A TIMESTAMP read in a session zone with daylight saving: a row of the hour repeated in
  // autumn can be in neither `key >= b` nor `key < b` (index against value). The column's type
  // is not known here (DATETIME reads the same), so every timestamp key pays the count.
  countsAll: (kind) => kind === "timestamp",
  keyAsWhole: (kind, e) =>
    `CASE WHEN FROM_DAYS(TO_DAYS(${e})) = DATE(${e}) THEN ${
      kind === "date"
        ? `TO_DAYS(${e}) - ${EPOCH_DAYS}`
        : `TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', ${e})`
    } END`,
  keyBound: (kind, v) => quotedBound(keyBoundText(kind, v)),
};
