import { Transform, type TransformCallback } from "node:stream";
import { stringify } from "csv-stringify";
import { escapeFormula, valueText } from "./value-text.js";

export interface CsvLayoutOptions {
  /** Header labels; the first heads the row-number column. Empty: no header line. */
  header: string[];
  escapeFormulas: boolean;
  /** Called once if the title's label count differs from the query's columns plus one. */
  onWidthMismatch?: (labels: number, columns: number) => void;
}

/**
 * The seed's `title`: labels separated by ASCII commas, trimmed. Full-width commas stay inside
 * a label (金额（元，含税）), as the seed's split(',') kept them.
 */
export function parseTitle(title: string): string[] {
  if (title.trim() === "") return [];
  return title.split(",").map((s) => s.trim());
}

/**
 * Rows (arrays of values, in the query's column order) in, CSV text out: RFC 4180 quoting,
 * CRLF line ends, a 1-based row number in front of every data row. Returned as the stages to
 * put in a pipeline (numbering, then csv-stringify), so backpressure and errors flow through.
 *
 * A title with more or fewer labels than the query has columns (plus the row number) is kept
 * as written, and the shorter side is padded with empty fields, so every line has the same
 * number of fields (RFC 4180) and no label or value is dropped. onWidthMismatch reports it.
 */
export function createCsvLayout(o: CsvLayoutOptions): {
  stages: [Transform, Transform];
  rowCount: () => number;
} {
  const cell = o.escapeFormulas ? (v: unknown) => escapeFormula(valueText(v)) : valueText;
  const header = o.escapeFormulas ? o.header.map(escapeFormula) : o.header;
  let rowNumber = 0;
  let width = 0;
  const numbering = new Transform({
    objectMode: true,
    transform(row: unknown[], _enc: BufferEncoding, done: TransformCallback) {
      if (rowNumber === 0) {
        width = Math.max(header.length, row.length + 1);
        if (header.length > 0) {
          if (header.length !== row.length + 1) o.onWidthMismatch?.(header.length, row.length);
          this.push(pad(header, width));
        }
      }
      rowNumber += 1;
      const out = new Array<string>(Math.max(width, row.length + 1)).fill("");
      out[0] = String(rowNumber);
      for (let i = 0; i < row.length; i++) out[i + 1] = cell(row[i]);
      done(null, out);
    },
    flush(done: TransformCallback) {
      // No rows: the file still has its header line.
      if (rowNumber === 0 && header.length > 0) this.push(header);
      done();
    },
  });
  // csv-stringify only quotes the record delimiter itself (CRLF); a bare LF or CR inside a
  // value must be quoted too, or the row splits in two.
  const csv = stringify({ record_delimiter: "windows", quoted_match: /[\r\n]/ });
  // Strings, not Buffers, downstream: the iconv-lite encoder takes text.
  csv.setEncoding("utf8");
  return { stages: [numbering, csv], rowCount: () => rowNumber };
}

function pad(labels: string[], width: number): string[] {
  return labels.length >= width
    ? labels
    : [...labels, ...new Array<string>(width - labels.length).fill("")];
}
