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
  /** Parts of the result counted at once, each on its own connection (PLAN_CONCURRENCY). */
  concurrency?: number;
}

/**
 * Buckets the key's range is counted in: the slices are cut at their edges, so many more
 * buckets than slices let each slice hold about its share of the rows however the keys spread.
 */
export const PLAN_BUCKETS = 1024;

/** Parts counted at once when the settings do not say (PLAN_CONCURRENCY). */
export const PLAN_CONCURRENCY = 8;

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
 * Slices from the rows per bucket, cut at bucket edges into `n` slices of about total/n rows each
 * (unset: one slice per bucket that holds rows). Empty buckets are left out, their keys given to
 * the slice before them, so the ranges still cover every key from min to max and no slice is
 * empty (a continuation with no rows would leave its neighbour's part too small to join).
 */
export function slicesFromBuckets(
  min: bigint,
  max: bigint,
  width: bigint,
  counts: Map<number, number>,
  n?: number,
): PlannedSlice[] {
  const filled = [...counts.entries()].filter(([, rows]) => rows > 0).sort(([a], [b]) => a - b);
  const total = filled.reduce((sum, [, rows]) => sum + rows, 0);
  const want = Math.min(n ?? filled.length, filled.length);
  // The buckets each slice starts at: a cut before the bucket that would take the slice further
  // past its share of the rows still to place than it stays short of it, or sooner when only as
  // many buckets are left as slices still to start.
  const starts: number[] = [];
  let placed = 0;
  let current = 0;
  filled.forEach(([, rows], i) => {
    if (starts.length === 0) starts.push(i);
    else if (
      starts.length < want &&
      (current + rows / 2 >= (total - placed) / (want - starts.length + 1) ||
        filled.length - i === want - starts.length)
    ) {
      starts.push(i);
      placed += current;
      current = 0;
    }
    current += rows;
  });
  let offset = 0;
  return starts.map((first, i) => {
    const next = starts[i + 1];
    const last = next ?? filled.length;
    const rows = filled.slice(first, last).reduce((r, [, x]) => r + x, 0);
    const slice = {
      n: i,
      lo: i === 0 ? min : min + BigInt((filled[first] as [number, number])[0]) * width,
      hi:
        next === undefined ? max + 1n : min + BigInt((filled[next] as [number, number])[0]) * width,
      rows,
      offset,
    };
    offset += rows;
    return slice;
  });
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
  // Its error reaches the loop below; a stream never read (the plan stopped meanwhile) may
  // fail too, with nobody else listening: an uncaught exception would end the worker.
  rows.on("error", () => {});
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
 * Every planning query at once, each on its own connection. The first to fail stops the others
 * (as a stop of the task's, through `signal`, stops them all), and this returns only when every
 * connection is closed, with that first reason.
 */
async function readAllAtOnce(
  source: DataSource,
  sqls: string[],
  signal?: AbortSignal,
): Promise<Row[][]> {
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) onAbort();
  try {
    const settled = await Promise.allSettled(
      sqls.map((sql) =>
        readAll(source, sql, stop.signal).catch((err: unknown) => {
          stop.abort(err);
          throw err;
        }),
      ),
    );
    if (stop.signal.aborted) throw stop.signal.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<{ rows: Row[] }>).value.rows);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/** The parts counted at once: runs of buckets, `parts` of them, as even as they divide. */
export function bucketParts(count: number, parts: number): { from: number; to: number }[] {
  const n = Math.max(1, Math.min(parts, count));
  return Array.from({ length: n }, (_, i) => ({
    from: Math.floor((count * i) / n),
    to: Math.floor((count * (i + 1)) / n),
  }));
}

/**
 * The task's result split by its key into slices of known row counts. No scan of the whole
 * result in one session: the key's MIN and MAX (from its index, where the engine can see the
 * table through the task's SQL), then its range cut into PLAN_BUCKETS buckets whose rows are
 * counted in `concurrency` parts at once, each a range of the key on its own connection, with
 * the count of NULL keys beside them. The slices are cut at bucket edges, about the same rows
 * each. Fewer than two slices: the task runs whole (returns []).
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
  const ends = await readAllAtOnce(source, q.bounds(kind), signal);
  const [minText, maxText, noKey] =
    ends.length === 1
      ? (ends[0]?.[0] ?? [])
      : [ends[0]?.[0]?.[0], ends[1]?.[0]?.[0], !ends[0]?.[0]];
  const min = wholeNumber(minText);
  const max = wholeNumber(maxText);
  // No row at all, or only rows whose key is NULL.
  if (isTrue(noKey)) {
    const [[nullText] = []] = (await readAll(source, q.nulls(), signal)).rows;
    refuseNulls(key, Number(nullText ?? 0));
    return [];
  }
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
  const fine = span < BigInt(PLAN_BUCKETS) ? Number(span) : PLAN_BUCKETS;
  const width = (span + BigInt(fine) - 1n) / BigInt(fine);
  // Every bucket starts at or below the largest key (the width rounds up).
  const count = Number((span + width - 1n) / width);
  const parts = bucketParts(count, s.concurrency ?? PLAN_CONCURRENCY);
  const all = q.total(kind);
  // The NULL count, the whole count where the engine needs one, then the parts.
  const whole = all === undefined ? [q.nulls()] : [q.nulls(), all];
  const sqls = [
    ...whole,
    ...parts.map((part) => q.buckets(kind, min, width, count, max + 1n, part)),
  ];
  const results = await readAllAtOnce(source, sqls, signal).catch((err: unknown) => {
    throw withConnectionHint(err, sqls.length);
  });
  const [[[nullText] = []] = [], [[allText] = []] = []] = results;
  refuseNulls(key, Number(nullText ?? 0));
  const counted = results.slice(whole.length);
  const counts = new Map<number, number>();
  for (const rows of counted) for (const [b, n] of rows) counts.set(Number(b), Number(n));
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  if (all !== undefined && Number(allText) !== total)
    throw new NotSliceable(
      `The slice key ${key}'s ranges hold ${total.toLocaleString("en-US")} of the result's ${Number(allText).toLocaleString("en-US")} rows. On MySQL a TIMESTAMP key read in a time zone with daylight saving puts some rows of the hour repeated in autumn in no range: use a DATETIME column as the key, or run the server in UTC. Otherwise the data changed while the export was being planned: create the task again.`,
    );
  if (total === 0) return [];
  const n = sliceCount(total, span, s);
  if (n < 2) return [];
  const slices = slicesFromBuckets(min, max, width, counts, n);
  return slices.length < 2 ? [] : slices;
}

/**
 * The server's "too many connections" (for the data user, or at all), saying why the plan
 * needs so many: the error itself is kept (its code decides whether the task is tried again).
 */
function withConnectionHint(err: unknown, connections: number): unknown {
  if (
    err instanceof Error &&
    /max_user_connections|too many (connections|clients)|connection limit exceeded/i.test(
      err.message,
    )
  )
    err.message = `${err.message} (planning a sliced task counts its key's range on ${connections} connections at once: lower PLAN_CONCURRENCY, or raise the data user's connection limit)`;
  return err;
}

/** A boolean as either engine prints it (true, t, 1). */
function isTrue(v: unknown): boolean {
  return v === true || v === 1 || v === "1" || v === "t" || v === "true";
}

function refuseNulls(key: string, nulls: number): void {
  if (nulls > 0)
    throw new NotSliceable(
      `The slice key ${key} is NULL in ${nulls.toLocaleString("en-US")} rows, which no slice would hold. Filter them out (WHERE ${key} IS NOT NULL) or choose another key.`,
    );
}
