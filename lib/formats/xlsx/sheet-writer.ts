import { Transform, type TransformCallback } from "node:stream";
import { CellTooLong } from "../../failure/too-large.js";
import type { Column, ColumnKind } from "../../sources/types.js";
import type { EntryMarker } from "../entries.js";
import { cellValueText, columnLetters, MAX_CELL_CHARS, STYLE, writeTypedCell } from "./cells.js";
import {
  contentTypesXml,
  ROOT_RELS_XML,
  SHEET_TAIL,
  STYLES_XML,
  sheetHead,
  sheetPath,
  workbookRelsXml,
  workbookXml,
} from "./parts.js";
import { XmlBytes } from "./xml-bytes.js";
import { writeInlineString } from "./xml-text.js";

/** Excel's rows in a sheet (1,048,576) less the title row. */
export const EXCEL_DATA_ROWS = 1_048_575;

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

// The XML is handed downstream in Buffers of this many bytes.
const CHUNK_BYTES = 64 * 1024;

/** A label is clipped to what a cell holds, never inside a surrogate pair. */
function clipLabel(label: string): string {
  if (label.length <= MAX_CELL_CHARS) return label;
  const end = /[\ud800-\udbff]/.test(label.charAt(MAX_CELL_CHARS - 1))
    ? MAX_CELL_CHARS - 1
    : MAX_CELL_CHARS;
  return label.slice(0, end);
}

/**
 * Batches of rows in; out, in object mode, the workbook's parts as entry markers and their XML
 * as UTF-8 Buffers (format.ts, "the entry protocol"), for the ZIP stage to pack. Each sheet is streamed:
 * a bold, frozen title row, then each row's 1-based number and its typed cells; a new sheet
 * every `rowsPerSheet` rows, numbers continuing. The workbook, which lists the sheets, and the
 * other small parts come after the last sheet.
 */
export function createXlsxLayout(o: XlsxLayoutOptions): {
  stages: [Transform];
  rowCount: () => number;
  sheetCount: () => number;
} {
  const perSheet = o.rowsPerSheet ?? EXCEL_DATA_ROWS;
  const labels = o.header.map(clipLabel);
  const titled = labels.length > 0;
  const letters: string[] = [];
  const letter = (i: number) => {
    for (let j = letters.length; j <= i; j++) letters.push(columnLetters(j));
    return letters[i] as string;
  };
  let kinds: ColumnKind[] | undefined = o.columns ? undefined : [];
  let rowNumber = 0;
  let sheets = 0;
  let inSheet = 0;
  let emit: (chunk: Buffer | EntryMarker) => void = () => {};
  const out = new XmlBytes(CHUNK_BYTES, (bytes) => emit(bytes));

  const startSheet = () => {
    if (sheets > 0) out.ascii(SHEET_TAIL);
    out.flush();
    sheets += 1;
    inSheet = 0;
    emit({ entry: sheetPath(sheets) });
    out.ascii(sheetHead(titled));
    if (titled) {
      out.ascii('<row r="1">');
      for (let i = 0; i < labels.length; i++) {
        const label = labels[i] as string;
        if (label !== "") writeInlineString(out, `${letter(i)}1`, label, STYLE.header);
      }
      out.ascii("</row>");
    }
  };

  const line = (row: unknown[]) => {
    if (rowNumber === 0 && titled && labels.length !== row.length + 1)
      o.onWidthMismatch?.(labels.length, row.length);
    if (sheets === 0 || inSheet === perSheet) startSheet();
    rowNumber += 1;
    inSheet += 1;
    const r = String(titled ? inSheet + 1 : inSheet);
    // The row's first cell names its place: some readers (exceljs) count on only from there.
    out.ascii('<row r="');
    out.ascii(r);
    out.ascii('"><c r="A');
    out.ascii(r);
    out.ascii('"><v>');
    out.ascii(String(rowNumber));
    out.ascii("</v></c>");
    // A cell after a NULL (no cell) carries its reference; the others follow on.
    let follows = true;
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (v === null || v === undefined) {
        follows = false;
        continue;
      }
      const text = cellValueText(v);
      if (text.length > MAX_CELL_CHARS) throw new CellTooLong(rowNumber, i + 1, MAX_CELL_CHARS);
      writeTypedCell(out, follows ? "" : `${letter(i + 1)}${r}`, text, kinds?.[i] ?? "other");
      follows = true;
    }
    out.ascii("</row>");
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
      // No rows: one sheet with the title row.
      if (sheets === 0) startSheet();
      out.ascii(SHEET_TAIL);
      out.flush();
      const parts: [string, string][] = [
        ["xl/workbook.xml", workbookXml(sheets)],
        ["xl/_rels/workbook.xml.rels", workbookRelsXml(sheets)],
        ["xl/styles.xml", STYLES_XML],
        ["_rels/.rels", ROOT_RELS_XML],
        ["[Content_Types].xml", contentTypesXml(sheets)],
      ];
      for (const [entry, xml] of parts) {
        emit({ entry });
        emit(Buffer.from(xml, "utf8"));
      }
      done();
    },
  });
  emit = (chunk) => writer.push(chunk);
  return { stages: [writer], rowCount: () => rowNumber, sheetCount: () => sheets };
}
