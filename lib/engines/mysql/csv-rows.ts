import mysql from "mysql2";
import { BYTE_TYPE_NAMES } from "./column-kinds.js";
import { isUtf8Range } from "./utf8.js";

// How a column's value bytes become CSV text, matching the row path's typeCast (source.ts
// rawText) value for value.
/** The server's text as it is; bytes that are not UTF-8 read as mysql2 reads them (U+FFFD). */
const TEXT = 0;
/** A string or BLOB type: UTF-8 text as it is, anything else as a hex literal (0xDEAD). */
const BYTES = 1;
/** BIT: raw bytes, written as their unsigned number. */
const BIT = 2;

// The protocol's MYSQL_TYPE_* codes, by mysql2's names for them (the row path's typeCast sees
// the names): those rawText reads as bytes, and BIT.
const TYPE_CODES = (mysql as unknown as { Types: Record<string, number> }).Types;
const BYTE_TYPES = new Set(BYTE_TYPE_NAMES.map((name) => TYPE_CODES[name]));
const BIT_TYPE = TYPE_CODES.BIT;

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const NULL_VALUE = 0xfb;

// A chunk is handed on once it holds this many bytes (the COPY path's chunks are similar).
const CHUNK_BYTES = 64 * 1024;

const HEX = Buffer.from("0123456789ABCDEF");

/** The value plan per column, from mysql2's column definitions. */
export function columnPlans(fields: readonly { columnType: number }[]): Uint8Array {
  return Uint8Array.from(fields, (f) =>
    f.columnType === BIT_TYPE ? BIT : BYTE_TYPES.has(f.columnType) ? BYTES : TEXT,
  );
}

/**
 * MySQL text-protocol row packets in, RFC 4180 CSV out (the "rfc4180-csv" rendering
 * PostgreSQL's COPY writes): a field quoted only if it holds a comma, quote, CR or LF, quotes
 * doubled, NULL as nothing, an empty string as `""`, LF after each record. Values are the
 * server's bytes, copied: no string or object per field. The row path (source.ts rawText) is
 * what it must equal, byte for byte, once both pass the CSV layout; a test compares them.
 */
export class CsvRows {
  private out: Buffer;
  private p = 0;

  constructor(
    private readonly plans: Uint8Array,
    private readonly chunkBytes = CHUNK_BYTES,
  ) {
    this.out = Buffer.allocUnsafe(chunkBytes * 2);
  }

  /**
   * The bytes written so far, once there is a chunk's worth (or `all`), as an exact-size copy:
   * the scratch buffer is reused (and shrunk back after a long row).
   */
  take(all = false): Buffer | undefined {
    if (this.p === 0 || (!all && this.p < this.chunkBytes)) return undefined;
    const chunk = Buffer.allocUnsafe(this.p);
    this.out.copy(chunk, 0, 0, this.p);
    this.p = 0;
    if (this.out.length > this.chunkBytes * 4) this.out = Buffer.allocUnsafe(this.chunkBytes * 2);
    return chunk;
  }

  private ensure(extra: number): void {
    if (this.p + extra <= this.out.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.p + extra));
    this.out.copy(next, 0, 0, this.p);
    this.out = next;
  }

  /** One row packet's payload, buf[pos, end): a length-encoded string (or NULL) per column. */
  row(buf: Buffer, pos: number, end: number): void {
    const plans = this.plans;
    const n = plans.length;
    this.ensure(n + 1);
    for (let c = 0; c < n; c++) {
      if (c > 0) this.out[this.p++] = COMMA;
      if (pos >= end) throw new Error("a row packet ended before its last column");
      let len = buf[pos++] as number;
      if (len === NULL_VALUE) continue;
      if (len > NULL_VALUE) {
        const bytes = len === 0xfc ? 2 : len === 0xfd ? 3 : 8;
        if (len === 0xff || pos + bytes > end)
          throw new Error("a malformed length in a row packet");
        len = buf.readUIntLE(pos, Math.min(bytes, 6));
        pos += bytes;
      }
      const stop = pos + len;
      if (stop > end) throw new Error("a value longer than its row packet");
      const plan = plans[c] as number;
      if (plan === BIT) this.ascii(bitText(buf, pos, stop));
      else if (len === 0) {
        this.ensure(2 + n);
        this.out[this.p++] = QUOTE;
        this.out[this.p++] = QUOTE;
      } else this.value(buf, pos, stop, plan);
      pos = stop;
    }
    this.out[this.p++] = LF;
  }

  /** A value's bytes: copied while looking for what needs quoting and for non-ASCII bytes. */
  private value(buf: Buffer, pos: number, stop: number, plan: number): void {
    const plans = this.plans.length;
    // The worst case, every byte a quote, and room for the rest of the row's commas.
    this.ensure(2 * (stop - pos) + 2 + plans);
    const out = this.out;
    const start = this.p;
    let p = start;
    let high = 0;
    let special = false;
    for (let i = pos; i < stop; i++) {
      const b = buf[i] as number;
      out[p++] = b;
      high |= b;
      if (b <= COMMA && (b === COMMA || b === QUOTE || b === LF || b === CR)) special = true;
    }
    this.p = p;
    if (high >= 0x80 && !isUtf8Range(buf, pos, stop)) {
      this.p = start;
      if (plan === BYTES) this.hex(buf, pos, stop);
      else {
        // As mysql2 decodes it (U+FFFD for what is not UTF-8); then valid, written as any value.
        const text = Buffer.from(buf.toString("utf8", pos, stop), "utf8");
        this.value(text, 0, text.length, plan);
      }
      return;
    }
    if (special) {
      this.p = start;
      this.quoted(buf, pos, stop);
    }
  }

  /** The value in quotes, its quotes doubled (room is already ensured). */
  private quoted(buf: Buffer, pos: number, stop: number): void {
    const out = this.out;
    let p = this.p;
    out[p++] = QUOTE;
    for (let i = pos; i < stop; i++) {
      const b = buf[i] as number;
      if (b === QUOTE) out[p++] = QUOTE;
      out[p++] = b;
    }
    out[p++] = QUOTE;
    this.p = p;
  }

  private hex(buf: Buffer, pos: number, stop: number): void {
    this.ensure(2 + 2 * (stop - pos) + this.plans.length);
    const out = this.out;
    let p = this.p;
    out[p++] = 0x30;
    out[p++] = 0x78;
    for (let i = pos; i < stop; i++) {
      const b = buf[i] as number;
      out[p++] = HEX[b >> 4] as number;
      out[p++] = HEX[b & 15] as number;
    }
    this.p = p;
  }

  private ascii(text: string): void {
    this.ensure(text.length + this.plans.length);
    this.p += this.out.write(text, this.p, "latin1");
  }
}

/** A BIT value's bytes (big-endian) as its unsigned decimal, as rawText writes it. */
function bitText(buf: Buffer, pos: number, stop: number): string {
  return BigInt(`0x${buf.toString("hex", pos, stop) || "0"}`).toString();
}
