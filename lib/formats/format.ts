import type { Duplex } from "node:stream";
import type { Column, ServerRendering } from "../sources/types.js";
import type { TextEncoding } from "./encoding/encoder.js";

/** The settings a format may use: the task's options over the deployment's (options.ts). */
export interface FormatSettings {
  encoding: TextEncoding;
  escapeFormulas: boolean;
  /** CSV: text of long digit runs kept whole in Excel (csv/long-digits.ts). */
  longDigitsAsText?: boolean;
  /** CSV: parts of at most this many data rows, as entries of a ZIP. */
  rowsPerPart?: number;
}

export interface WriterOptions {
  /** Header labels from the task's title; the first heads the row-number column. */
  header: string[];
  settings: FormatSettings;
  /** Rows of text values from the source, or bytes the server rendered (see serverRendering). */
  input: "rows" | ServerRendering;
  /** Called once if the title's label count differs from the query's columns plus one. */
  onWidthMismatch?: (labels: number, columns: number) => void;
  /**
   * The result's columns, resolved before the first batch arrives. Formats with typed cells
   * (a spreadsheet) use the kinds; without them every value is written as text.
   */
  columns?: Promise<Column[]>;
  /**
   * The name of the file inside a container that holds entries (the download name with the
   * format's extension): the entry that bytes before any marker go to. Default: `export.<ext>`.
   */
  entryName?: string;
  /**
   * Whether the stages after the format's own hold several entries (a ZIP container). Only
   * then may a writer split its output with entry markers after its first bytes.
   */
  multipleEntries?: boolean;
  /**
   * Rows already written before this writer's first row by earlier slices of the same file.
   * When > 0 the writer writes a continuation, bytes that follow those slices' bytes: no
   * header line, no BOM, row numbers from continueAt + 1, and nothing at all for no rows.
   * 0 or absent: a whole file. Only formats whose files concatenate byte for byte take it
   * (BoundOutput.sliceable).
   */
  continueAt?: number;
}

/**
 * The entry protocol: how a writer splits its output into files inside a container.
 *
 * A format's last stage emits, in object mode, Buffers (or strings, taken as UTF-8) and
 * markers `{ entry: "name" }`. A marker starts a new entry of that name; the bytes after it,
 * up to the next marker or the end, are that entry's. Bytes before the first marker, or all of
 * them when there is no marker, go to one entry named `entryName`. Names are paths inside the
 * archive (`part-2.csv`, `xl/worksheets/sheet2.xml`): relative, `/`-separated, each used once.
 *
 * The ZIP container (container/zip-stage.ts) starts a new entry at each marker. The gzip
 * container holds one file: it drops a marker before the first byte and fails the export at a
 * later one. With no container the format's stages are the whole pipeline and must emit bytes
 * only. So a writer emits markers only when its WriterOptions say `multipleEntries`, and then
 * a stage between its layout and the container passes them through in order (the text
 * encoder does with `createEncoder(encoding, { entries: true })`).
 */
export type { EntryMarker, OutputChunk } from "./entries.js";
export { isEntryMarker } from "./entries.js";

/** The stages that turn the source's output into the file's bytes, in pipeline order. */
export interface FormatWriter {
  /** Transforms, or Duplexes that wrap a library's streams (the ZIP stage). */
  stages: Duplex[];
  /** The data rows this writer wrote, not counting WriterOptions.continueAt. */
  rowCount(): number;
}

/**
 * One output format. The exporter, the object key, the upload sweep and the download name
 * ask the format; nothing outside lib/formats knows which formats exist. A new format is a
 * new file implementing this and a line in the registry (lib/formats/index.ts).
 */
export interface OutputFormat {
  /** File name extension, without the leading dot (`csv`, `csv.gz`); also ends the S3 key. */
  extension: string;
  contentType(s: FormatSettings): string;
  /**
   * What the database may render for this format instead of handing rows (PostgreSQL COPY
   * writes RFC 4180 CSV), or undefined when the format needs every value (formula escaping).
   */
  serverRendering(s: FormatSettings): ServerRendering | undefined;
  createWriter(o: WriterOptions): FormatWriter;
}
