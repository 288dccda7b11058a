import { Transform, type TransformCallback } from "node:stream";
import { CellTooLong } from "../../failure/too-large.js";
import type { Column, ColumnKind } from "../../sources/types.js";
import type { EntryMarker } from "../entries.js";
import { cellValueText, MAX_CELL_CHARS, writeTypedCell } from "./cells.js";
import { EXCEL_DATA_ROWS, SheetRows } from "./sheets.js";

export { EXCEL_DATA_ROWS };

export interface XlsxLayoutOptions {
  /** Title labels; the first heads the row-number column. Empty: no title row. */
  header: string[];
  /** The result's columns (their kinds type the cells); without them every value is text. */
  columns?: Promise<Column[]>;
  /** Called once if the title's label count differs from the query's columns plus one. */
  onWidthMismatch?: (labels: number, columns: number) => void;
  /** Data rows per sheet; fewer only in tests. */
  rowsPerSheet?: number;
}

/**
 * Batches of rows in; out, in object mode, the workbook's parts as entry markers and their XML
 * as UTF-8 Buffers (format.ts, "the entry protocol"), for the ZIP stage to pack. Each sheet is
 * streamed (sheets.ts): the title row, then each row's 1-based number and its typed cells.
 */
export function createXlsxLayout(o: XlsxLayoutOptions): {
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

  const line = (row: unknown[]) => {
    book.beginRow(row.length);
    // A cell after a NULL (no cell) carries its reference; the others follow on.
    let follows = true;
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (v === null || v === undefined) {
        follows = false;
        continue;
      }
      const text = cellValueText(v);
      if (text.length > MAX_CELL_CHARS) throw new CellTooLong(book.rows, i + 1, MAX_CELL_CHARS);
      writeTypedCell(out, follows ? "" : book.ref(i + 1), text, kinds?.[i] ?? "other");
      follows = true;
    }
    book.endRow();
  };

  const write = (batch: unknown[][], done: TransformCallback) => {
    try {
      for (const row of batch) line(row);
      done();
    } catch (err) {
      done(err as Error);
    }
  };

  const writer = new Transform({
    writableObjectMode: true,
    // One batch waits while one is written: a batch is already bounded in bytes by the source.
    writableHighWaterMark: 1,
    readableObjectMode: true,
    // A few 64 KB Buffers wait for the ZIP stage; past that the writer waits too.
    readableHighWaterMark: 4,
    transform(batch: unknown[][], _enc: BufferEncoding, done: TransformCallback) {
      if (kinds !== undefined) {
        write(batch, done);
        return;
      }
      (o.columns as Promise<Column[]>).then(
        (columns) => {
          kinds = columns.map((c) => c.kind);
          write(batch, done);
        },
        (err: Error) => done(err),
      );
    },
    flush(done: TransformCallback) {
      book.finish();
      done();
    },
  });
  emit = (chunk) => writer.push(chunk);
  return { stages: [writer], rowCount: () => book.rows, sheetCount: () => book.sheets };
}
