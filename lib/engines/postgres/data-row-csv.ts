import {
  COMMA,
  CsvBytes,
  LF,
  NOT_UTF8_AS_TEXT,
  type NotUtf8,
  UTF8_KNOWN,
} from "../../sources/csv-bytes.js";

/**
 * PostgreSQL DataRow bodies (text format) in, RFC 4180 CSV out (sources/csv-bytes.ts): the
 * row path's values without a string per value. Every value is the server's text output, as
 * the row path reads it (pg decodes the bytes as UTF-8, U+FFFD for what is not), so the
 * layout makes the same file of both; a test compares them. `utf8Known`: the server's text
 * is UTF-8 already and needs no check (client_encoding UTF8: the server converts or checks
 * every text it sends, even from a SQL_ASCII database); otherwise each value is checked.
 */
export class DataRowCsv extends CsvBytes {
  private readonly notUtf8: NotUtf8;

  constructor(
    private readonly columns: number,
    utf8Known: boolean,
    chunkBytes?: number,
  ) {
    super(chunkBytes);
    this.notUtf8 = utf8Known ? UTF8_KNOWN : NOT_UTF8_AS_TEXT;
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
      else this.value(buf, pos, stop, this.notUtf8, n);
      pos = stop;
    }
    if (pos !== end) throw new Error("a DataRow longer than its fields");
    this.out[this.p++] = LF;
  }
}
