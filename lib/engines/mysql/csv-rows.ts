import mysql from "mysql2";
import { COMMA, CsvBytes, LF, NOT_UTF8_AS_HEX, NOT_UTF8_AS_TEXT } from "../../sources/csv-bytes.js";
import { BYTE_TYPE_NAMES } from "./column-kinds.js";

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

const NULL_VALUE = 0xfb;

/** The value plan per column, from mysql2's column definitions. */
export function columnPlans(fields: readonly { columnType: number }[]): Uint8Array {
  return Uint8Array.from(fields, (f) =>
    f.columnType === BIT_TYPE ? BIT : BYTE_TYPES.has(f.columnType) ? BYTES : TEXT,
  );
}

/**
 * MySQL text-protocol row packets in, RFC 4180 CSV out (sources/csv-bytes.ts). Values are the
 * server's bytes, copied: no string or object per field. The row path (source.ts rawText) is
 * what it must equal, byte for byte, once both pass the CSV layout; a test compares them.
 */
export class CsvRows extends CsvBytes {
  constructor(
    private readonly plans: Uint8Array,
    chunkBytes?: number,
  ) {
    super(chunkBytes);
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
      if (plan === BIT) this.ascii(bitText(buf, pos, stop), n);
      else if (len === 0) this.empty(n);
      else this.value(buf, pos, stop, plan === BYTES ? NOT_UTF8_AS_HEX : NOT_UTF8_AS_TEXT, n);
      pos = stop;
    }
    this.out[this.p++] = LF;
  }
}

/** A BIT value's bytes (big-endian) as its unsigned decimal, as rawText writes it. */
function bitText(buf: Buffer, pos: number, stop: number): string {
  return BigInt(`0x${buf.toString("hex", pos, stop) || "0"}`).toString();
}
