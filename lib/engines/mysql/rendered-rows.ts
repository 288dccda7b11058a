import { Readable } from "node:stream";
import mysql from "mysql2";
import type { Column } from "../../sources/types.js";
import { mysqlColumns } from "./column-kinds.js";
import { CsvRows, columnPlans } from "./csv-rows.js";

type Field = Parameters<typeof mysqlColumns>[0][number] & { columnType: number };

/** The parts of mysql2's row packet and Query command this path uses (mysql2 3.x). */
interface RowPacket {
  buffer: Buffer;
  offset: number;
  end: number;
  isEOF(): boolean;
}
type State = (packet: RowPacket) => State | null;
interface QueryCommand {
  row: State;
  done(): null;
  on(event: "fields", listener: (fields: Field[] | undefined) => void): QueryCommand;
  on(event: "error", listener: (err: Error) => void): QueryCommand;
  on(event: "end", listener: () => void): QueryCommand;
}

/**
 * The query's result as RFC 4180 CSV bytes, rendered straight from the row packets (csv-rows.ts)
 * instead of a JS string per value: the MySQL fast path. The query is mysql2's own Query command
 * (sent, formatted and its result header, column definitions and errors handled exactly as
 * conn.query does for the row path); only its per-row state is replaced. The connection is
 * paused while the reader is behind.
 */
export function mysqlRenderedRows(
  conn: mysql.Connection,
  sql: string,
  bufferBytes: number,
): { bytes: Readable; columns: Promise<Column[]> } {
  let setColumns: (c: Column[]) => void = () => {};
  const columns = new Promise<Column[]>((resolve) => {
    setColumns = resolve;
  });
  const bytes = new Readable({
    highWaterMark: bufferBytes,
    read: () => conn.resume(),
  });
  let csv: CsvRows | undefined;
  let failed = false;
  const push = (chunk: Buffer | undefined) => {
    if (chunk && !bytes.push(chunk)) conn.pause();
  };
  const { createQuery } = mysql as unknown as {
    createQuery(sql: string, values: undefined, cb: undefined, config: unknown): QueryCommand;
  };
  const cmd = createQuery(sql, undefined, undefined, conn.config);
  /** Once a row could not be rendered, the rest of the result is read and dropped. */
  const drop: State = (packet) => (packet.isEOF() ? cmd.done() : drop);
  cmd.row = (packet) => {
    if (packet.isEOF()) return cmd.done();
    try {
      csv?.row(packet.buffer, packet.offset, packet.end);
    } catch (err) {
      failed = true;
      bytes.destroy(err as Error);
      return drop;
    }
    push(csv?.take());
    return cmd.row;
  };
  cmd
    .on("fields", (fields) => {
      setColumns(mysqlColumns(fields ?? []));
      csv = new CsvRows(columnPlans(fields ?? []));
    })
    .on("error", (err) => {
      failed = true;
      setColumns([]);
      bytes.destroy(err);
    })
    .on("end", () => {
      setColumns([]);
      if (failed || bytes.destroyed) return;
      // Pushed without pausing: nothing would resume the connection after the result's end
      // (the reader reads no further), and mysql2 queues what comes while paused, close()'s
      // QUIT too, which would never be sent (the row path's end resumes for the same reason).
      const rest = csv?.take(true);
      if (rest) bytes.push(rest);
      bytes.push(null);
    });
  // conn.query takes a Query command as it is: the same formatting and sending as the row path.
  conn.query(cmd as unknown as mysql.Query);
  return { bytes, columns };
}
