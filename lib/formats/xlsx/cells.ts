import type { ColumnKind } from "../../sources/types.js";
import { valueText } from "../csv/value-text.js";
import { temporalSerial } from "./serial-date.js";
import { type XmlBytes, xmlString } from "./xml-bytes.js";
import { openCell, writeInlineString } from "./xml-text.js";

/** The most characters (UTF-16 code units) Excel holds in one cell. */
export const MAX_CELL_CHARS = 32_767;

/** Cell formats, by their index in styles.xml's cellXfs (parts.ts writes them in this order). */
export const STYLE = {
  header: 1,
  date: 2,
  time: 3,
  timeMs: 4,
  dateTime: 5,
  dateTimeMs: 6,
} as const;

/** Excel keeps 15 significant digits; a number with more would change in the file. */
const MAX_DIGITS = 15;
const NUMBER = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
// The smallest normal and the largest number Excel holds.
const MIN_MAGNITUDE = 2.2250738585072014e-308;
const MAX_MAGNITUDE = 9.99999999999999e307;

/**
 * The `<v>` of a numeric column's text, or undefined when Excel cannot hold it exactly (more
 * than 15 significant digits: bigint, long decimals; NaN, Infinity; beyond Excel's range):
 * then the text is written as text, and no digit is lost.
 */
export function numberValue(text: string): string | undefined {
  const plain = plainDecimalDigits(text);
  if (plain >= 0) return plain <= MAX_DIGITS ? text : undefined;
  const m = NUMBER.exec(text);
  if (!m) return undefined;
  const digits = `${m[2]}${m[3] ?? ""}`.replace(/^0+/, "").replace(/0+$/, "");
  if (digits.length > MAX_DIGITS) return undefined;
  const n = Number(text);
  const size = Math.abs(n);
  if (!Number.isFinite(n) || size > MAX_MAGNITUDE) return undefined;
  if (digits !== "" && size < MIN_MAGNITUDE) return undefined;
  // Plain decimals as the database wrote them (valid in <v>); exponents and signs normalised.
  return m[1] === "" && m[4] === undefined ? text : String(n);
}

// Short enough that a plain decimal is inside Excel's range (under 1e299, over 1e-299).
const PLAIN_MAX_CHARS = 300;

/**
 * The significant digits of the databases' usual output, `-123.450` (an optional minus,
 * digits, an optional point and digits), counted in one pass; -1 for anything else, which
 * takes the careful path. Most numeric cells come here, so it allocates nothing.
 */
function plainDecimalDigits(text: string): number {
  const n = text.length;
  if (n === 0 || n > PLAIN_MAX_CHARS) return -1;
  const start = text.charCodeAt(0) === 45 ? 1 : 0;
  if (start === n) return -1;
  let first = -1;
  let last = -1;
  let dot = -1;
  for (let at = start; at < n; at++) {
    const c = text.charCodeAt(at);
    if (c >= 48 && c <= 57) {
      if (c !== 48) {
        if (first < 0) first = at;
        last = at;
      }
    } else if (c === 46 && dot < 0 && at > start && at < n - 1) dot = at;
    else return -1;
  }
  if (first < 0) return 0;
  return last - first + 1 - (dot > first && dot < last ? 1 : 0);
}

/** A boolean column's text as Excel's 1 or 0: PostgreSQL t/f, MySQL 1/0, true/false. */
export function booleanValue(text: string): "1" | "0" | undefined {
  switch (text) {
    case "t":
    case "1":
    case "true":
      return "1";
    case "f":
    case "0":
    case "false":
      return "0";
    default:
      return undefined;
  }
}

/** A serial date's format, by the column's kind and whether it shows milliseconds. */
function temporalStyle(kind: "date" | "time" | "timestamp", fraction: boolean): number {
  if (kind === "date") return STYLE.date;
  if (kind === "time") return fraction ? STYLE.timeMs : STYLE.time;
  return fraction ? STYLE.dateTimeMs : STYLE.dateTime;
}

/**
 * One cell, typed by its column's kind. `ref` is its A1 reference, or "" for a cell right
 * after the previous one in its row (readers count on from there; ECMA-376 makes `r`
 * optional, and every byte left out is one less to copy, check and deflate). `text` is the database's
 * text for the value (NULL has no cell: the caller writes nothing, and the next cell's ref);
 * a longer text than a cell holds is the caller's to refuse.
 */
export function writeTypedCell(out: XmlBytes, ref: string, text: string, kind: ColumnKind): void {
  switch (kind) {
    case "number": {
      const v = numberValue(text);
      if (v === undefined) break;
      openCell(out, ref);
      out.ascii("><v>");
      out.ascii(v);
      out.ascii("</v></c>");
      return;
    }
    case "date":
    case "time":
    case "timestamp": {
      const d = temporalSerial(text, kind);
      if (d === undefined) break;
      openCell(out, ref);
      out.ascii(STYLE_ATTR[temporalStyle(kind, d.fraction)] as string);
      out.ascii(String(d.serial));
      out.ascii("</v></c>");
      return;
    }
    case "boolean": {
      const b = booleanValue(text);
      if (b === undefined) break;
      openCell(out, ref);
      out.ascii(b === "1" ? ' t="b"><v>1</v></c>' : ' t="b"><v>0</v></c>');
      return;
    }
  }
  writeInlineString(out, ref, text);
}

// ` s="N"><v>` for each style, made once.
const STYLE_ATTR = Array.from({ length: 7 }, (_, s) => ` s="${s}"><v>`);

/** One typed cell's XML as a string (tests). */
export const typedCell = (ref: string, text: string, kind: ColumnKind): string =>
  xmlString((out) => writeTypedCell(out, ref, text, kind));

/** The text of a value from a source (strings already; anything else as the CSV writes it). */
export const cellValueText = (v: unknown): string => (typeof v === "string" ? v : valueText(v));

/** Column letters: 0 -> A, 25 -> Z, 26 -> AA, 16383 -> XFD. */
export function columnLetters(index: number): string {
  let n = index + 1;
  let out = "";
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}
