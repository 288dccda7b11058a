import type { Column, ColumnKind } from "../../sources/types.js";

// mysql2's column types (the protocol's MYSQL_TYPE_* codes).
const KINDS: Record<number, ColumnKind> = {
  0: "number", // DECIMAL
  1: "number", // TINY
  2: "number", // SHORT
  3: "number", // LONG
  4: "number", // FLOAT
  5: "number", // DOUBLE
  7: "timestamp",
  8: "number", // LONGLONG
  9: "number", // INT24
  10: "date",
  11: "time",
  12: "timestamp", // DATETIME
  13: "number", // YEAR
  14: "date", // NEWDATE
  15: "text", // VARCHAR
  246: "number", // NEWDECIMAL
  247: "text", // ENUM
  248: "text", // SET
  249: "text", // TINY_BLOB / TINYTEXT
  250: "text", // MEDIUM_BLOB / MEDIUMTEXT
  251: "text", // LONG_BLOB / LONGTEXT
  252: "text", // BLOB / TEXT
  253: "text", // VAR_STRING
  254: "text", // STRING
};

/**
 * The types the row path reads as bytes (source.ts rawText: UTF-8 text, else a hex literal) and
 * the fast path checks the same way (csv-rows.ts), by mysql2's names for them.
 */
export const BYTE_TYPE_NAMES = [
  "STRING",
  "VAR_STRING",
  "BLOB",
  "TINY_BLOB",
  "MEDIUM_BLOB",
  "LONG_BLOB",
] as const;

// The binary character set: a BLOB or VARBINARY column rather than text.
const BINARY_CHARSET = 63;

/** mysql2's field packets as columns; binary strings are "binary", unknown types "other". */
export function mysqlColumns(
  fields: readonly { name: string; columnType: number; characterSet: number }[],
): Column[] {
  return fields.map((f) => {
    const kind = KINDS[f.columnType] ?? "other";
    return {
      name: f.name,
      kind: kind === "text" && f.characterSet === BINARY_CHARSET ? "binary" : kind,
    };
  });
}
