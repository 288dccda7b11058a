import { charsetOf, createEncoder } from "../encoding/encoder.js";
import type { OutputFormat } from "../format.js";
import { createCopyCsvLayout } from "./copy-csv.js";
import { createCsvLayout } from "./layout.js";

/** RFC 4180 CSV with the seed's layout (title line, row number first), GB18030 by default. */
export const csvFormat: OutputFormat = {
  extension: "csv",
  contentType: (s) => `text/csv; charset=${charsetOf(s.encoding)}`,
  // Formula escaping must see every cell, so it always takes rows.
  serverRendering: (s) => (s.escapeFormulas ? undefined : "rfc4180-csv"),
  createWriter(o) {
    const layout =
      o.input === "rows"
        ? createCsvLayout({
            header: o.header,
            escapeFormulas: o.settings.escapeFormulas,
            onWidthMismatch: o.onWidthMismatch,
          })
        : createCopyCsvLayout({ header: o.header, onWidthMismatch: o.onWidthMismatch });
    return {
      stages: [...layout.stages, createEncoder(o.settings.encoding)],
      rowCount: layout.rowCount,
    };
  },
};
