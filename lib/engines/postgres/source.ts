import type { Readable } from "node:stream";
import pg from "pg";
import type { DbUrl } from "../../db/url.js";
import type { StopOutcome } from "../../failure/kinds.js";
import {
  BATCH_BYTES,
  BATCH_ROWS,
  MAX_PLAN_BYTES,
  MAX_ROW_BYTES,
} from "../../sources/row-limits.js";
import { StatementLimit } from "../../sources/statement-limit.js";
import { createStopper, STOP_BOUND_MS } from "../../sources/stop.js";
import { failFast, onceClose } from "../../sources/streams.js";
import type { Column, DataSource, RenderedStream, SourceOptions } from "../../sources/types.js";
import { copyOut } from "./copy-out.js";
import { copyableSql, copyStatement } from "./copy-sql.js";
import { describeColumns } from "./describe-columns.js";
import { checkPlanFunctions } from "./plan-functions.js";
import { RenderedRowQuery } from "./rendered-rows.js";
import { RowQuery } from "./row-query.js";
import { postgresStopTarget } from "./stop.js";
import { guardPgSocket } from "./wire-guard.js";

// COPY output is buffered up to this many bytes ahead of a slow upload.
const COPY_BUFFER_BYTES = 1024 * 1024;

// A task waiting for a lock (a schema change holding its table) fails in seconds instead of
// waiting out its whole time limit.
const LOCK_TIMEOUT_MS = 5000;

export function postgresSource(db: DbUrl, o: SourceOptions): DataSource {
  const timeoutMs = o.statementTimeoutSeconds * 1000;
  const stopper = createStopper({ hasMonitor: o.monitor !== undefined, log: o.log });
  const urls = { monitor: o.monitor?.url, data: db.url };

  /**
   * A connection inside a read-only transaction with the statement timeout set and
   * standard_conforming_strings pinned on (the guard and the COPY wrapper lex that way).
   * `limit` is the worker's own clock on it, which stops its running query from a second
   * connection (stop.ts), once; `close` never waits for the query.
   */
  async function begin(): Promise<{
    client: pg.Client;
    limit: StatementLimit;
    closeWhen: (rows: Readable) => () => Promise<void>;
  }> {
    // Settings go inside the transaction, not in startup options, so PgBouncer (which refuses
    // unknown startup parameters) works too.
    const client = new pg.Client({
      connectionString: db.url,
      application_name: "offline-export-worker",
      // An unreachable host fails the task in seconds instead of hanging until the Lambda dies.
      connectionTimeoutMillis: 15_000,
    });
    // Connection errors surface through the row stream; this only stops an unhandled 'error'.
    client.on("error", () => {});
    await client.connect();
    let stopping: Promise<StopOutcome> | undefined;
    const stop = () => {
      stopping ??= stopper(postgresStopTarget(client, urls, db.label));
      return stopping;
    };
    const closeWhen = (rows: Readable) =>
      onceClose(async () => {
        if (rows.readableEnded) {
          await client.query("ROLLBACK").catch(() => {});
        } else {
          // Mid-query: a ROLLBACK would queue behind it. Stop it and drop the connection (the
          // server rolls back); nothing is left running or idle in a transaction.
          await stop();
        }
        await client.end();
      }, STOP_BOUND_MS);
    try {
      await client.query("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
      await client.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
      await client.query(`SET LOCAL lock_timeout = ${LOCK_TIMEOUT_MS}`);
      // A worker that dies mid-export must not hold a transaction open on the server.
      await client.query(`SET LOCAL idle_in_transaction_session_timeout = ${timeoutMs}`);
      await client.query("SET LOCAL standard_conforming_strings = on");
      return { client, limit: new StatementLimit(o.statementTimeoutSeconds, stop), closeWhen };
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
  }

  /**
   * Sends the task SQL: first the server-side function check (plan-functions.ts) when the
   * guard's rules are given, then `send`, all under the limit. A failure ends the session; one
   * after the limit fired is the limit's timeout.
   */
  async function checked<T>(
    client: pg.Client,
    limit: StatementLimit,
    sql: string,
    send: () => T | Promise<T>,
  ): Promise<T> {
    try {
      if (o.functionRules)
        await checkPlanFunctions(client, sql, o.functionRules, {
          planBytes: o.maxPlanBytes ?? MAX_PLAN_BYTES,
          maxRowBytes: o.maxRowBytes ?? MAX_ROW_BYTES,
        });
      return await send();
    } catch (err) {
      const failure = await limit.failure(err);
      await client.end().catch(() => {});
      throw failure;
    }
  }

  return {
    label: db.label,
    async open(sql) {
      const { client, limit, closeWhen } = await begin();
      await checked(client, limit, sql, () => undefined);
      // The extended protocol runs exactly one statement ("a; b" is refused by the server), so
      // the row query needs no separate proof; only COPY goes over the simple protocol
      // (copy-out.ts). Every column comes as PostgreSQL's own text output (timestamps, numerics,
      // booleans as psql shows them); the query reports the server's own error (57P01 on a restart).
      const query = client.query(
        new RowQuery(sql, { bytes: BATCH_BYTES, rows: o.batchRows ?? BATCH_ROWS }),
      );
      const rows = watched(client, limit, query.rows, true);
      return { rows, close: closeWhen(rows), columns: query.columns };
    },

    /**
     * The fast paths, for CSV (and what is made from it). First COPY: the server writes the CSV
     * itself (`COPY (sql) TO STDOUT`), several times faster than decoding rows in JavaScript (npm
     * run bench); only when switched on (PG_COPY) and for SQL that passes copyableSql's first
     * filter. The server proves the wrapped text is one statement (copy-out.ts). Otherwise the
     * row query with its DataRow bytes rendered as CSV (rendered-rows.ts; PG_FAST_PATH). Neither:
     * undefined, and the caller uses open().
     */
    async openRendered(sql, rendering): Promise<RenderedStream | undefined> {
      if (rendering !== "rfc4180-csv") return undefined;
      const body = o.serverRendering === false ? undefined : copyableSql(sql);
      if (body === undefined) return o.renderRows === false ? undefined : renderedRows(sql);
      const { client, limit, closeWhen } = await begin();
      // The columns' types first (COPY sends none): long digits apply to text columns only.
      let columns: Column[] = [];
      const copy = await checked(client, limit, body, async () => {
        columns = await describeColumns(client, body);
        return copyOut(client, copyStatement(body));
      });
      const bytes = watched(client, limit, copy, false);
      return { bytes, close: closeWhen(bytes), columns: Promise.resolve(columns) };
    },
  };

  /** The row query as open() runs it, read as CSV bytes (rendered-rows.ts). */
  async function renderedRows(sql: string): Promise<RenderedStream> {
    const { client, limit, closeWhen } = await begin();
    await checked(client, limit, sql, () => undefined);
    const query = client.query(new RenderedRowQuery(sql, COPY_BUFFER_BYTES));
    const bytes = watched(client, limit, query.bytes, false);
    return { bytes, close: closeWhen(bytes), columns: query.columns };
  }

  /**
   * The query's stream as the caller reads it: failing fast, bounded by the wire guard and
   * timed by the limit. Rows travel in batches already bounded in bytes: one waits. Bytes
   * (COPY's or rendered) buffer by size.
   */
  function watched(
    client: pg.Client,
    limit: StatementLimit,
    inner: Readable,
    objectMode: boolean,
  ): Readable {
    const highWaterMark = objectMode ? 1 : COPY_BUFFER_BYTES;
    const stream = failFast(inner, { objectMode, highWaterMark, flush: limit.flush }, client);
    guardPgSocket(client, stream, o.maxRowBytes ?? MAX_ROW_BYTES);
    limit.watch(stream);
    return stream;
  }
}
