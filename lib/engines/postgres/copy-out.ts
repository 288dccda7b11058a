import type { Readable, ReadableOptions } from "node:stream";
import type pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { proveOneStatement, UnexpectedMessage } from "./one-statement.js";

type CopyStream = ReturnType<typeof copyTo>;

/**
 * The one way task SQL reaches the simple query protocol, which runs every statement in its
 * text: the server first parses the same text as exactly one statement (one-statement.ts), then
 * it runs as COPY. The cursor path needs no proof: it uses the extended protocol already.
 */
export async function copyOut(
  client: pg.Client,
  text: string,
  options?: ReadableOptions,
): Promise<Readable> {
  await proveOneStatement(client, text);
  return client.query(watchCopy(copyTo(text, options)));
}

/**
 * pg-copy-streams reads one COPY's data and hands the socket back to pg, which passes whatever
 * follows to the query's handlers; the copy stream lacks most of them, so a second result
 * (rows, another COPY) threw a TypeError inside the socket's data handler and took the process
 * down. Here every message one COPY does not send fails the stream instead, and the stream ends
 * only at ReadyForQuery after exactly one CommandComplete, so a second statement can never pass
 * for a finished export. (The server sends a query string's answers when its output buffer
 * fills, at a NOTICE, or at the end: a trailing statement that runs on keeps the stream open
 * until the time limit stops it.)
 */
export function watchCopy(copy: CopyStream): CopyStream {
  const stream = copy as CopyStream & Record<string, unknown>;
  const push = copy.push.bind(copy);
  const commandComplete = (stream.handleCommandComplete as (msg: unknown) => void).bind(copy);
  let copied = false;
  let ready = false;
  let completions = 0;
  const fail = (what: string) => {
    if (!copy.destroyed) copy.destroy(new UnexpectedMessage(what));
  };
  const settle = () => {
    if (copied && ready && !copy.destroyed) push(null);
  };
  copy.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk !== null) return push(chunk, encoding);
    copied = true;
    settle();
    return false;
  };
  stream.handleCommandComplete = (msg: unknown) => {
    completions += 1;
    if (completions > 1) return fail("second CommandComplete");
    commandComplete(msg);
  };
  stream.handleReadyForQuery = () => {
    ready = true;
    if (completions !== 1) return fail("ReadyForQuery without one CommandComplete");
    settle();
  };
  stream.handleCopyInResponse = (connection: { sendCopyFail(msg: string): void }) => {
    // The server waits for data that will never come: end its COPY FROM, then fail.
    connection.sendCopyFail("not an export");
    fail("CopyInResponse");
  };
  for (const name of ["RowDescription", "DataRow", "EmptyQuery", "PortalSuspended", "CopyData"]) {
    stream[`handle${name}`] = () => fail(name);
  }
  return copy;
}
