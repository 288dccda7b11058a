import { COMMA, CsvBytes, LF, NOT_UTF8_AS_TEXT } from "../../sources/csv-bytes.js";

/**
 * PostgreSQL DataRow bodies (text format) in, RFC 4180 CSV out (sources/csv-bytes.ts): the
 * row path's values without a string per value. Every value is the server's text output, read
 * as the row path reads it: pg decodes the bytes as UTF-8, U+FFFD for what is not. The server
 * does not always send UTF-8 even to a UTF8 client (names in the shared catalogs keep the
 * encoding of the database they were made in), so each value with a non-ASCII byte is checked.
 * The layout makes the same file of both paths; a test compares them.
 */
export class DataRowCsv extends CsvBytes {
  constructor(
    private readonly columns: number,
    chunkBytes?: number,
  ) {
    super(chunkBytes);
  }

  /** One DataRow body, buf[pos, end): int16 field count, then per field int32 length (-1 NULL) and bytes. */
  row(buf: Buffer, pos: number, end: number): void {
    const n = this.columns;
    if (pos + 2 > end || ((buf[pos] as number) << 8) + (buf[pos + 1] as number) !== n)
      throw new Error(`a DataRow without the ${n} fields its RowDescription promised`);
    pos += 2;
    this.ensure(n + 1);
    for (let c = 0; c < n; c++) {
      if (c > 0) this.out[this.p++] = COMMA;
      if (pos + 4 > end) throw new Error("a DataRow ended before its last field");
      const len =
        ((buf[pos] as number) << 24) |
        ((buf[pos + 1] as number) << 16) |
        ((buf[pos + 2] as number) << 8) |
        (buf[pos + 3] as number);
      pos += 4;
      if (len === -1) continue;
      const stop = pos + len;
      if (len < 0 || stop > end) throw new Error("a DataRow field longer than its message");
      if (len === 0) this.empty(n);
      else this.value(buf, pos, stop, NOT_UTF8_AS_TEXT, n);
      pos = stop;
    }
    if (pos !== end) throw new Error("a DataRow longer than its fields");
    this.out[this.p++] = LF;
  }
}
