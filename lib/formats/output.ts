import type { ServerRendering } from "../sources/types.js";
import { inContainer } from "./container/containers.js";
import type { FormatSettings, FormatWriter, WriterOptions } from "./format.js";
import { FORMATS } from "./index.js";
import type { OutputOptions } from "./options.js";
import { EXCEL_DATA_ROWS } from "./xlsx/sheets.js";

/**
 * One task's output, bound once when the task starts: the format inside its container with
 * the task's settings. Nothing after this looks the format, encoding or container up again.
 */
export interface BoundOutput {
  /** The object key's and download name's extension (csv, csv.gz, zip, xlsx). */
  extension: string;
  contentType: string;
  /**
   * Parts the upload may send at once, at most: compressed output is about a quarter of the
   * bytes, so one part in flight keeps up and holds 5 MB less (npm run bench).
   */
  uploadQueueSize(configured: number): number;
  /** Whether the file is compressed (gzip, ZIP): a part then holds about four times the data. */
  compressed: boolean;
  /** What the database may render instead of handing rows, if anything. */
  serverRendering: ServerRendering | undefined;
  /**
   * Whether the file may be written in slices concatenated byte for byte (WriterOptions
   * continueAt): plain CSV only. Parts repeat the header per ZIP entry, a gzip or ZIP file is
   * not its slices' compressed bytes end to end, and an XLSX is a ZIP.
   */
  sliceable: boolean;
  /**
   * The format's writer with the task's settings; continueAt > 0 only when `sliceable`. Its
   * rowCount() is this writer's rows, not counting continueAt: a sliced file's rows are the sum.
   */
  createWriter(o: Omit<WriterOptions, "settings" | "multipleEntries">): FormatWriter;
  /**
   * A note for the task's msg when a file that succeeded holds more data rows than a sheet
   * shows (a CSV not split into parts); undefined when there is nothing to say.
   */
  notice(rows: number): string | undefined;
}

export function bindOutput(o: OutputOptions, tuning: { rowsPerPart?: number } = {}): BoundOutput {
  const rowsPerPart = o.splitRows ? (tuning.rowsPerPart ?? EXCEL_DATA_ROWS) : undefined;
  const settings: FormatSettings = {
    encoding: o.encoding,
    escapeFormulas: o.escapeFormulas,
    longDigitsAsText: o.longDigitsAsText,
    rowsPerPart,
  };
  // Parts travel in one ZIP, whatever compress said (options.ts refuses gzip with parts).
  const container = o.splitRows ? "zip" : o.compress;
  const format = inContainer(FORMATS[o.format], container);
  const oneSheet = o.format === "csv" && !o.splitRows;
  const sliceable = oneSheet && container === "none";
  return {
    extension: format.extension,
    contentType: format.contentType(settings),
    uploadQueueSize: (configured) => (container === "none" ? configured : 1),
    compressed: container !== "none",
    serverRendering: format.serverRendering(settings),
    sliceable,
    createWriter: (w) => {
      // Another format would ignore it and write a whole file where a continuation belongs.
      if ((w.continueAt ?? 0) > 0 && !sliceable)
        throw new Error(`a ${format.extension} file cannot be written in slices`);
      return format.createWriter({ ...w, settings });
    },
    notice: (rows) =>
      oneSheet && rows > EXCEL_DATA_ROWS
        ? `Exported ${rows.toLocaleString("en-US")} rows. Excel shows only the first ${EXCEL_DATA_ROWS.toLocaleString("en-US")} rows of a CSV: create the task again with the option split_rows (parts of ${EXCEL_DATA_ROWS.toLocaleString("en-US")} rows in one ZIP) or format xlsx (a new sheet every ${EXCEL_DATA_ROWS.toLocaleString("en-US")} rows) to see them all in Excel.`
        : undefined,
  };
}
