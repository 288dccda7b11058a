import { charsetOf, createEncoder, createTextEncoder } from "../encoding/encoder.js";
import type { OutputFormat } from "../format.js";
import { createCopyCsvLayout } from "./copy-csv.js";
import { createCsvLayout } from "./layout.js";

/** RFC 4180 CSV with the seed's layout (title line, row number first), GB18030 by default. */
export const csvFormat: OutputFormat = {
  extension: "csv",
  contentType: (s) => `text/csv; charset=${charsetOf(s.encoding)}`,
  // The server's CSV gets the same escaping and long digits (copy-csv.ts); parts are cut by
  // the row writer only.
  serverRendering: (s) => (s.rowsPerPart ? undefined : "rfc4180-csv"),
  createWriter(o) {
    const s = o.settings;
    // A continuation's bytes follow the first slice's, which has the BOM.
    const bom = (o.continueAt ?? 0) === 0;
    const base = (o.entryName ?? "export.csv").replace(/\.csv$/, "");
    const split =
      s.rowsPerPart && o.multipleEntries
        ? { rowsPerPart: s.rowsPerPart, partName: (n: number) => `${base}-${n}.csv` }
        : undefined;
    if (o.input !== "rows") {
      // The server's CSV is encoded in the layout stage itself (copy-csv.ts `encoder`).
      const layout = createCopyCsvLayout({
        header: o.header,
        escapeFormulas: s.escapeFormulas,
        longDigitsAsText: s.longDigitsAsText,
        columns: o.columns,
        onWidthMismatch: o.onWidthMismatch,
        encoder: createTextEncoder(s.encoding, { bom }),
        continueAt: o.continueAt,
      });
      return layout;
    }
    const layout = createCsvLayout({
      header: o.header,
      escapeFormulas: s.escapeFormulas,
      longDigitsAsText: s.longDigitsAsText,
      columns: o.columns,
      split,
      onWidthMismatch: o.onWidthMismatch,
      continueAt: o.continueAt,
    });
    return {
      stages: [...layout.stages, createEncoder(s.encoding, { entries: o.multipleEntries, bom })],
      rowCount: layout.rowCount,
    };
  },
};
