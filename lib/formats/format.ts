import type { Transform } from "node:stream";
import type { ServerRendering } from "../sources/types.js";
import type { TextEncoding } from "./encoding/encoder.js";

/** The settings a format may use (CSV_ENCODING, CSV_ESCAPE_FORMULAS). */
export interface FormatSettings {
  encoding: TextEncoding;
  escapeFormulas: boolean;
}

export interface WriterOptions {
  /** Header labels from the task's title; the first heads the row-number column. */
  header: string[];
  settings: FormatSettings;
  /** Rows of text values from the source, or bytes the server rendered (see serverRendering). */
  input: "rows" | ServerRendering;
  /** Called once if the title's label count differs from the query's columns plus one. */
  onWidthMismatch?: (labels: number, columns: number) => void;
}

/** The stages that turn the source's output into the file's bytes, in pipeline order. */
export interface FormatWriter {
  stages: Transform[];
  rowCount(): number;
}

/**
 * One output format. The exporter, the object key, the upload sweep and the download name
 * ask the format; nothing outside lib/formats knows which formats exist. A new format is a
 * new file implementing this and a line in the registry (lib/formats/index.ts).
 */
export interface OutputFormat {
  /** File name extension, without the dot; also ends the S3 key. */
  extension: string;
  contentType(s: FormatSettings): string;
  /**
   * What the database may render for this format instead of handing rows (PostgreSQL COPY
   * writes RFC 4180 CSV), or undefined when the format needs every value (formula escaping).
   */
  serverRendering(s: FormatSettings): ServerRendering | undefined;
  createWriter(o: WriterOptions): FormatWriter;
}
