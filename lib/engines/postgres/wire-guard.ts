import { PassThrough, type Readable } from "node:stream";
import type pg from "pg";
import { ResponseTooLarge, ValueTooLarge } from "../../failure/too-large.js";
import { guardSocket, type WireScanner } from "../../sources/wire-guard.js";

// Backend message types the scanner looks into.
const DATA_ROW = 0x44; // 'D'
const COPY_DATA = 0x64; // 'd'
const COMMA = 0x2c;
const QUOTE = 0x22;

const TYPE = 0;
const LENGTH = 1;
const SKIP = 2;
const FIELD_COUNT = 3;
const FIELD_LENGTH = 4;
const FIELD_BYTES = 5;
const COPY_LINE = 6;
const DONE = 7;

/**
 * PostgreSQL's backend messages, chunk by chunk: a type byte, an int32 length that counts
 * itself, the body. A message longer than `maxBytes` is refused as soon as its header is in:
 * a DataRow or CopyData is a row (the rows are numbered from 1 since the scanner started),
 * and the scanner reads on only as far as the limit to name the column where the row passes
 * it; anything else (an error or notice quoting a huge value) is refused outright.
 * DataRow: int16 field count, then per field an int32 length (-1 for NULL) and the bytes.
 * CopyData (COPY ... TO STDOUT, one message per row): CSV, so the column is one plus the
 * commas outside quotes. `otherBytes` is the limit for messages that are not rows.
 */
export function pgWireScanner(maxBytes: number, otherBytes = maxBytes): WireScanner {
  let state = TYPE;
  let type = 0;
  // An integer read big-endian across chunks: bytes still wanted, and the value so far.
  let want = 0;
  let acc = 0;
  // Bytes left to skip (a message body, or one field's value).
  let left = 0;
  let rows = 0;
  // In an oversized row: how far into the message (counting from its length field), fields
  // in it, the 1-based column being read, and (COPY) whether inside quotes.
  let offset = 0;
  let fields = 0;
  let column = 0;
  let quoted = false;

  const tooLarge = () => {
    state = DONE;
    return new ValueTooLarge(rows, Math.max(column, 1), maxBytes);
  };
  /** A complete header: skip the message, or look into an oversized row. */
  const header = (length: number): Error | undefined => {
    const isRow = type === DATA_ROW || type === COPY_DATA;
    if (isRow) rows += 1;
    if (length <= (isRow ? maxBytes : otherBytes)) {
      left = length - 4;
      state = left > 0 ? SKIP : TYPE;
      return undefined;
    }
    offset = 4;
    column = 0;
    if (type === DATA_ROW) {
      state = FIELD_COUNT;
      want = 2;
      acc = 0;
      return undefined;
    }
    if (type === COPY_DATA) {
      state = COPY_LINE;
      column = 1;
      quoted = false;
      return undefined;
    }
    state = DONE;
    return new ResponseTooLarge(otherBytes);
  };

  return {
    feed(chunk) {
      let i = 0;
      const n = chunk.length;
      while (i < n) {
        switch (state) {
          case TYPE:
            // The common case, a whole header in this chunk, read at once.
            if (i + 5 <= n) {
              type = chunk[i] as number;
              const verdict = header(chunk.readUInt32BE(i + 1));
              i += 5;
              if (verdict) return verdict;
              break;
            }
            type = chunk[i++] as number;
            state = LENGTH;
            want = 4;
            acc = 0;
            break;
          case LENGTH: {
            acc = acc * 256 + (chunk[i++] as number);
            if (--want === 0) {
              const verdict = header(acc);
              if (verdict) return verdict;
            }
            break;
          }
          case SKIP: {
            const take = Math.min(left, n - i);
            i += take;
            left -= take;
            if (left === 0) state = TYPE;
            break;
          }
          case FIELD_COUNT:
            acc = acc * 256 + (chunk[i++] as number);
            offset += 1;
            if (--want === 0) {
              fields = acc;
              // A row with no fields cannot be oversized; a malformed one is refused anyway.
              if (fields === 0) {
                state = DONE;
                return new ResponseTooLarge(otherBytes);
              }
              state = FIELD_LENGTH;
              want = 4;
              acc = 0;
            }
            break;
          case FIELD_LENGTH:
            acc = acc * 256 + (chunk[i++] as number);
            offset += 1;
            if (--want === 0) {
              column += 1;
              // -1 (NULL) reads as 0xFFFFFFFF: no bytes follow.
              left = acc === 0xffffffff ? 0 : acc;
              if (offset + left > maxBytes) return tooLarge();
              offset += left;
              if (left > 0) state = FIELD_BYTES;
              else if (column === fields) return tooLarge();
              else {
                want = 4;
                acc = 0;
              }
            }
            break;
          case FIELD_BYTES: {
            const take = Math.min(left, n - i);
            i += take;
            left -= take;
            if (left === 0) {
              // The fields add up to the message's length, which is over the limit: the last
              // field always passes it; a message that claims otherwise is refused there.
              if (column === fields) return tooLarge();
              state = FIELD_LENGTH;
              want = 4;
              acc = 0;
            }
            break;
          }
          case COPY_LINE: {
            const b = chunk[i++] as number;
            offset += 1;
            if (b === QUOTE) quoted = !quoted;
            else if (b === COMMA && !quoted) column += 1;
            if (offset > maxBytes) return tooLarge();
            break;
          }
          default:
            return undefined;
        }
      }
      return undefined;
    },
  };
}

/**
 * Guards a node-postgres client's socket while `rows` (the stream the export reads) is open.
 * Attach it after the query is submitted: pg-copy-streams takes the socket's only 'data'
 * listener over when it starts, and client.query submits at once on an idle client.
 */
export function guardPgSocket(client: pg.Client, rows: Readable, maxBytes: number): void {
  const { connection } = client as unknown as {
    connection: { stream: Readable & { destroy(): void } };
  };
  guardSocket(connection.stream, pgWireScanner(maxBytes), rows);
}

/**
 * Watches the connection while one request of the worker's own (the plan check) is answered:
 * a row over `rowBytes` or another message over `otherBytes` cuts the socket, as for the
 * task's rows, so the driver never gathers it. `verdict()` says whether that is why the
 * request failed; `done()` stops watching.
 */
export function watchPgResponse(
  client: pg.Client,
  rowBytes: number,
  otherBytes: number,
): { verdict(): Error | undefined; done(): void } {
  let verdict: Error | undefined;
  const rows = new PassThrough();
  rows.on("error", (err) => {
    verdict ??= err;
  });
  const inner = pgWireScanner(rowBytes, otherBytes);
  const scanner: WireScanner = {
    feed(chunk) {
      const v = inner.feed(chunk);
      verdict ??= v;
      return v;
    },
  };
  const { connection } = client as unknown as {
    connection: { stream: Readable & { destroy(): void } };
  };
  guardSocket(connection.stream, scanner, rows);
  return { verdict: () => verdict, done: () => rows.destroy() };
}
