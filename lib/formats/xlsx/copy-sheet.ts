import { isUtf8 } from "node:buffer";
import { Transform, type TransformCallback } from "node:stream";
import { CellTooLong, ValueTooLarge } from "../../failure/too-large.js";
import { MAX_ROW_BYTES } from "../../sources/row-limits.js";
import type { Column, ColumnKind } from "../../sources/types.js";
import type { EntryMarker } from "../entries.js";
import { MAX_CELL_CHARS } from "./cells.js";
import { fieldText, utf16Length, writeFieldCell } from "./copy-cells.js";
import { Fields, QUOTED, quoteParity, recordEnd } from "./copy-records.js";
import type { XlsxLayoutOptions } from "./sheet-writer.js";
import { EXCEL_DATA_ROWS, SheetRows } from "./sheets.js";

const LF = 0x0a;

/** The same options as the row writer's. */
export type CopyXlsxOptions = XlsxLayoutOptions;

/**
 * PostgreSQL's `COPY ... TO STDOUT (FORMAT csv)` bytes in; out, as the row writer
 * (sheet-writer.ts) hands them on, the workbook's entry markers and XML, byte for byte the same
 * as the row path writes for the same query. Decoding each value into a string in JavaScript
 * was most of the row path's time on PostgreSQL; here most cells go from the server's bytes to
 * the XML's (copy-cells.ts). Whole records are read from each chunk; a record that runs past a
 * chunk's end waits, with the chunks after it, until its end arrives (found without reading
 * its fields again, so a long record costs no more than a short one per byte).
 */
export function createCopyXlsxLayout(o: CopyXlsxOptions): {
  stages: [Transform];
  rowCount: () => number;
  sheetCount: () => number;
} {
  let kinds: ColumnKind[] | undefined = o.columns ? undefined : [];
  let emit: (chunk: Buffer | EntryMarker) => void = () => {};
  const book = new SheetRows(
    o.header,
    o.rowsPerSheet ?? EXCEL_DATA_ROWS,
    (c) => emit(c),
    o.onWidthMismatch,
  );
  const out = book.out;
  const fields = new Fields();
  // The start of a record not yet ended, and the chunks after it; the parity of its quotes.
  let carry: Buffer[] = [];
  let carried = 0;
  const quotes = { parity: 0 };

  /** The record just read (fields) as a row; `utf8`: its bytes are valid UTF-8. */
  const writeRow = (buf: Buffer, utf8: boolean) => {
    let n = fields.count;
    const { starts, ends, flags } = fields;
    // A result without columns: COPY writes an empty line, the row path gets an empty row.
    if (n === 1 && kinds?.length === 0 && o.columns && flags[0] === 0 && starts[0] === ends[0])
      n = 0;
    book.beginRow(n);
    // A cell after a NULL (no cell) carries its reference; the others follow on.
    let follows = true;
    for (let k = 0; k < n; k++) {
      const s = starts[k] as number;
      const e = ends[k] as number;
      const f = flags[k] as number;
      // NULL: an unquoted empty field (an empty string is quoted).
      if (s === e && (f & QUOTED) === 0) {
        follows = false;
        continue;
      }
      // UTF-16 units are never more than UTF-8 bytes: only a long field needs counting.
      if (e - s > MAX_CELL_CHARS) {
        const chars = utf8 ? utf16Length(buf, s, e, f) : fieldText(buf, s, e, f).length;
        if (chars > MAX_CELL_CHARS) throw new CellTooLong(book.rows, k + 1, MAX_CELL_CHARS);
      }
      const ref = follows ? "" : book.ref(k + 1);
      writeFieldCell(out, ref, buf, s, e, f, kinds?.[k] ?? "other", utf8);
      follows = true;
    }
    book.endRow();
  };

  /** Writes the whole records in buf[from, end); returns where the first unfinished one starts. */
  const writeRecords = (buf: Buffer, from: number, end: number): number => {
    // Records end at an LF, which never falls inside a UTF-8 sequence: the span up to the last
    // one is checked at once (natively), and a field of a span that fails goes the string way.
    const last = buf.lastIndexOf(LF, end - 1);
    const utf8 = last < from || isUtf8(buf.subarray(from, last + 1));
    let at = from;
    while (at < end) {
      const next = fields.read(buf, at, end);
      if (next === -1) break;
      writeRow(buf, utf8);
      at = next;
    }
    return at;
  };

  const tooLarge = () => {
    // The fields the held record has so far name the column that made it too large.
    const held = Buffer.concat(carry);
    fields.read(held, 0, held.length);
    return new ValueTooLarge(book.rows + 1, fields.count + 1, MAX_ROW_BYTES);
  };

  const scan = (chunk: Buffer) => {
    let from = 0;
    if (carry.length > 0) {
      const lf = recordEnd(chunk, quotes);
      if (lf === -1) {
        carry.push(chunk);
        carried += chunk.length;
        // The source's wire guard refuses such a row first; this keeps a source without one
        // from taking the worker's memory.
        if (carried > MAX_ROW_BYTES) throw tooLarge();
        return;
      }
      const record = Buffer.concat([...carry, chunk.subarray(0, lf + 1)]);
      carry = [];
      carried = 0;
      if (writeRecords(record, 0, record.length) !== record.length)
        throw new Error("a record of the COPY output did not end at its line end");
      from = lf + 1;
    }
    const rest = writeRecords(chunk, from, chunk.length);
    if (rest < chunk.length) {
      carry = [chunk.subarray(rest)];
      carried = chunk.length - rest;
      quotes.parity = quoteParity(chunk, rest, chunk.length);
    }
  };

  const run = (chunk: Buffer, done: TransformCallback) => {
    try {
      scan(chunk);
      done();
    } catch (err) {
      done(err as Error);
    }
  };

  const writer = new Transform({
    readableObjectMode: true,
    // A few 64 KB Buffers wait for the ZIP stage; past that the writer waits too.
    readableHighWaterMark: 4,
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      if (kinds !== undefined) return run(chunk, done);
      // The columns are known before the first byte of the result: wait for them once.
      (o.columns as Promise<Column[]>).then(
        (columns) => {
          kinds = columns.map((c) => c.kind);
          run(chunk, done);
        },
        (err: Error) => done(err),
      );
    },
    flush(done: TransformCallback) {
      if (carry.length > 0) {
        done(new Error("the COPY output ended inside a record"));
        return;
      }
      book.finish();
      done();
    },
  });
  emit = (chunk) => writer.push(chunk);
  return { stages: [writer], rowCount: () => book.rows, sheetCount: () => book.sheets };
}
