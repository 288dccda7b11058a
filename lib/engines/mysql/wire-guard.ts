import type { Readable } from "node:stream";
import type mysql from "mysql2";
import { ResponseTooLarge, ValueTooLarge } from "../../failure/too-large.js";
import { guardSocket, type WireScanner } from "../../sources/wire-guard.js";

/** A packet of this payload length continues in the next one (payloads of 16 MB - 1 or more). */
const MAX_PACKET = 0xffffff;

// Where in the response to the query the next logical packet falls.
const RESULT_START = 0; // column count, or OK / ERR / LOCAL INFILE
const COLUMNS = 1; // column definitions
const COLUMNS_END = 2; // the EOF after them (or, without one, the first row)
const ROWS = 3;

// What the payload bytes being read are for.
const FIRST = 0; // a logical packet's first byte, which says what it is
const SKIP = 1; // the rest of a packet that fits
const LENGTH = 2; // further bytes of a length-encoded integer (little-endian)
const FIELD = 3; // the next field of an oversized row: its length's first byte
const VALUE = 4; // a field's value bytes
const DONE = 5;

/** Bytes that follow a length-encoded integer's first byte. */
function extraBytes(first: number): number {
  if (first === 0xfc) return 2;
  if (first === 0xfd) return 3;
  if (first === 0xfe) return 8;
  return 0;
}

/**
 * The MySQL / MariaDB client protocol's response to one text query, chunk by chunk. A packet
 * is a 3-byte little-endian payload length, a sequence byte, the payload; a payload of
 * 16 MB - 1 continues in the next packet (together one logical packet). The response is a
 * column count, that many column definitions, an EOF, the rows, then an EOF or ERR (or only
 * an OK or ERR). A row is length-encoded strings (0xFB is NULL).
 * A row longer than `maxBytes` is refused as soon as its first packet's header says so, and
 * the scanner reads on only as far as the limit to name the column where the row passes it;
 * any other packet that long is refused outright. Rows are numbered from 1 since the scanner
 * started, which must be at the start of a response (nothing else in flight).
 */
export function mysqlWireScanner(maxBytes: number): WireScanner {
  let phase = RESULT_START;
  let mode = FIRST;
  // The 4-byte packet header: bytes read, the payload length so far.
  let headerRead = 0;
  let length = 0;
  // Payload bytes of this packet not yet read; whether the next packet continues it; whether
  // the next packet starts a logical packet.
  let left = 0;
  let continues = false;
  let starting = true;
  let columnsLeft = 0;
  let rows = 0;
  // A length-encoded integer being read: bytes wanted, value and place value so far, and
  // whether it is the column count (else a field's length).
  let want = 0;
  let acc = 0;
  let scale = 1;
  let counting = false;
  // In an oversized row: payload bytes counted, the 1-based column, its value bytes left.
  let offset = 0;
  let column = 0;
  let valueLeft = 0;

  const stop = (verdict: Error) => {
    mode = DONE;
    return verdict;
  };
  const tooLarge = () => stop(new ValueTooLarge(rows, Math.max(column, 1), maxBytes));

  /** A logical packet's first payload byte; `oversized` if its payload passes the limit. */
  const first = (b: number, oversized: boolean): Error | undefined => {
    if (phase === COLUMNS_END || phase === ROWS) {
      // An EOF is 0xFE in a short packet (a row starting 0xFE is at least 16 MB); ERR is 0xFF.
      const eof = b === 0xfe && length < 9 && !continues;
      if (phase === COLUMNS_END) {
        phase = ROWS;
        if (eof) {
          mode = SKIP;
          return undefined;
        }
      } else if (eof || b === 0xff) {
        phase = RESULT_START;
        if (oversized) return stop(new ResponseTooLarge(maxBytes));
        mode = SKIP;
        return undefined;
      }
      rows += 1;
      if (!oversized) {
        mode = SKIP;
        return undefined;
      }
      offset = 0;
      column = 0;
      return field(b);
    }
    if (oversized) return stop(new ResponseTooLarge(maxBytes));
    mode = SKIP;
    if (phase === COLUMNS) {
      columnsLeft -= 1;
      if (columnsLeft === 0) phase = COLUMNS_END;
    } else if (b !== 0x00 && b !== 0xff && b !== 0xfb) {
      // Not OK, ERR or LOCAL INFILE: the column count, a length-encoded integer.
      want = extraBytes(b);
      acc = want === 0 ? b : 0;
      scale = 1;
      counting = true;
      if (want === 0) columnCount();
      else mode = LENGTH;
    }
    return undefined;
  };
  const columnCount = () => {
    counting = false;
    columnsLeft = acc;
    if (columnsLeft > 0) phase = COLUMNS;
    mode = SKIP;
  };
  /** An oversized row's next field starts with byte `b`. */
  const field = (b: number): Error | undefined => {
    column += 1;
    offset += 1;
    want = extraBytes(b);
    if (want > 0) {
      acc = 0;
      scale = 1;
      mode = LENGTH;
      return undefined;
    }
    return value(b === 0xfb ? 0 : b);
  };
  /** A field's value length is known: refuse the row if it passes the limit within it. */
  const value = (bytes: number): Error | undefined => {
    if (offset + bytes > maxBytes) return tooLarge();
    offset += bytes;
    valueLeft = bytes;
    mode = bytes > 0 ? VALUE : FIELD;
    return undefined;
  };

  return {
    feed(chunk) {
      let i = 0;
      const n = chunk.length;
      while (i < n && mode !== DONE) {
        if (headerRead < 4) {
          if (headerRead === 0 && i + 4 <= n) {
            // The common case, a whole header in this chunk, read at once.
            length = chunk.readUIntLE(i, 3);
            i += 4;
            headerRead = 4;
          } else {
            const b = chunk[i++] as number;
            if (headerRead < 3) length += b * 256 ** headerRead;
            headerRead += 1;
          }
          if (headerRead === 4) {
            left = length;
            const first = starting;
            starting = false;
            continues = length === MAX_PACKET;
            if (first) mode = FIRST;
            if (left === 0) packetEnd();
          }
          continue;
        }
        let verdict: Error | undefined;
        if (mode === FIRST) {
          left -= 1;
          verdict = first(chunk[i++] as number, length > maxBytes || continues);
        } else if (mode === SKIP) {
          const take = Math.min(left, n - i);
          i += take;
          left -= take;
        } else if (mode === LENGTH) {
          acc += (chunk[i++] as number) * scale;
          scale *= 256;
          left -= 1;
          if (!counting) offset += 1;
          if (--want === 0) {
            if (counting) columnCount();
            else verdict = value(acc);
          }
        } else if (mode === FIELD) {
          left -= 1;
          verdict = field(chunk[i++] as number);
        } else {
          const take = Math.min(valueLeft, left, n - i);
          i += take;
          left -= take;
          valueLeft -= take;
          if (valueLeft === 0) mode = FIELD;
        }
        if (verdict) return verdict;
        if (left === 0) packetEnd();
      }
      return undefined;
    },
  };

  /** A packet's payload is read: the next header starts a new logical packet, or continues. */
  function packetEnd(): void {
    headerRead = 0;
    length = 0;
    if (!continues) starting = true;
  }
}

/**
 * Guards a mysql2 connection's socket while `rows` (the stream the export reads) is open.
 * Attach it with the query just sent, before any of its response can arrive.
 */
export function guardMysqlSocket(conn: mysql.Connection, rows: Readable, maxBytes: number): void {
  const { stream } = conn as unknown as { stream: Readable & { destroy(): void } };
  guardSocket(stream, mysqlWireScanner(maxBytes), rows);
}
