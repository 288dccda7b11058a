import { IDENT } from "../identifiers.js";
import { TEXT_ENCODINGS, type TextEncoding } from "./encoding/encoder.js";
import { FORMAT_NAMES, type FormatName } from "./index.js";

/** How one task's file is written: the deployment's defaults, overridden by the task's options. */
export interface OutputOptions {
  format: FormatName;
  /** CSV only. */
  encoding: TextEncoding;
  /** CSV only: cells Excel would run as formulas get a leading `'` (OWASP CSV injection). */
  escapeFormulas: boolean;
  /** CSV only: text of long digit runs written so Excel shows every digit (see csv/long-digits.ts). */
  longDigitsAsText: boolean;
  /** CSV only: parts of at most 1,048,575 data rows, each with the header, in one ZIP. */
  splitRows: boolean;
  /** CSV only: the file gzipped (.csv.gz) or in a ZIP (.zip). */
  compress: "none" | "gzip" | "zip";
  /** Not about the file: the task's own webhook (lib/notify), checked by OptionChecks. */
  notifyUrl?: string;
  /**
   * Not about the file's bytes: a whole-number, date or timestamp column of the result that the export may be
   * split by, across workers (lib/slices). Checked as an identifier: it enters SQL text quoted.
   */
  sliceKey?: string;
  /** With sliceKey: how many slices (2 to MAX_SLICES); unset: from the row count (SLICE_ROWS). */
  slices?: number;
  /** With sliceKey, instead of slices: rows per slice (else SLICE_ROWS), still at most MAX_SLICES. */
  sliceRows?: number;
}

/** The most slices one task may be split into (one SQS message and one slice row each). */
export const MAX_SLICES = 100;

/** Checks of options that belong to other parts (lib/notify): they throw naming the rule. */
export interface OptionChecks {
  /** Unset: tasks may not name a webhook (no allow-list). */
  notifyUrl?: (url: string) => string;
}

export const OUTPUT_FORMATS: readonly OutputOptions["format"][] = FORMAT_NAMES;
export const COMPRESSIONS: readonly OutputOptions["compress"][] = ["none", "gzip", "zip"];

/** The deployment's defaults for every task's options (config.ts). */
export function outputDefaults(s: {
  format: OutputOptions["format"];
  encoding: TextEncoding;
  escapeFormulas: boolean;
  longDigitsAsText: boolean;
  splitRows: boolean;
  compress: OutputOptions["compress"];
}): OutputOptions {
  const { format, encoding, escapeFormulas, longDigitsAsText, splitRows, compress } = s;
  return { format, encoding, escapeFormulas, longDigitsAsText, splitRows, compress };
}

/** A task's options that cannot be used: the msg names the option and what it may be. */
export class OptionsRejected extends Error {
  override name = "OptionsRejected";
}

type Reader = (value: unknown, key: string, checks: OptionChecks) => unknown;

const oneOf =
  <T extends string>(allowed: readonly T[]): Reader =>
  (v, key) => {
    if (typeof v === "string" && allowed.includes(v.toLowerCase() as T)) return v.toLowerCase();
    throw new OptionsRejected(
      `option "${key}" must be one of ${allowed.join(", ")}, not ${shown(v)}`,
    );
  };

// PHP's json_encode writes true/false; 1/0 are accepted as the same.
const flag: Reader = (v, key) => {
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  throw new OptionsRejected(`option "${key}" must be true or false, not ${shown(v)}`);
};

const webhookUrl: Reader = (v, key, checks) => {
  if (typeof v !== "string" || v.trim() === "")
    throw new OptionsRejected(`option "${key}" must be a URL, not ${shown(v)}`);
  if (!checks.notifyUrl)
    throw new OptionsRejected(
      `option "${key}" cannot be used: this deployment lets no task name a webhook (NOTIFY_WEBHOOK_ALLOW is empty)`,
    );
  try {
    return checks.notifyUrl(v.trim());
  } catch (err) {
    throw new OptionsRejected(`option "${key}": ${(err as Error).message}`);
  }
};

// The identifiers parseTableName takes: the key is quoted into the slice queries' text.
const columnName: Reader = (v, key) => {
  if (typeof v === "string" && IDENT.test(v)) return v;
  throw new OptionsRejected(
    `option "${key}" must name a column of the query's result (letters, digits and _, not starting with a digit), not ${shown(v)}`,
  );
};

const sliceCount: Reader = (v, key) => {
  if (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= MAX_SLICES) return v;
  throw new OptionsRejected(
    `option "${key}" must be a whole number from 1 to ${MAX_SLICES}, not ${shown(v)}`,
  );
};

/** The most rows per slice a task may ask for (option slice_rows). */
export const MAX_SLICE_ROWS = 1_000_000_000;

const rowsPerSlice: Reader = (v, key) => {
  if (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= MAX_SLICE_ROWS) return v;
  throw new OptionsRejected(
    `option "${key}" must be a whole number of rows from 1 to ${MAX_SLICE_ROWS}, not ${shown(v)}`,
  );
};

// The JSON keys a task may set, each with its reader and the field it sets.
const KEYS: Record<string, [keyof OutputOptions, Reader]> = {
  format: ["format", oneOf(OUTPUT_FORMATS)],
  encoding: ["encoding", oneOf(TEXT_ENCODINGS)],
  escape_formulas: ["escapeFormulas", flag],
  long_digits_as_text: ["longDigitsAsText", flag],
  split_rows: ["splitRows", flag],
  compress: ["compress", oneOf(COMPRESSIONS)],
  notify_url: ["notifyUrl", webhookUrl],
  slice_key: ["sliceKey", columnName],
  slices: ["slices", sliceCount],
  slice_rows: ["sliceRows", rowsPerSlice],
};

/** The option keys a task may set, for messages and the README. */
export const OPTION_KEYS = Object.keys(KEYS);

const CSV_ONLY: (keyof OutputOptions)[] = [
  "encoding",
  "escapeFormulas",
  "longDigitsAsText",
  "splitRows",
  "compress",
];

function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/**
 * The task's `options` column (JSON, or NULL/empty for the defaults) resolved against the
 * deployment's defaults, once, before any byte is written. Unknown keys, bad values and
 * combinations that cannot be honoured throw OptionsRejected naming the option. A CSV-only
 * option the task did not set is simply not used for an XLSX file; one it did set is refused.
 */
export function resolveOptions(
  raw: string | null,
  defaults: OutputOptions,
  checks: OptionChecks = {},
): OutputOptions {
  const text = raw?.trim() ?? "";
  if (text === "") return settle(defaults, new Set());
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new OptionsRejected(`options must be a JSON object such as {"format": "xlsx"}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new OptionsRejected(`options must be a JSON object such as {"format": "xlsx"}`);
  }
  const out: OutputOptions = { ...defaults };
  const given = new Set<keyof OutputOptions>();
  for (const [key, value] of Object.entries(parsed)) {
    const entry = Object.hasOwn(KEYS, key) ? KEYS[key] : undefined;
    if (entry === undefined) {
      throw new OptionsRejected(
        `unknown option ${shown(key)} (the options are ${OPTION_KEYS.join(", ")})`,
      );
    }
    const [field, read] = entry;
    (out as unknown as Record<string, unknown>)[field] = read(value, key, checks);
    given.add(field);
  }
  return settle(out, given);
}

/**
 * The options as one file can honour them, whether they came from the task or the defaults:
 * a task's own CSV-only option for another format, or its own gzip with parts, is refused;
 * the same from the deployment's defaults simply does not apply (parts go in a ZIP anyway).
 */
function settle(out: OutputOptions, given: Set<keyof OutputOptions>): OutputOptions {
  if (out.slices !== undefined && out.sliceKey === undefined)
    throw new OptionsRejected(`option "slices" needs "slice_key": the column to split the rows by`);
  if (out.sliceRows !== undefined && out.sliceKey === undefined)
    throw new OptionsRejected(
      `option "slice_rows" needs "slice_key": the column to split the rows by`,
    );
  if (out.slices !== undefined && out.sliceRows !== undefined)
    throw new OptionsRejected(
      `options "slices" and "slice_rows" both say how to slice: give one of them`,
    );
  // Slices are joined byte for byte: only a plain CSV file is the sum of its pieces.
  if (
    out.sliceKey !== undefined &&
    (out.format !== "csv" || out.splitRows || out.compress !== "none")
  )
    throw new OptionsRejected(
      `option "slice_key" works for plain CSV files only (format csv, no split_rows, compress none): slices are joined byte for byte, which a workbook, a ZIP or a gzip file is not`,
    );
  // Every other format is a file of its own kind (a workbook): the CSV options do not apply.
  if (out.format !== "csv") {
    const set = CSV_ONLY.filter((f) => given.has(f));
    if (set.length > 0) {
      const key = OPTION_KEYS.find((k) => KEYS[k]?.[0] === set[0]) as string;
      throw new OptionsRejected(
        `option "${key}" applies to CSV only; an ${out.format.toUpperCase()} file is already compressed, starts a new sheet every 1,048,575 rows and never runs a cell as a formula`,
      );
    }
    return { ...out, compress: "none", splitRows: false };
  }
  if (out.splitRows && out.compress === "gzip" && given.has("compress")) {
    throw new OptionsRejected(
      `option "split_rows" delivers its parts in one ZIP, so "compress" must be "zip" or "none", not "gzip"`,
    );
  }
  return out;
}

/** A task's notify_url as stored (checked when the task ran), or undefined; never throws. */
export function notifyUrlOf(raw: string | null): string | undefined {
  try {
    const v = (JSON.parse(raw ?? "") as { notify_url?: unknown } | null)?.notify_url;
    return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
  } catch {
    return undefined;
  }
}
