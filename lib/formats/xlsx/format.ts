import { DEFAULT_LEVEL } from "../container/containers.js";
import { createZipStage } from "../container/zip-stage.js";
import type { OutputFormat } from "../format.js";
import { createXlsxLayout, EXCEL_DATA_ROWS } from "./sheet-writer.js";

/**
 * An Excel workbook (Office Open XML), streamed: the sheets' XML is written here
 * (sheet-writer.ts) and deflated into the package by the ZIP stage as it goes. Typed cells
 * need every value, so the database never renders it. Always UTF-8 inside (XML).
 */
export function xlsxFormatWith(o: { rowsPerSheet?: number; level?: number } = {}): OutputFormat {
  return {
    extension: "xlsx",
    contentType: () => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    serverRendering: () => undefined,
    createWriter(w) {
      if (w.input !== "rows") throw new Error(`the spreadsheet writer takes rows, not ${w.input}`);
      const layout = createXlsxLayout({
        header: w.header,
        columns: w.columns,
        onWidthMismatch: w.onWidthMismatch,
        rowsPerSheet: o.rowsPerSheet ?? EXCEL_DATA_ROWS,
      });
      // The package's entries are named by the layout; entryName is never used.
      const zip = createZipStage({ entryName: "xl/unnamed.xml", level: o.level ?? DEFAULT_LEVEL });
      return { stages: [...layout.stages, zip], rowCount: layout.rowCount };
    },
  };
}

export const xlsxFormat: OutputFormat = xlsxFormatWith();
