import { MAX_SLICES } from "../formats/options.js";
import { keyBoundOrUndefined, type SliceKeyKind } from "../sources/key-bounds.js";
import type { DataSource, Row } from "../sources/types.js";
import type { PlannedSlice } from "../tasks/slice-sql.js";
import { NotSliceable, type SliceQueries } from "./key-range.js";

export interface PlanSettings {
  /** The slices the task asked for (option `slices`); unset: from the row count. */
  wanted?: number;
  /** Rows per slice when the task does not say how many slices (SLICE_ROWS). */
  sliceRows: number;
}

/** A whole number as the database printed it, or undefined. */
function wholeNumber(v: unknown): bigint | undefined {
  const text = v === null || v === undefined ? "" : String(v).trim();
  return /^-?\d{1,20}$/.test(text) ? BigInt(text) : undefined;
}

/** How many slices: the task's number, or enough for sliceRows each; never more keys than there are. */
export function sliceCount(total: number, span: bigint, s: PlanSettings): number {
  const want = s.wanted ?? Math.ceil(total / s.sliceRows);
  const n = Math.min(want, MAX_SLICES, total);
  return span < BigInt(n) ? Number(span) : n;
}

/**
 * Slices from the rows per bucket: empty buckets are left out, their keys given to the slice
 * before them, so the ranges still cover every key from min to max and no slice is empty
 * (a continuation with no rows would leave its neighbour's part too small to join).
 */
export function slicesFromBuckets(
  min: bigint,
  max: bigint,
  width: bigint,
  counts: Map<number, number>,
): PlannedSlice[] {
  const filled = [...counts.entries()].filter(([, rows]) => rows > 0).sort(([a], [b]) => a - b);
  const slices: PlannedSlice[] = [];
  let offset = 0;
  filled.forEach(([b, rows], i) => {
    const next = filled[i + 1];
    slices.push({
      n: i,
      lo: i === 0 ? min : min + BigInt(b) * width,
      hi: next === undefined ? max + 1n : min + BigInt(next[0]) * width,
      rows,
      offset,
    });
    offset += rows;
  });
  return slices;
}

/**
 * Every row of a planning query. `signal` (the task's watchdog: cancel, deadline, lost claim)
 * ends it early: the stream is destroyed with the signal's reason, and closing an unfinished
 * stream stops the query on the server (the sources' close), so a cancel is not kept waiting
 * for a scan of the whole result.
 */
async function readAll(
  source: DataSource,
  sql: string,
  signal?: AbortSignal,
): Promise<{ rows: Row[]; kinds: string[] }> {
  if (signal?.aborted) throw signal.reason;
  const { rows, close, columns } = await source.open(sql);
  const out: Row[] = [];
  const onAbort = () => rows.destroy(signal?.reason as Error);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal?.aborted) throw signal.reason;
    for await (const batch of rows) out.push(...(batch as Row[]));
    if (signal?.aborted) throw signal.reason;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await close();
  }
  const kinds = ((await columns?.catch(() => [])) ?? []).map((c) => c.kind);
  return { rows: out, kinds };
}

/**
 * The key's kind, from a query of no rows: a whole number, a date or a timestamp, or the task
 * fails saying what the key must be.
 */
export async function keyKind(
  source: DataSource,
  q: SliceQueries,
  key: string,
  signal?: AbortSignal,
): Promise<SliceKeyKind> {
  const { kinds } = await readAll(source, q.probe(), signal);
  const kind = kinds[0];
  // A source that cannot tell (none of the engines') is read as numbers, checked by the plan.
  if (kind === undefined || kind === "number") return "number";
  if (kind === "date" || kind === "timestamp") return kind;
  const what = kind === "other" ? "of a type" : `a ${kind} column`;
  throw new NotSliceable(
    `The slice key ${key} is ${what}; it must hold whole numbers, dates or timestamps. Choose an integer column, such as the table's id, or a date or timestamp column.`,
  );
}

/** A bound as a person reads it: the number, or the date or timestamp it stands for. */
export function boundText(kind: SliceKeyKind, v: bigint): string {
  return (kind === "number" ? undefined : keyBoundOrUndefined(kind, v)) ?? v.toString();
}

/**
 * The task's result split by its key into slices of known row counts, from two scans of the
 * result: its key's range and size, then the rows per bucket. Fewer than two slices: the task
 * runs whole (returns []).
 */
export async function planSlices(
  source: DataSource,
  q: SliceQueries,
  key: string,
  s: PlanSettings,
  /** Stops the plan's queries (cancel, deadline, lost claim): readAll. */
  signal?: AbortSignal,
): Promise<PlannedSlice[]> {
  const kind = await keyKind(source, q, key, signal);
  const first = await readAll(source, q.stats(kind), signal);
  const [minText, maxText, totalText, keyedText] = first.rows[0] ?? [];
  const total = Number(totalText ?? 0);
  if (total === 0) return [];
  if (Number(keyedText) !== total)
    throw new NotSliceable(
      `The slice key ${key} is NULL in ${(total - Number(keyedText)).toLocaleString("en-US")} rows, which no slice would hold. Filter them out (WHERE ${key} IS NOT NULL) or choose another key.`,
    );
  const min = wholeNumber(minText);
  const max = wholeNumber(maxText);
  if (kind !== "number") {
    if (min === undefined || max === undefined)
      throw new NotSliceable(
        `The slice key ${key} holds values with no place on the calendar (infinity, or a zero date), which no slice would hold. Filter them out or choose another key.`,
      );
    if (
      keyBoundOrUndefined(kind, min) === undefined ||
      keyBoundOrUndefined(kind, max) === undefined
    )
      throw new NotSliceable(
        `The slice key ${key} has ${kind}s outside the years 1 to 9999. Filter them out or choose another key.`,
      );
  }
  // A number column whose values are not whole (DECIMAL 1.5); text keys were refused by keyKind.
  if (min === undefined || max === undefined)
    throw new NotSliceable(
      `The slice key ${key} must be a whole-number, date or timestamp column (its values run from ${String(minText).slice(0, 40)} to ${String(maxText).slice(0, 40)}). Choose an integer column, such as the table's id.`,
    );
  // The slice table keeps lo and hi (max + 1) as BIGINT: a key outside that fails the task
  // here, saying so, rather than the plan's INSERT on every delivery until the reaper gives up.
  if (min < -(2n ** 63n) || max >= 2n ** 63n - 1n)
    throw new NotSliceable(
      `The slice key ${key} runs from ${min} to ${max}; a sliced task's keys must lie from -9223372036854775808 to 9223372036854775806. Filter out the rows beyond, or choose another key.`,
    );
  const span = max - min + 1n;
  const n = sliceCount(total, span, s);
  if (n < 2) return [];
  const width = (span + BigInt(n) - 1n) / BigInt(n);
  const counts = new Map<number, number>();
  const buckets = q.buckets(kind, min, width, n, max + 1n);
  for (const [b, rows] of (await readAll(source, buckets, signal)).rows)
    counts.set(Number(b), Number(rows));
  const slices = slicesFromBuckets(min, max, width, counts);
  const planned = slices.reduce((sum, x) => sum + x.rows, 0);
  if (planned !== total)
    throw new Error(
      `the data changed while the export was being planned (${total} rows, then ${planned}); create the task again`,
    );
  return slices.length < 2 ? [] : slices;
}
