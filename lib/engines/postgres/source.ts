import type { Readable } from "node:stream";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import type { DbUrl } from "../../db/url.js";
import { BATCH_BYTES, BATCH_ROWS, MAX_ROW_BYTES } from "../../sources/row-limits.js";
import { enforceTimeout, failFast, onceClose } from "../../sources/streams.js";
import type { DataSource, RenderedStream, SourceOptions } from "../../sources/types.js";
import { copyableSql, copyStatement } from "./copy-sql.js";
import { RowQuery } from "./row-query.js";
import { guardPgSocket } from "./wire-guard.js";

// COPY output is buffered up to this many bytes ahead of a slow upload.
const COPY_BUFFER_BYTES = 1024 * 1024;

export function postgresSource(db: DbUrl, o: SourceOptions): DataSource {
  const timeoutMs = o.statementTimeoutSeconds * 1000;

  /**
   * A connection inside a read-only transaction with the statement timeout set and
   * standard_conforming_strings pinned on (the guard and the COPY wrapper lex that way).
   * `cancel` stops its running query from a second connection; `close` never waits for it.
   */
  async function begin(): Promise<{
    client: pg.Client;
    cancel: () => Promise<void>;
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
    const pid = (client as unknown as { processID: number }).processID;
    const cancel = async () => {
      const other = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 5000 });
      other.on("error", () => {});
      try {
        await other.connect();
        await other.query("SELECT pg_cancel_backend($1)", [pid]);
      } catch {
        // The session is gone already, or the server is: nothing left to stop.
      } finally {
        await other.end().catch(() => {});
      }
    };
    const closeWhen = (rows: Readable) =>
      onceClose(async () => {
        if (rows.readableEnded) {
          await client.query("ROLLBACK").catch(() => {});
        } else {
          // Mid-query: a ROLLBACK would queue behind it. Stop it, then drop the connection
          // (the server rolls back); nothing is left idle in a transaction.
          await cancel();
        }
        await client.end();
      });
    try {
      await client.query("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
      await client.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
      // A worker that dies mid-export must not hold a transaction open on the server.
      await client.query(`SET LOCAL idle_in_transaction_session_timeout = ${timeoutMs}`);
      await client.query("SET LOCAL standard_conforming_strings = on");
      return { client, cancel, closeWhen };
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
  }

  return {
    label: db.label,
    async open(sql) {
      const { client, cancel, closeWhen } = await begin();
      // The extended protocol runs exactly one statement: "a; b" is refused by the server.
      // Every column comes as PostgreSQL's own text output (timestamps, numerics, booleans as
      // psql shows them); the query reports the server's own error (57P01 on a restart).
      const query = client.query(
        new RowQuery(sql, { bytes: BATCH_BYTES, rows: o.batchRows ?? BATCH_ROWS }),
      );
      const rows = failFast(query.rows, { objectMode: true, highWaterMark: 1 }, client);
      guardPgSocket(client, rows, o.maxRowBytes ?? MAX_ROW_BYTES);
      enforceTimeout(rows, o.statementTimeoutSeconds, cancel);
      return { rows, close: closeWhen(rows) };
    },

    /**
     * The fast path: the server writes the CSV itself (`COPY (sql) TO STDOUT`), several times
     * faster than decoding rows in JavaScript (npm run bench). Only when switched on (PG_COPY)
     * and for SQL that copyableSql can prove is safe to wrap; otherwise undefined, and the
     * caller uses open().
     */
    async openRendered(sql, rendering): Promise<RenderedStream | undefined> {
      if (rendering !== "rfc4180-csv" || o.serverRendering === false) return undefined;
      const body = copyableSql(sql);
      if (body === undefined) return undefined;
      const { client, cancel, closeWhen } = await begin();
      const copy = client.query(copyTo(copyStatement(body)));
      const bytes = failFast(copy, { objectMode: false, highWaterMark: COPY_BUFFER_BYTES }, client);
      guardPgSocket(client, bytes, o.maxRowBytes ?? MAX_ROW_BYTES);
      enforceTimeout(bytes, o.statementTimeoutSeconds, cancel);
      return { bytes, close: closeWhen(bytes) };
    },
  };
}
