import type { Readable } from "node:stream";
import type mysql from "mysql2";
import {
  type BatchLimits,
  rowBatchStream,
  VALUE_OVERHEAD_BYTES,
} from "../../sources/row-batches.js";
import type { Column, Row } from "../../sources/types.js";
import { mysqlColumns } from "./column-kinds.js";

type MysqlField = Parameters<typeof mysqlColumns>[0][number];

/** A row's size for batching: its characters, and each value's overhead. */
function rowBytes(row: Row): number {
  let bytes = 0;
  for (const v of row) bytes += VALUE_OVERHEAD_BYTES + (typeof v === "string" ? v.length : 0);
  return bytes;
}

/**
 * The query's rows in batches by bytes (sources/row-batches.ts), the connection paused while
 * the reader is behind, instead of mysql2's query stream, whose high-water mark counts rows.
 */
export function mysqlRowBatches(
  conn: mysql.Connection,
  sql: string,
  limits: BatchLimits,
): { rows: Readable; columns: Promise<Column[]> } {
  const out = rowBatchStream(limits, { pause: () => conn.pause(), resume: () => conn.resume() });
  let setColumns: (c: Column[]) => void = () => {};
  const columns = new Promise<Column[]>((resolve) => {
    setColumns = resolve;
  });
  conn
    .query(sql)
    .on("fields", (fields) => setColumns(mysqlColumns(fields as unknown as MysqlField[])))
    .on("result", (row) => out.row(row as unknown as Row, rowBytes(row as unknown as Row)))
    .on("end", () => {
      setColumns([]);
      out.end();
    })
    .on("error", (err) => {
      setColumns([]);
      out.fail(err);
    });
  return { rows: out.stream, columns };
}
