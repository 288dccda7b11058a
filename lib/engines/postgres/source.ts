import type { EventEmitter } from "node:events";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import QueryStream from "pg-query-stream";
import type { DbUrl } from "../../db/url.js";
import { failFast, onceClose } from "../../sources/streams.js";
import type { DataSource, RenderedStream, SourceOptions } from "../../sources/types.js";
import { copyableSql, copyStatement } from "./copy-sql.js";

// Every column as PostgreSQL's own text output (timestamps, numerics, booleans as psql shows them).
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

// COPY output is buffered up to this many bytes ahead of a slow upload.
const COPY_BUFFER_BYTES = 1024 * 1024;

export function postgresSource(db: DbUrl, o: SourceOptions): DataSource {
  const timeoutMs = o.statementTimeoutSeconds * 1000;

  /** A connection inside a read-only transaction with the statement timeout set. */
  async function begin(): Promise<{ client: pg.Client; close: () => Promise<void> }> {
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
    const close = onceClose(async () => {
      await client.query("ROLLBACK").catch(() => {});
      await client.end();
    });
    try {
      await client.query("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
      await client.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
      // A worker that dies mid-export must not hold a transaction open on the server.
      await client.query(`SET LOCAL idle_in_transaction_session_timeout = ${timeoutMs}`);
      return { client, close };
    } catch (err) {
      await close();
      throw err;
    }
  }

  return {
    label: db.label,
    async open(sql) {
      const { client, close } = await begin();
      // The extended protocol runs exactly one statement: "a; b" is refused by the server.
      const batchSize = o.batchRows ?? 2000;
      const query = client.query(
        new QueryStream(sql, [], { rowMode: "array", batchSize, types: RAW_TEXT }),
      );
      // The cursor reports the server's own error (57P01 on a restart) before the socket closes.
      const cursor = (query as unknown as { cursor: EventEmitter }).cursor;
      const rows = failFast(query, { objectMode: true, highWaterMark: batchSize }, client, [
        cursor,
      ]);
      return { rows, close };
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
      const { client, close } = await begin();
      const copy = client.query(copyTo(copyStatement(body)));
      const bytes = failFast(copy, { objectMode: false, highWaterMark: COPY_BUFFER_BYTES }, client);
      return { bytes, close };
    },
  };
}
