import { isUtf8 } from "node:buffer";
import mysql from "mysql2";
import type { DbUrl } from "../../db/url.js";
import { BATCH_BYTES, BATCH_ROWS, MAX_ROW_BYTES } from "../../sources/row-limits.js";
import { enforceTimeout, failFast, onceClose } from "../../sources/streams.js";
import type { DataSource, SourceOptions } from "../../sources/types.js";
import { mysqlRowBatches } from "./row-batches.js";
import { PIN_SQL_MODE } from "./session.js";
import { guardMysqlSocket } from "./wire-guard.js";

type TypeCastFn = Exclude<NonNullable<mysql.ConnectionOptions["typeCast"]>, boolean>;

const BYTE_TYPES = new Set([
  "STRING",
  "VAR_STRING",
  "BLOB",
  "TINY_BLOB",
  "MEDIUM_BLOB",
  "LONG_BLOB",
]);

// Every column as the server's own text output: DATETIME as 2024-01-01 00:00:01, DECIMAL
// exactly, BIGINT without rounding. BIT comes as raw bytes, so it is shown as its number;
// binary strings that are not UTF-8 text are shown as a hex literal (0xDEAD) rather than mangled.
const rawText: TypeCastFn = (field) => {
  if (field.type === "BIT") {
    const b = field.buffer();
    return b === null ? null : BigInt(`0x${b.toString("hex") || "0"}`).toString();
  }
  if (BYTE_TYPES.has(field.type)) {
    const b = field.buffer();
    if (b === null) return null;
    // Decoding first and validating only when a replacement character shows up is the
    // common case's fast path (text columns are valid UTF-8; npm run bench).
    const text = b.toString("utf8");
    return !text.includes("\ufffd") || isUtf8(b) ? text : `0x${b.toString("hex").toUpperCase()}`;
  }
  return field.string("utf8");
};

/** MariaDB and MySQL spell the statement timeout differently (seconds vs milliseconds). */
export function timeoutStatement(serverVersion: string, seconds: number): string {
  return /mariadb/i.test(serverVersion)
    ? `SET SESSION max_statement_time = ${Number(seconds)}`
    : `SET SESSION max_execution_time = ${Number(seconds) * 1000}`;
}

export function mysqlSource(db: DbUrl, o: SourceOptions): DataSource {
  return {
    label: db.label,
    async open(sql) {
      const conn = mysql.createConnection({
        uri: db.url,
        charset: "utf8mb4",
        multipleStatements: false,
        rowsAsArray: true,
        typeCast: rawText,
      });
      // Errors after open surface through the row stream; this only stops an unhandled 'error'.
      conn.on("error", () => {});
      const run = (text: string) =>
        new Promise<unknown>((resolve, reject) =>
          conn.query({ sql: text, rowsAsArray: false, typeCast: true }, (err, res) =>
            err ? reject(err) : resolve(res),
          ),
        );
      // KILL QUERY from a second connection: the same user may stop its own session's query.
      const cancel = async () => {
        const id = conn.threadId;
        if (!Number.isSafeInteger(id)) return;
        const other = mysql.createConnection({ uri: db.url, connectTimeout: 5000 });
        other.on("error", () => {});
        await new Promise<void>((resolve) => other.query("KILL QUERY ?", [id], () => resolve()));
        other.destroy();
      };
      try {
        await run(PIN_SQL_MODE);
        const version = (await run("SELECT VERSION() AS v")) as { v: string }[];
        await run(timeoutStatement(version[0]?.v ?? "", o.statementTimeoutSeconds));
        // A paused stream (slow upload) must not make the server drop us after 60 s.
        await run("SET SESSION net_write_timeout = 900");
        await run("SET SESSION TRANSACTION READ ONLY");
        await run("START TRANSACTION READ ONLY");
        const batches = mysqlRowBatches(conn, sql, {
          bytes: BATCH_BYTES,
          rows: o.batchRows ?? BATCH_ROWS,
        });
        const rows = failFast(batches, { objectMode: true, highWaterMark: 1 }, conn);
        guardMysqlSocket(conn, rows, o.maxRowBytes ?? MAX_ROW_BYTES);
        enforceTimeout(rows, o.statementTimeoutSeconds, cancel);
        const close = onceClose(async () => {
          // A finished stream ends politely; an unfinished query is killed on the server (a
          // closed socket alone leaves it running until it next writes), then cut.
          if (rows.readableEnded) await new Promise<void>((resolve) => conn.end(() => resolve()));
          else {
            await cancel();
            conn.destroy();
          }
        });
        return { rows, close };
      } catch (err) {
        conn.destroy();
        throw err;
      }
    },
  };
}
