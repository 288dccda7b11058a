import { Transform, type TransformCallback } from "node:stream";
import type { Column } from "../../sources/types.js";
import type { EntryMarker } from "../entries.js";
import { longDigitsField } from "./long-digits.js";
import { escapeFormula, formulaPrefix, valueText } from "./value-text.js";

export interface CsvLayoutOptions {
  /** Header labels; the first heads the row-number column. Empty: no header line. */
  header: string[];
  escapeFormulas: boolean;
  /** Text of long digit runs written so Excel shows every digit (long-digits.ts). */
  longDigitsAsText?: boolean;
  /** The result's columns: long digits are kept as text in text columns only. Unknown: all. */
  columns?: Promise<Column[]>;
  /**
   * Parts of at most this many data rows, each a ZIP entry (the entry protocol, format.ts)
   * named by `partName` with its own header line; row numbers continue.
   */
  split?: { rowsPerPart: number; partName: (part: number) => string };
  /** Called once if the title's label count differs from the query's columns plus one. */
  onWidthMismatch?: (labels: number, columns: number) => void;
  /**
   * Rows written by earlier slices of the same file (WriterOptions.continueAt): when > 0 no
   * header line, rows numbered from continueAt + 1. The header still sets the line width, so
   * padding matches the whole file's. Not with `split`.
   */
  continueAt?: number;
}

/** continueAt checked: a row count, since the COPY path counts on from its digits. */
export function continuationStart(continueAt: number | undefined): number {
  const start = continueAt ?? 0;
  if (!Number.isSafeInteger(start) || start < 0)
    throw new RangeError(`continueAt must be a row count, not ${start}`);
  return start;
}

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * Quotes doubled. Split and join, not a global replace: V8 builds a replace's result as one
 * concatenation per match, a heap object per quote until something flattens it; a join is
 * one flat string.
 */
function doubleQuotes(text: string): string {
  return text.includes('"') ? text.split('"').join('""') : text;
}

/**
 * One RFC 4180 field: quoted only if it holds a comma, a quote, CR or LF (a bare LF or CR
 * must be quoted too, or Excel splits the row), quotes doubled. Empty and NULL are both empty.
 */
function csvField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${doubleQuotes(text)}"` : text;
}

// Text is handed downstream in pieces of about this many characters, not line by line:
// per-chunk stream overhead was a third of the CSV stage's time (npm run bench).
const CHUNK_CHARS = 64 * 1024;

// A longer cell is quoted and handed on in slices of this many characters, so the scratch of
// quoting it (a split's array: a pointer per quote) stays in the young generation and the
// cell is not copied into one long line.
const SLICE_CHARS = 16 * 1024;

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

/**
 * Batches of rows (arrays of values, in the query's column order) in, CSV out as UTF-8 bytes:
 * RFC 4180 quoting, CRLF line ends, a 1-based row number in front of every data row. Returned
 * as the stages to put in a pipeline, so backpressure and errors flow through. Bytes, not
 * strings: a batch's output waits in the stream buffer until the encoder takes it, and as
 * bytes it is flat and off the V8 heap (as strings it is a tree of a heap object per value).
 *
 * A title with more or fewer labels than the query has columns (plus the row number) is kept
 * as written, and the shorter side is padded with empty fields, so every line has the same
 * number of fields (RFC 4180) and no label or value is dropped. onWidthMismatch reports it.
 *
 * Written by hand rather than with csv-stringify, which took three times as long for the same
 * bytes (measured); the unit tests round-trip the output through csv-parse.
 */
export function createCsvLayout(o: CsvLayoutOptions): {
  stages: [Transform];
  rowCount: () => number;
} {
  const formulas = o.escapeFormulas;
  const longDigits = o.longDigitsAsText ?? false;
  const header = o.escapeFormulas ? o.header.map(escapeFormula) : o.header;
  const start = continuationStart(o.continueAt);
  // A continuation writes no header line; `header` still gives the width.
  const writesHeader = header.length > 0 && start === 0;
  // Parts are cut by the file's row count, each with its header: such files are not sliced.
  if (o.split && start > 0) throw new Error("a continuation cannot be split into parts");
  // This writer's rows; the number written in front of a row is start + rowNumber.
  let rowNumber = 0;
  let width = 0;
  let pending = "";
  let emit: (bytes: Buffer) => void = () => {};
  let mark: (marker: EntryMarker) => void = () => {};
  // Per column: whether long digits there are kept as text (text columns; all if unknown).
  let asText: boolean[] | undefined;
  let columnsKnown = o.columns === undefined || !longDigits;
  const split = o.split;
  /** A new part: what is written so far goes out, then the marker, then the header line. */
  const startPart = () => {
    if (pending !== "") emit(Buffer.from(pending, "utf8"));
    pending = "";
    mark({ entry: split?.partName(Math.floor(rowNumber / (split?.rowsPerPart ?? 1)) + 1) ?? "" });
    if (header.length > 0) pending += headerLine(header, width);
  };
  const flushIfFull = () => {
    if (pending.length >= CHUNK_CHARS) {
      emit(Buffer.from(pending, "utf8"));
      pending = "";
    }
  };
  /** A cell longer than a slice, after its comma: quoted and handed on slice by slice. */
  const longCell = (text: string) => {
    const quoted = NEEDS_QUOTES.test(text);
    pending += `,${quoted ? '"' : ""}${formulas ? formulaPrefix(text) : ""}`;
    for (let at = 0; at < text.length; ) {
      let end = Math.min(at + SLICE_CHARS, text.length);
      // Never between a character's two halves: each piece becomes UTF-8 on its own.
      if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
      const slice = text.slice(at, end);
      at = end;
      pending += quoted ? doubleQuotes(slice) : slice;
      flushIfFull();
    }
    if (quoted) pending += '"';
  };
  /** One row's line (and, before the first, the header). */
  const line = (row: unknown[]) => {
    if (rowNumber === 0) {
      width = Math.max(header.length, row.length + 1);
      if (header.length > 0 && header.length !== row.length + 1)
        o.onWidthMismatch?.(header.length, row.length);
      if (split) startPart();
      else if (writesHeader) pending += headerLine(header, width);
    } else if (split && rowNumber % split.rowsPerPart === 0) {
      startPart();
    }
    rowNumber += 1;
    let text = String(start + rowNumber);
    for (let i = 0; i < row.length; i++) {
      const v = valueText(row[i]);
      const kept = longDigits && asText?.[i] !== false ? longDigitsField(v) : undefined;
      if (kept !== undefined) {
        text += `,${kept}`;
      } else if (v.length > SLICE_CHARS) {
        pending += text;
        text = "";
        longCell(v);
      } else {
        text += `,${csvField(formulas ? escapeFormula(v) : v)}`;
      }
    }
    for (let i = row.length + 1; i < width; i++) text += ",";
    pending += `${text}\r\n`;
  };
  const writer = new Transform({
    writableObjectMode: true,
    // One batch waits while one is written: a batch is already bounded in bytes by the source.
    writableHighWaterMark: 1,
    // UTF-8 bytes downstream, in pieces of whole characters (and entry markers when split).
    readableObjectMode: split !== undefined,
    transform(batch: unknown[][], _enc: BufferEncoding, done: TransformCallback) {
      const write = () => {
        for (const row of batch) {
          line(row);
          flushIfFull();
        }
        done();
      };
      if (columnsKnown) return write();
      // The columns come before the first row: wait for them once.
      o.columns?.then((cols) => {
        asText = cols.map((c) => c.kind === "text");
        columnsKnown = true;
        write();
      }, done);
    },
    flush(done: TransformCallback) {
      // No rows: the file still has its header line; a continuation adds nothing.
      if (rowNumber === 0) {
        width = header.length;
        if (split) startPart();
        else if (writesHeader) pending += headerLine(header, header.length);
      }
      if (pending !== "") this.push(Buffer.from(pending, "utf8"));
      done();
    },
  });
  emit = (bytes) => writer.push(bytes);
  mark = (marker) => writer.push(marker);
  return { stages: [writer], rowCount: () => rowNumber };
}

/** The title line, padded with empty labels to `width` fields; shared with the COPY path. */
export function headerLine(labels: string[], width: number): string {
  const padded =
    labels.length >= width
      ? labels
      : [...labels, ...new Array<string>(width - labels.length).fill("")];
  return `${padded.map(csvField).join(",")}\r\n`;
}
