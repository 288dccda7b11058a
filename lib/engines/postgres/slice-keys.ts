import { keyBoundText, quotedBound } from "../../sources/key-bounds.js";
import type { SqlText } from "../../sources/types.js";

/**
 * Date and timestamp slice keys on PostgreSQL. A date is days from 1970-01-01 (date minus date
 * is whole days); a timestamp is EXTRACT(EPOCH) in microseconds, exact in PostgreSQL 14's
 * numeric: since the epoch for timestamptz, the nominal wall time for timestamp. A bound is an
 * untyped literal, which PostgreSQL reads as the key's own type: "+00" makes it the same instant
 * for timestamptz whatever the session's TimeZone, and timestamp ignores it. Infinity has no
 * number (NULL), which the plan refuses.
 */
export const postgresSliceKeys: Pick<
  SqlText,
  "keyAsWhole" | "keyBound" | "keyExtremes" | "countsAll"
> = {
  keyExtremes: "min-max",
  countsAll: () => false,
  keyAsWhole: (kind, e) =>
    kind === "date"
      ? `CASE WHEN isfinite(${e}) THEN (${e}) - DATE '1970-01-01' END`
      : `CASE WHEN isfinite(${e}) THEN FLOOR(EXTRACT(EPOCH FROM ${e}) * 1000000) END`,
  keyBound: (kind, v) =>
    quotedBound(kind === "date" ? keyBoundText(kind, v) : `${keyBoundText(kind, v)}+00`),
};
