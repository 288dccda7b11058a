import { CONTAINER_NAMES, CONTAINERS } from "./container/containers.js";
import { csvFormat } from "./csv/format.js";
import type { OutputFormat } from "./format.js";
import { xlsxFormat } from "./xlsx/format.js";

/** Every output format, by the name EXPORT_FORMAT takes. */
export const FORMATS = { csv: csvFormat, xlsx: xlsxFormat } as const satisfies Record<
  string,
  OutputFormat
>;

export type FormatName = keyof typeof FORMATS;
export const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];
export const DEFAULT_FORMAT: FormatName = "csv";

/**
 * The extensions any format writes, in any container (csv, csv.gz, zip, xlsx, ...): the upload
 * sweep recognises keys by them.
 */
export const FORMAT_EXTENSIONS: readonly string[] = [
  ...new Set(
    Object.values(FORMATS).flatMap((f) =>
      CONTAINER_NAMES.map((c) => CONTAINERS[c].extension(f.extension)),
    ),
  ),
];
