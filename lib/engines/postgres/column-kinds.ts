import type { Column, ColumnKind } from "../../sources/types.js";

// Type OIDs of pg_catalog's built-in types (they never change between servers).
const KINDS: Record<number, ColumnKind> = {
  16: "boolean",
  17: "binary",
  18: "text", // "char"
  19: "text", // name
  20: "number", // int8
  21: "number", // int2
  23: "number", // int4
  25: "text",
  26: "number", // oid
  700: "number", // float4
  701: "number", // float8
  1042: "text", // bpchar
  1043: "text", // varchar
  1082: "date",
  1083: "time",
  1114: "timestamp",
  1184: "timestamp", // timestamptz: the server's text keeps its offset
  1266: "time", // timetz
  1700: "number", // numeric
};

/** A RowDescription's fields as columns: built-in types by OID, anything else "other". */
export function pgColumns(fields: readonly { name: string; dataTypeID: number }[]): Column[] {
  return fields.map((f) => ({ name: f.name, kind: KINDS[f.dataTypeID] ?? "other" }));
}
