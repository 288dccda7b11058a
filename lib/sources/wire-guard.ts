import type { Readable } from "node:stream";

/**
 * Reads a connection's bytes as they arrive and says when the next protocol message would be
 * larger than the worker may hold: each engine's scanner (lib/engines/<engine>/wire-guard.ts)
 * knows its message framing. Pure: chunks in, a verdict out, no sockets.
 */
export interface WireScanner {
  /** The typed error to stop the query with, or undefined while everything fits. */
  feed(chunk: Buffer): Error | undefined;
}

/**
 * Both drivers gather a whole protocol message (a row, an error) before decoding it into
 * strings, so a huge row is held as bytes and again as strings before any code of ours sees
 * it. This
 * watches the socket ahead of the driver's parser (prependListener runs first): on the
 * scanner's verdict `rows` ends with it, then the socket is cut, so the driver never gathers
 * more than the limit and one read, and the export fails with the verdict, not as a lost
 * connection. Stops watching when `rows` closes.
 */
export function guardSocket(
  socket: Readable & { destroy(): void },
  scanner: WireScanner,
  rows: Readable,
): void {
  const onData = (chunk: Buffer) => {
    const verdict = scanner.feed(chunk);
    if (verdict === undefined) return;
    socket.removeListener("data", onData);
    if (!rows.destroyed) rows.destroy(verdict);
    socket.destroy();
  };
  socket.prependListener("data", onData);
  rows.once("close", () => socket.removeListener("data", onData));
}
