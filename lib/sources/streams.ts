import type { EventEmitter } from "node:events";
import { PassThrough, type Readable, type TransformOptions } from "node:stream";

/** Runs close at most once and never lets it hang the export. */
export function onceClose(fn: () => Promise<void>, timeoutMs = 5000): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= Promise.race([
      fn().catch(() => {}),
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
    return done;
  };
}

/**
 * The driver's row stream, but ending in an error as soon as the connection dies. Neither
 * pg-query-stream nor mysql2's query stream ends when the server goes away mid-stream (a
 * restart, a killed connection): pg-query-stream's destroy waits forever for the dead
 * connection to close its cursor, and mysql2's stream simply stops. The export would hang
 * until the Lambda timeout. The connection's 'error' or 'end' means the rows will never come;
 * `errorsFrom` are other emitters (the cursor) whose 'error' carries the server's own reason.
 */
export function failFast(
  inner: Readable,
  buffering: { objectMode: boolean; highWaterMark: number; flush?: TransformOptions["flush"] },
  connection: EventEmitter,
  errorsFrom: EventEmitter[] = [],
): Readable {
  const rows = new PassThrough(buffering);
  const fail = (err: Error) => {
    if (!rows.destroyed && !rows.readableEnded) rows.destroy(err);
  };
  const lost = () =>
    fail(
      Object.assign(new Error("Connection terminated unexpectedly"), {
        code: "PROTOCOL_CONNECTION_LOST",
      }),
    );
  inner.on("error", fail);
  for (const e of errorsFrom) e.on("error", fail);
  connection.on("error", fail);
  connection.on("end", lost);
  // The export stopping early (abort, upload failure) stops the driver's stream too.
  rows.on("close", () => {
    if (!inner.destroyed) inner.destroy();
  });
  inner.pipe(rows);
  return rows;
}
