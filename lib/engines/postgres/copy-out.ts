import type { Readable } from "node:stream";
import type pg from "pg";
import { CopyOutQuery } from "./copy-stream.js";
import { proveOneStatement } from "./one-statement.js";

/**
 * The one way task SQL reaches the simple query protocol, which runs every statement in its
 * text: the server first parses the same text as exactly one statement (one-statement.ts), then
 * it runs as COPY (copy-stream.ts, whose stream also fails at any second answer). The cursor
 * path needs no proof: it uses the extended protocol already.
 */
export async function copyOut(client: pg.Client, text: string): Promise<Readable> {
  await proveOneStatement(client, text);
  return client.query(new CopyOutQuery(text)).bytes;
}
