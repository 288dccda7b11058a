import { keyBoundOrUndefined, type SliceKeyKind } from "../sources/key-bounds.js";
import type { SqlText } from "../sources/types.js";

/**
 * The SQL a sliced task runs on the data database: the task's own SQL inside brackets, with
 * the slice key's range as a predicate that both engines push into the derived table (so an
 * index on the key is used: README "Sliced exports"). Bounds are whole numbers printed from
 * BigInt here, never text from the data or the task: in brackets for a number key (so `- -5`
 * cannot become a `--` comment), as an ISO date or timestamp literal for a time key (the
 * engine's keyBound, key-bounds.ts). The key is a checked identifier, quoted for the engine.
 * Newlines around the task's SQL end a trailing `--` comment.
 */
export interface SliceQueries {
  /** The key's column alone, no rows: its kind, before anything is scanned. */
  probe(): string;
  /**
   * The key's lowest and highest values as whole numbers (key-bounds.ts; NULL for a value with
   * none, such as a zero date), in the engine's cheap way (SqlText.keyExtremes): one query
   * answering `min, max, no key at all`, or two each answering `value` for the lowest, then the
   * highest (no row: no key at all). Read from the key's index where the engine can see through
   * the task's SQL to the table (README "Sliced exports").
   */
  bounds(kind: SliceKeyKind): string[];
  /** The rows whose key is NULL, which no slice would hold (the index answers, if there is one). */
  nulls(): string;
  /** Every row of the result, where the engine's key ranges may miss some (SqlText.countsAll). */
  total(kind: SliceKeyKind): string | undefined;
  /**
   * Rows per bucket of `width` keys from `lo`, `count` buckets: bucket b holds lo + b*width <= key
   * < lo + (b+1)*width. With `part`, only buckets from..to-1, read as one key range (through the
   * key's index), so that parts of the result are counted at once on several connections.
   * Told apart by comparisons only, the very ones a slice's range makes:
   * no arithmetic on the key, which overflows the key's type (`key - lo` on an INT or BIGINT key
   * spanning more than half its range) or rounds (decimal division), and which a text key would
   * do differently from its comparisons. A boundary at or past `end` (the largest key + 1) is
   * not compared at all, as every key lies below it: the last buckets' boundaries can pass the
   * largest key by a few units (width rounds up), and a date or timestamp past 9999 has no literal.
   */
  buckets(
    kind: SliceKeyKind,
    lo: bigint,
    width: bigint,
    count: number,
    end?: bigint,
    part?: { from: number; to: number },
  ): string;
  /** One slice: lo <= key < hi, in key order. */
  range(kind: SliceKeyKind, lo: bigint, hi: bigint): string;
}

/** Thrown when the task's SQL cannot be wrapped: the task fails with this msg. */
export class NotSliceable extends Error {
  override name = "NotSliceable";
}

export function sliceQueries(text: SqlText, sql: string, key: string): SliceQueries {
  const body = text.wrappable(sql);
  if (body === undefined)
    throw new NotSliceable(
      "The task's SQL cannot be split into slices: it must be one query whose brackets balance, ending at most in a semicolon. Remove the option slice_key, or fix the SQL.",
    );
  const k = `oe_slice.${text.quoteIdent(key)}`;
  const from = `FROM (\n${body}\n) oe_slice`;
  const bound = (kind: SliceKeyKind, v: bigint) =>
    kind === "number" ? `(${v.toString()})` : text.keyBound(kind, v);
  const whole = (kind: SliceKeyKind, e: string) =>
    kind === "number" ? e : text.keyAsWhole(kind, e);
  return {
    probe: () => `SELECT ${k} ${from} LIMIT 0`,
    bounds: (kind) =>
      text.keyExtremes === "min-max"
        ? [
            `SELECT ${whole(kind, `MIN(${k})`)}, ${whole(kind, `MAX(${k})`)}, MIN(${k}) IS NULL ${from}`,
          ]
        : ["ASC", "DESC"].map(
            (dir) =>
              `SELECT ${whole(kind, k)} ${from} WHERE ${k} IS NOT NULL ORDER BY ${k} ${dir} LIMIT 1`,
          ),
    nulls: () => `SELECT COUNT(*) ${from} WHERE ${k} IS NULL`,
    total: (kind) => (text.countsAll(kind) ? `SELECT COUNT(*) ${from}` : undefined),
    buckets: (kind, lo, width, count, end, part) => {
      // A binary search in CASEs: about log2(count) comparisons a row, not count (100 slices of
      // 20M rows would be 2G comparisons written out flat).
      const bucket = (from: number, to: number): string => {
        if (to - from === 1) return String(from);
        const mid = Math.floor((from + to) / 2);
        const at = lo + BigInt(mid) * width;
        // A boundary past the largest key (the width rounds up) holds every key below it: no
        // comparison, so no literal for a date past 9999-12-31 either.
        if (end !== undefined && at >= end) return bucket(from, mid);
        return `CASE WHEN ${k} < ${bound(kind, at)} THEN ${bucket(from, mid)} ELSE ${bucket(mid, to)} END`;
      };
      // Unset: every bucket, as one range from lo.
      const { from: first, to } = part ?? { from: 0, to: count };
      const at = (b: number) => lo + BigInt(b) * width;
      const upper = end !== undefined && at(to) >= end ? "" : ` AND ${k} < ${bound(kind, at(to))}`;
      return `SELECT ${bucket(first, to)}, COUNT(*) ${from} WHERE ${k} >= ${bound(kind, at(first))}${upper} GROUP BY 1 ORDER BY 1`;
    },
    range: (kind, lo, hi) => {
      // Only the last slice's hi (the largest key + 1) can lie past 9999-12-31; no key does.
      const upper =
        kind !== "number" && keyBoundOrUndefined(kind, hi) === undefined
          ? ""
          : ` AND ${k} < ${bound(kind, hi)}`;
      return `SELECT * ${from} WHERE ${k} >= ${bound(kind, lo)}${upper} ORDER BY ${k}`;
    },
  };
}
