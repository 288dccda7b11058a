import { isUtf8 } from "node:buffer";
import type { Readable } from "node:stream";
import mysql from "mysql2";
import type { DbUrl } from "../../db/url.js";
import type { StopOutcome } from "../../failure/kinds.js";
import { BATCH_BYTES, BATCH_ROWS, MAX_ROW_BYTES } from "../../sources/row-limits.js";
import { StatementLimit } from "../../sources/statement-limit.js";
import { createStopper, STOP_BOUND_MS } from "../../sources/stop.js";
import { failFast, onceClose } from "../../sources/streams.js";
import type { DataSource, SourceOptions } from "../../sources/types.js";
import { BYTE_TYPE_NAMES } from "./column-kinds.js";
import { mysqlRenderedRows } from "./rendered-rows.js";
import { mysqlRowBatches } from "./row-batches.js";
import { PIN_SQL_MODE } from "./session.js";
import { mysqlStopTarget } from "./stop.js";
import { guardMysqlSocket } from "./wire-guard.js";

// Seconds a task waits for a row lock (InnoDB) or a table's metadata lock (a schema change)
// before it fails, instead of waiting out its whole time limit.
const LOCK_WAIT_SECONDS = 5;

// Rendered CSV is buffered up to this many bytes ahead of a slow upload (as PostgreSQL's COPY).
const RENDERED_BUFFER_BYTES = 256 * 1024;

type TypeCastFn = Exclude<NonNullable<mysql.ConnectionOptions["typeCast"]>, boolean>;

const BYTE_TYPES = new Set<string>(BYTE_TYPE_NAMES);

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
  const stopper = createStopper({ hasMonitor: o.monitor !== undefined, log: o.log });
  const urls = { monitor: o.monitor?.url, data: db.url };
  /**
   * A connection inside a read-only transaction with the session pinned (sql_mode, the
   * statement timeout, lock waits, isolation), and the limit started just before the caller
   * sends the task SQL. `closeWhen` ends it politely after a finished result, or stops the
   * query on the server first.
   */
  async function begin(): Promise<{
    conn: mysql.Connection;
    limit: StatementLimit;
    closeWhen: (stream: Readable) => () => Promise<void>;
  }> {
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
    // KILL QUERY, then KILL CONNECTION if need be, from a second connection (stop.ts), once.
    let stopping: Promise<StopOutcome> | undefined;
    const stop = () => {
      stopping ??= stopper(mysqlStopTarget(conn, urls, db.label));
      return stopping;
    };
    try {
      await run(PIN_SQL_MODE);
      const version = (await run("SELECT VERSION() AS v")) as { v: string }[];
      await run(timeoutStatement(version[0]?.v ?? "", o.statementTimeoutSeconds));
      // A paused stream (slow upload) must not make the server drop us after 60 s.
      await run("SET SESSION net_write_timeout = 900");
      await run(`SET SESSION innodb_lock_wait_timeout = ${LOCK_WAIT_SECONDS}`);
      await run(`SET SESSION lock_wait_timeout = ${LOCK_WAIT_SECONDS}`);
      // Under SERIALIZABLE (a server default may say so) InnoDB reads take shared row locks,
      // even in a read-only transaction, and would block the application's writes.
      await run("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      await run("SET SESSION TRANSACTION READ ONLY");
      await run("START TRANSACTION READ ONLY");
    } catch (err) {
      conn.destroy();
      throw err;
    }
    // Started before the query is sent, so it never reads less than the server's clock.
    const limit = new StatementLimit(o.statementTimeoutSeconds, stop);
    const closeWhen = (stream: Readable) =>
      onceClose(async () => {
        // A finished stream ends politely; an unfinished query is killed on the server (a
        // closed socket alone leaves it running until it next writes), then cut.
        if (stream.readableEnded) await new Promise<void>((resolve) => conn.end(() => resolve()));
        else {
          await stop();
          conn.destroy();
        }
      }, STOP_BOUND_MS);
    return { conn, limit, closeWhen };
  }

  /** The stream the export reads, failing when the connection dies, guarded and limited. */
  function watched(
    conn: mysql.Connection,
    limit: StatementLimit,
    inner: Readable,
    objectMode: boolean,
  ): Readable {
    // Rows travel in batches already bounded in bytes: one waits. Rendered bytes buffer by size.
    const highWaterMark = objectMode ? 1 : RENDERED_BUFFER_BYTES;
    const stream = failFast(inner, { objectMode, highWaterMark, flush: limit.flush }, conn);
    guardMysqlSocket(conn, stream, o.maxRowBytes ?? MAX_ROW_BYTES);
    limit.watch(stream);
    return stream;
  }

  return {
    label: db.label,
    async open(sql) {
      const { conn, limit, closeWhen } = await begin();
      const batches = mysqlRowBatches(conn, sql, {
        bytes: BATCH_BYTES,
        rows: o.batchRows ?? BATCH_ROWS,
      });
      const rows = watched(conn, limit, batches.rows, true);
      return { rows, close: closeWhen(rows), columns: batches.columns };
    },

    /**
     * The fast path: the row packets' bytes rendered as CSV without a string per value
     * (rendered-rows.ts), the same file as the row path (a test compares them). The SQL runs
     * exactly as open() runs it; only the reading differs. Off with MYSQL_FAST_PATH=false.
     */
    async openRendered(sql, rendering) {
      if (rendering !== "rfc4180-csv" || o.serverRendering === false) return undefined;
      const { conn, limit, closeWhen } = await begin();
      const rendered = mysqlRenderedRows(conn, sql, RENDERED_BUFFER_BYTES);
      const bytes = watched(conn, limit, rendered.bytes, false);
      return { bytes, close: closeWhen(bytes), columns: rendered.columns };
    },
  };
}
