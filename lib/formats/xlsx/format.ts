import { DEFAULT_LEVEL } from "../container/containers.js";
import { createZipStage } from "../container/zip-stage.js";
import type { OutputFormat } from "../format.js";
import { createCopyXlsxLayout } from "./copy-sheet.js";
import { createXlsxLayout, EXCEL_DATA_ROWS } from "./sheet-writer.js";

/**
 * An Excel workbook (Office Open XML), streamed: the sheets' XML is written here (from rows,
 * sheet-writer.ts, or from the server's CSV, copy-sheet.ts, to the same bytes) and deflated
 * into the package by the ZIP stage as it goes. Always UTF-8 inside (XML).
 */
export function xlsxFormatWith(o: { rowsPerSheet?: number; level?: number } = {}): OutputFormat {
  return {
    extension: "xlsx",
    contentType: () => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    // The server's CSV keeps every value's text and tells NULL from an empty string, all the
    // typed cells need; the columns' kinds come with it (RenderedStream.columns).
    serverRendering: () => "rfc4180-csv",
    createWriter(w) {
      const layoutOptions = {
        header: w.header,
        columns: w.columns,
        onWidthMismatch: w.onWidthMismatch,
        rowsPerSheet: o.rowsPerSheet ?? EXCEL_DATA_ROWS,
      };
      const layout =
        w.input === "rows" ? createXlsxLayout(layoutOptions) : createCopyXlsxLayout(layoutOptions);
      // The package's entries are named by the layout; entryName is never used.
      const zip = createZipStage({ entryName: "xl/unnamed.xml", level: o.level ?? DEFAULT_LEVEL });
      return { stages: [...layout.stages, zip], rowCount: layout.rowCount };
    },
  };
}

export const xlsxFormat: OutputFormat = xlsxFormatWith();
