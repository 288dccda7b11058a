import type { EventEmitter } from "node:events";
import pg from "pg";
import QueryStream from "pg-query-stream";
import type { DbUrl } from "../db/url.js";
import { type DataSource, failFast, onceClose, type SourceOptions } from "./source.js";

// Every column as PostgreSQL's own text output (timestamps, numerics, booleans as psql shows them).
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

export function postgresSource(db: DbUrl, o: SourceOptions): DataSource {
  const timeoutMs = o.statementTimeoutSeconds * 1000;
  return {
    label: db.label,
    async open(sql) {
      // Settings go inside the transaction, not in startup options, so PgBouncer (which refuses
      // unknown startup parameters) works too.
      const client = new pg.Client({
        connectionString: db.url,
        application_name: "offline-export-worker",
        // An unreachable host fails the task in seconds instead of hanging until the Lambda dies.
        connectionTimeoutMillis: 15_000,
      });
      // Connection errors surface through the query stream; this only stops an unhandled 'error'.
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
        // The extended protocol runs exactly one statement: "a; b" is refused by the server.
        const batchSize = o.batchRows ?? 2000;
        const query = client.query(
          new QueryStream(sql, [], { rowMode: "array", batchSize, types: RAW_TEXT }),
        );
        // The cursor reports the server's own error (57P01 on a restart) before the socket closes.
        const cursor = (query as unknown as { cursor: EventEmitter }).cursor;
        const rows = failFast(query, batchSize, client, [cursor]);
        return { rows, close };
      } catch (err) {
        await close();
        throw err;
      }
    },
  };
}
