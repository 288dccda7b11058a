import type { EntryMarker } from "../entries.js";
import { columnLetters, MAX_CELL_CHARS, STYLE } from "./cells.js";
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
 * A row number as ASCII digits, counted in place: two numbers formatted as strings a row, and
 * the garbage they made, showed as a few percent of the writer's time under --cpu-prof.
 */
class Digits {
  private readonly digits = Buffer.alloc(20, 0x30);
  private first = this.digits.length;

  increment(): void {
    const d = this.digits;
    let k = d.length - 1;
    while (k >= 0 && d[k] === 0x39) d[k--] = 0x30;
    d[k] = (d[k] as number) + 1;
    if (k < this.first) this.first = k;
  }

  reset(): void {
    this.digits.fill(0x30);
    this.first = this.digits.length;
  }

  write(out: XmlBytes): void {
    out.raw(this.digits, this.first, this.digits.length);
  }

  text(): string {
    return this.digits.toString("latin1", this.first);
  }
}

const ROW_OPEN = Buffer.from('<row r="');
const FIRST_CELL = Buffer.from('"><c r="A');
const NUMBER_OPEN = Buffer.from('"><v>');
const FIRST_CELL_CLOSE = Buffer.from("</v></c>");

/**
 * The workbook around the cells, shared by the row writer (sheet-writer.ts) and the COPY
 * writer (copy-sheet.ts) so that both write the same bytes: each sheet's head and bold, frozen
 * title row, every row's number in column A, a new sheet every `rowsPerSheet` rows (numbers
 * continuing), and after the last sheet the workbook and the other small parts. The cells
 * between beginRow() and endRow() are the caller's, written to `out`.
 */
export class SheetRows {
  readonly out: XmlBytes;
  /** Data rows written so far (the number of the last one). */
  rows = 0;
  sheets = 0;
  private inSheet = 0;
  private readonly number = new Digits();
  /** The row's place in its sheet (the title is row 1). */
  private readonly place = new Digits();
  private placeText: string | undefined;
  private readonly labels: string[];
  private readonly titled: boolean;
  private readonly letters: string[] = [];

  constructor(
    header: string[],
    private readonly perSheet: number,
    private readonly emit: (chunk: Buffer | EntryMarker) => void,
    /** Called once if the title's label count differs from the first row's cells plus one. */
    private readonly onWidthMismatch?: (labels: number, columns: number) => void,
  ) {
    this.labels = header.map(clipLabel);
    this.titled = this.labels.length > 0;
    this.out = new XmlBytes(CHUNK_BYTES, (bytes) => emit(bytes));
  }

  /** Column letters of a 0-based column (A is the row number), computed once each. */
  letter(i: number): string {
    for (let j = this.letters.length; j <= i; j++) this.letters.push(columnLetters(j));
    return this.letters[i] as string;
  }

  private startSheet(): void {
    const out = this.out;
    if (this.sheets > 0) out.ascii(SHEET_TAIL);
    out.flush();
    this.sheets += 1;
    this.inSheet = 0;
    this.place.reset();
    if (this.titled) this.place.increment();
    this.emit({ entry: sheetPath(this.sheets) });
    out.ascii(sheetHead(this.titled));
    if (this.titled) {
      out.ascii('<row r="1">');
      for (let i = 0; i < this.labels.length; i++) {
        const label = this.labels[i] as string;
        if (label !== "") writeInlineString(out, `${this.letter(i)}1`, label, STYLE.header);
      }
      out.ascii("</row>");
    }
  }

  /**
   * Opens the next data row of `cells` values (on a new sheet when this one is full) and
   * writes its number.
   */
  beginRow(cells: number): void {
    if (this.rows === 0 && this.titled && this.labels.length !== cells + 1)
      this.onWidthMismatch?.(this.labels.length, cells);
    if (this.sheets === 0 || this.inSheet === this.perSheet) this.startSheet();
    this.rows += 1;
    this.inSheet += 1;
    this.number.increment();
    this.place.increment();
    this.placeText = undefined;
    const out = this.out;
    // The row's first cell names its place: some readers (exceljs) count on only from there.
    out.raw(ROW_OPEN, 0, ROW_OPEN.length);
    this.place.write(out);
    out.raw(FIRST_CELL, 0, FIRST_CELL.length);
    this.place.write(out);
    out.raw(NUMBER_OPEN, 0, NUMBER_OPEN.length);
    this.number.write(out);
    out.raw(FIRST_CELL_CLOSE, 0, FIRST_CELL_CLOSE.length);
  }

  /** The reference of a cell of the open row, by 0-based column (for a cell after a gap). */
  ref(column: number): string {
    this.placeText ??= this.place.text();
    return `${this.letter(column)}${this.placeText}`;
  }

  endRow(): void {
    this.out.ascii("</row>");
  }

  /** Closes the last sheet (one with the title row alone if there were no rows) and the package. */
  finish(): void {
    if (this.sheets === 0) this.startSheet();
    this.out.ascii(SHEET_TAIL);
    this.out.flush();
    const parts: [string, string][] = [
      ["xl/workbook.xml", workbookXml(this.sheets)],
      ["xl/_rels/workbook.xml.rels", workbookRelsXml(this.sheets)],
      ["xl/styles.xml", STYLES_XML],
      ["_rels/.rels", ROOT_RELS_XML],
      ["[Content_Types].xml", contentTypesXml(this.sheets)],
    ];
    for (const [entry, xml] of parts) {
      this.emit({ entry });
      this.emit(Buffer.from(xml, "utf8"));
    }
  }
}
