// Rows through the CSV format's writer (layout + encoder), as the exporter runs it.
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { csvFormat } from "../../lib/formats/csv/format.js";
import type { TextEncoding } from "../../lib/formats/encoding/encoder.js";

export async function render(
  rows: unknown[][],
  header: string[],
  encoding: TextEncoding = "gb18030",
  escapeFormulas = false,
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
  await pipeline([Readable.from(rows), ...writer.stages, sink]);
  return { bytes: Buffer.concat(chunks), rows: writer.rowCount() };
}
