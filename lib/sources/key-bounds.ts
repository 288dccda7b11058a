import type { TimeKeyKind } from "./types.js";

/**
 * A slice key's kind, as far as slicing cares: whole numbers as they are; dates as days since
 * 1970-01-01; timestamps as microseconds since 1970-01-01 00:00:00 on the session's clock (a
 * zoned PostgreSQL timestamp: since the epoch). Every bound is a whole number either way, so
 * the plan's arithmetic and the slice table's BIGINT columns are the same for all three.
 */
export type SliceKeyKind = "number" | TimeKeyKind;

const DAY_MS = 86_400_000n;
// 0001-01-01 and 10000-01-01 in milliseconds since the epoch: the years both engines read as
// four digits (MySQL's DATE and DATETIME stop at 9999).
const FIRST_MS = -62_135_596_800_000n;
const END_MS = 253_402_300_800_000n;

/** Thrown for a bound outside years 1-9999: the plan turns it into the task's msg. */
export class KeyOutOfRange extends RangeError {
  override name = "KeyOutOfRange";
}

/**
 * A date or timestamp bound as ISO 8601 text, which both engines read under any DateStyle or
 * sql_mode: `2024-01-31` (days) or `2024-01-31 23:59:59.999999` (microseconds). It is printed
 * from the whole number only (digits, `-`, `:`, `.` and a space), never from text in the data,
 * so it cannot carry a quote into the SQL it is written into.
 */
export function keyBoundText(kind: TimeKeyKind, value: bigint): string {
  const micros = kind === "date" ? value * DAY_MS * 1000n : value;
  const ms = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  if (ms < FIRST_MS || ms >= END_MS)
    throw new KeyOutOfRange(`${kind} ${value} lies outside the years 1 to 9999`);
  const iso = new Date(Number(ms)).toISOString(); // 2024-01-31T23:59:59.999Z
  if (kind === "date") return iso.slice(0, 10);
  const fraction = (micros - ms * 1000n).toString().padStart(3, "0");
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${fraction}`;
}

/** keyBoundText, or undefined for a bound outside years 1-9999. */
export function keyBoundOrUndefined(kind: TimeKeyKind, value: bigint): string | undefined {
  try {
    return keyBoundText(kind, value);
  } catch (e) {
    if (e instanceof KeyOutOfRange) return undefined;
    throw e;
  }
}

/** What keyBoundText prints, and nothing else may enter a slice's SQL between quotes. */
export const KEY_BOUND_SHAPE = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}\.\d{6})?(\+00)?$/;

/** A bound for SQL text: checked against KEY_BOUND_SHAPE, in single quotes. */
export function quotedBound(text: string): string {
  if (!KEY_BOUND_SHAPE.test(text)) throw new Error(`not a key bound: ${text.slice(0, 40)}`);
  return `'${text}'`;
}
