import { Transform, type TransformCallback } from "node:stream";
import { stringify } from "csv-stringify";
import { escapeFormula, valueText } from "./value-text.js";

export interface CsvLayoutOptions {
  /** Header labels; the first heads the row-number column. Empty: no header line. */
  header: string[];
  escapeFormulas: boolean;
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
 */
export function createCsvLayout(o: CsvLayoutOptions): {
  stages: [Transform, Transform];
  rowCount: () => number;
} {
  const cell = o.escapeFormulas ? (v: unknown) => escapeFormula(valueText(v)) : valueText;
  let rowNumber = 0;
  const numbering = new Transform({
    objectMode: true,
    transform(row: unknown[], _enc: BufferEncoding, done: TransformCallback) {
      rowNumber += 1;
      const out = new Array<string>(row.length + 1);
      out[0] = String(rowNumber);
      for (let i = 0; i < row.length; i++) out[i + 1] = cell(row[i]);
      done(null, out);
    },
  });
  // csv-stringify only quotes the record delimiter itself (CRLF); a bare LF or CR inside a
  // value must be quoted too, or the row splits in two.
  const csv = stringify({ record_delimiter: "windows", quoted_match: /[\r\n]/ });
  // Strings, not Buffers, downstream: the iconv-lite encoder takes text.
  csv.setEncoding("utf8");
  if (o.header.length > 0) {
    csv.write(o.escapeFormulas ? o.header.map(escapeFormula) : o.header);
  }
  return { stages: [numbering, csv], rowCount: () => rowNumber };
}
