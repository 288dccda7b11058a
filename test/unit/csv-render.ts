// Rows through the CSV format's writer (layout + encoder), as the exporter runs it: in one
// batch, or in batches of `batchRows`.
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { csvFormat } from "../../lib/formats/csv/format.js";
import type { TextEncoding } from "../../lib/formats/encoding/encoder.js";

export async function render(
  rows: unknown[][],
  header: string[],
  encoding: TextEncoding = "gb18030",
  escapeFormulas = false,
  batchRows = rows.length,
) {
  const writer = csvFormat.createWriter({
    header,
    settings: { encoding, escapeFormulas },
    input: "rows",
  });
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  const batches: unknown[][][] = [];
  for (let i = 0; i < rows.length; i += Math.max(batchRows, 1))
    batches.push(rows.slice(i, i + batchRows));
  await pipeline([Readable.from(batches), ...writer.stages, sink]);
  return { bytes: Buffer.concat(chunks), rows: writer.rowCount() };
}
