import type { ColumnKind } from "../../sources/types.js";
import { writeTypedCell } from "./cells.js";
import { DOUBLED, ENTITY, SLOW } from "./copy-records.js";
import type { XmlBytes } from "./xml-bytes.js";
import { openCell } from "./xml-text.js";

/**
 * One field of the server's CSV as a typed cell, written as cells.ts writes the same value from
 * its text (the differential test holds the two paths to the same bytes). The common cells stay
 * on bytes: plain decimals of up to 15 significant digits, t/f, and text whose content needs at
 * most entities and unquoting. Anything else (dates, exponents, NaN, controls, invalid UTF-8)
 * is decoded to a string, as the row path's driver decodes it, and written by cells.ts itself.
 */

/** Excel keeps 15 significant digits (cells.ts MAX_DIGITS). */
const MAX_DIGITS = 15;
// cells.ts PLAIN_MAX_CHARS: a plain decimal that short is inside Excel's range.
const PLAIN_MAX_CHARS = 300;

/**
 * cells.ts plainDecimalDigits on bytes: the significant digits of `-123.450` (an optional minus,
 * digits, at most one point with digits on both sides), or -1 for any other shape.
 */
export function plainDigits(buf: Buffer, s: number, e: number): number {
  const n = e - s;
  if (n === 0 || n > PLAIN_MAX_CHARS) return -1;
  const start = buf[s] === 0x2d ? s + 1 : s;
  if (start === e) return -1;
  let first = -1;
  let last = -1;
  let dot = -1;
  for (let at = start; at < e; at++) {
    const c = buf[at] as number;
    if (c >= 0x30 && c <= 0x39) {
      if (c !== 0x30) {
        if (first < 0) first = at;
        last = at;
      }
    } else if (c === 0x2e && dot < 0 && at > start && at < e - 1) dot = at;
    else return -1;
  }
  if (first < 0) return 0;
  return last - first + 1 - (dot > first && dot < last ? 1 : 0);
}

/**
 * The value's length in UTF-16 code units, as the row path counts it (JavaScript's length):
 * one per character, two for one above U+FFFF (a four-byte sequence); `""` is one quote. Valid
 * UTF-8 only.
 */
export function utf16Length(buf: Buffer, s: number, e: number, flags: number): number {
  let units = 0;
  for (let at = s; at < e; at++) {
    const b = buf[at] as number;
    if (b < 0x80 || b >= 0xc0) units += b >= 0xf0 ? 2 : 1;
    if (b === 0x22 && flags & DOUBLED) at++;
  }
  return units;
}

/** The field's value as the row path's driver decodes it (UTF-8, U+FFFD for invalid bytes). */
export function fieldText(buf: Buffer, s: number, e: number, flags: number): string {
  const text = buf.toString("utf8", s, e);
  return flags & DOUBLED ? text.replaceAll('""', '"') : text;
}

const AMP = "&amp;";
const LT = "&lt;";
const GT = "&gt;";

/** Content with entities for & < > and one quote for each `""`, in runs between them. */
function writeEscaped(out: XmlBytes, buf: Buffer, s: number, e: number, doubled: boolean): void {
  let from = s;
  for (let at = s; at < e; at++) {
    const b = buf[at] as number;
    if (b === 0x26 || b === 0x3c || b === 0x3e) {
      out.raw(buf, from, at);
      out.ascii(b === 0x26 ? AMP : b === 0x3c ? LT : GT);
      from = at + 1;
    } else if (b === 0x22 && doubled) {
      out.raw(buf, from, at + 1);
      at += 1;
      from = at + 1;
    }
  }
  out.raw(buf, from, e);
}

const isEdgeSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/** xml-text.ts writeInlineString, for content already known to need no escape but entities. */
function writeTextBytes(out: XmlBytes, ref: string, buf: Buffer, s: number, e: number, f: number) {
  openCell(out, ref);
  out.ascii(' t="inlineStr"><is>');
  const edge = s < e && (isEdgeSpace(buf[s] as number) || isEdgeSpace(buf[e - 1] as number));
  out.ascii(edge ? '<t xml:space="preserve">' : "<t>");
  if (f & (DOUBLED | ENTITY)) writeEscaped(out, buf, s, e, (f & DOUBLED) !== 0);
  else out.raw(buf, s, e);
  out.ascii("</t></is></c>");
}

const TRUE_CELL = ' t="b"><v>1</v></c>';
const FALSE_CELL = ' t="b"><v>0</v></c>';

/**
 * Writes the field buf[s, e) (a value, not NULL; its length already checked) as the cell of a
 * column of `kind`. `utf8` says the field's bytes are valid UTF-8; when not, the value goes
 * through the string path, whose decoding replaces what is invalid.
 */
export function writeFieldCell(
  out: XmlBytes,
  ref: string,
  buf: Buffer,
  s: number,
  e: number,
  flags: number,
  kind: ColumnKind,
  utf8: boolean,
): void {
  if (utf8 && (flags & SLOW) === 0) {
    switch (kind) {
      case "number": {
        // Numbers are never quoted; a quoted field (an empty string) takes the string path.
        const digits = flags === 0 ? plainDigits(buf, s, e) : -1;
        if (digits < 0) break;
        if (digits > MAX_DIGITS) {
          // Excel would round it: text, as cells.ts writes it (ASCII digits need no escape).
          writeTextBytes(out, ref, buf, s, e, flags);
          return;
        }
        openCell(out, ref);
        out.ascii("><v>");
        out.raw(buf, s, e);
        out.ascii("</v></c>");
        return;
      }
      case "boolean": {
        const b = e - s === 1 ? buf[s] : 0;
        if (b !== 0x74 && b !== 0x66) break; // PostgreSQL's t and f
        openCell(out, ref);
        out.ascii(b === 0x74 ? TRUE_CELL : FALSE_CELL);
        return;
      }
      case "date":
      case "time":
      case "timestamp":
        break;
      default:
        writeTextBytes(out, ref, buf, s, e, flags);
        return;
    }
  }
  writeTypedCell(out, ref, fieldText(buf, s, e, flags), kind);
}
