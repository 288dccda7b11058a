import type { SqlSession } from "../db/sql-client.js";
import type { DbClient } from "../engines/dialect.js";
import { workerStoppedMsg } from "../failure/policy.js";
import type { TableName } from "../identifiers.js";
import { STATUS } from "../status.js";
import { ensureCompanionTables, ensureControlRow } from "./control.js";
import { cancelAsked, reapVerdict, type StaleTask, toStaleTask } from "./reap.js";
import { type CompleteFields, type ListFilter, type Sql, TIMELINE, taskSql } from "./sql.js";

/** No NUL (PostgreSQL text refuses it) and no lone surrogates (not encodable as UTF-8). */
export function storableText(text: string): string {
  return text.replaceAll("\u0000", "").toWellFormed();
}

export function asciiOnly(text: string): string {
  return text.replace(/[^\x20-\x7e\n]/gu, "?");
}

export interface Task {
  id: number;
  name: string;
  title: string;
  query: string;
  createrName: string;
  attempts: number;
  /** attempts before the latest re-run: this run's attempt number is attempts - attemptBase. */
  attemptBase?: number;
  /** The task's output options, as stored (JSON text), or null for the deployment's defaults. */
  options?: string | null;
}

/** A task row as the PHP panel sees it. */
export interface TaskRow {
  task: Task;
  status: number;
  msg: string | null;
  filepath: string | null;
  s3Key: string | null;
  rowCount: number | null;
  byteCount: number | null;
  /** Seconds from insert to the latest claim; null before the first claim. */
  waitedSeconds: number | null;
  /** Who asked to cancel, once someone has. */
  cancelledBy: string | null;
  /** A task split across workers (lib/slices): its slices, and how many are written. */
  slices: { count: number; done: number } | null;
  /** When each step happened (null: not yet). */
  timeline: Record<TimelineStep, Date | null>;
}

export type TimelineStep = (typeof TIMELINE)[number];

/** What a progress write found: still ours, a cancel asked for, or the claim handed on. */
export type ProgressResult = { kind: "ok" } | { kind: "cancelled"; by: string } | { kind: "lost" };

export type CancelResult =
  /** It was pending and is now failed: it never starts. */
  | { kind: "cancelled" }
  /** It is running: its worker stops within a few seconds and ends it in 3. */
  | { kind: "stopping" }
  /** Nothing to cancel: finished, already being cancelled, or no such task. */
  | { kind: "not-cancellable"; status: number | null };

/** msg of a cancelled task. */
export function cancelledMsg(by: string, rows?: number): string {
  const who = by.trim() === "" ? "someone" : by;
  return rows === undefined
    ? `Cancelled by ${who} before it started.`
    : `Cancelled by ${who} after ${rows.toLocaleString("en-US")} rows; no file was kept.`;
}

export type ClaimResult =
  | { kind: "claimed"; task: Task; waitedSeconds: number | null }
  /** The in-flight cap is reached: the task stays pending and the scheduler sends it again later. */
  | { kind: "deferred" }
  /** Claimed by someone else, finished, or absent: nothing to do (duplicate delivery). */
  | { kind: "skipped"; status: number | null };

export interface DispatchOptions {
  maxInFlight: number;
  maxInFlightPerCreator: number;
  redispatchSeconds: number;
  excludeTypes: string[];
}

export interface ReapOptions {
  leaseSeconds: number;
  maxAttempts: number;
}

/** A finished task's file, as the purge sees it. */
export interface StoredFile {
  id: number;
  status: number;
  s3Key: string;
  byteCount: number | null;
  finishedAt: Date | null;
}

export interface ReapResult {
  released: number[];
  failed: number[];
}

const run = <T>(s: SqlSession, q: Sql) => s.query<T>(q.text, q.values);

function toTaskRow(r: Record<string, unknown>): TaskRow {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    status: Number(r.status),
    msg: r.msg === null || r.msg === undefined ? null : String(r.msg),
    filepath: r.filepath === null || r.filepath === undefined ? null : String(r.filepath),
    s3Key: r.s3_key === null || r.s3_key === undefined ? null : String(r.s3_key),
    rowCount: num(r.row_count),
    byteCount: num(r.byte_count),
    waitedSeconds: num(r.waited_seconds),
    task: {
      id: Number(r.id),
      name: String(r.name ?? ""),
      title: String(r.title ?? ""),
      query: String(r.query ?? ""),
      createrName: String(r.creater_name ?? ""),
      attempts: Number(r.attempts ?? 0),
      attemptBase: Number(r.attempt_base ?? 0),
      options: r.options === null || r.options === undefined ? null : String(r.options),
    },
    cancelledBy:
      r.cancelled_by === null || r.cancelled_by === undefined ? null : String(r.cancelled_by),
    slices:
      r.slice_count === null || r.slice_count === undefined
        ? null
        : { count: Number(r.slice_count), done: Number(r.slices_done ?? 0) },
    timeline: Object.fromEntries(TIMELINE.map((k) => [k, asDate(r[k])])) as TaskRow["timeline"],
  };
}

/** Epoch seconds (tasks/sql.ts reads the timeline so) as a Date. */
function asDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  return new Date(Number(v) * 1000);
}

/** The task table, behind one interface for both engines. */
export class TaskStore {
  private readonly sql;

  constructor(
    private readonly db: DbClient,
    private readonly table: TableName,
  ) {
    this.sql = taskSql(db.dialect, table);
  }

  /**
   * fn in a transaction holding the control row's lock (tasks/sql.ts, lockControl). A table
   * upgraded from before the control table existed gets it on first use.
   */
  private async locked<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    const attempt = () =>
      this.db.transaction(async (s) => {
        let got = await run(s, this.sql.lockControl());
        if (got.rows.length === 0) {
          await ensureControlRow(s, this.db.dialect, this.sql.control);
          got = await run(s, this.sql.lockControl());
        }
        return fn(s);
      });
    try {
      return await attempt();
    } catch (err) {
      if (!this.db.dialect.isMissingTable(err)) throw err;
      await ensureCompanionTables(this.db, this.table);
      return attempt();
    }
  }

  /**
   * Picks the oldest pending tasks that fit under the in-flight cap and marks them as sent,
   * under a lock, so overlapping scheduler runs never pick the same task.
   */
  reserveForDispatch(o: DispatchOptions): Promise<number[]> {
    return this.locked(async (s) => {
      const busy = await run<{ n: number | string }>(s, this.sql.inFlight(o.redispatchSeconds));
      const free = o.maxInFlight - Number(busy.rows[0]?.n ?? 0);
      if (free <= 0) return [];
      const picked = await run<{ id: number | string }>(
        s,
        this.sql.pickPending(free, o.redispatchSeconds, o.excludeTypes, o.maxInFlightPerCreator),
      );
      const ids = picked.rows.map((r) => Number(r.id));
      if (ids.length > 0) await run(s, this.sql.setDispatched(ids, true));
      return ids;
    });
  }

  /** Undo reserveForDispatch for tasks whose message could not be sent. */
  async unreserve(ids: number[]): Promise<void> {
    if (ids.length > 0) await run(this.db, this.sql.setDispatched(ids, false));
  }

  /** Atomically moves a task from 0 to 1 if the cap allows; the winner gets the task row. */
  async claim(id: number, maxInFlight: number, maxPerCreator = maxInFlight): Promise<ClaimResult> {
    // An app that only set the flag on a pending task (not the documented statement): it never
    // starts; it ends as cancelled here, before the caps could keep deferring it.
    const state = (await run<Record<string, unknown>>(this.db, this.sql.claimState(id))).rows[0];
    if (state !== undefined && Number(state.status) === STATUS.pending && cancelAsked(state)) {
      const msg = cancelledMsg(String(state.cancelled_by ?? ""));
      const ended = await this.writeText([msg], ([m]) =>
        this.sql.endFlaggedPending(id, m as string),
      );
      return { kind: "skipped", status: ended.affected === 1 ? STATUS.failed : STATUS.pending };
    }
    const outcome = await this.locked(async (s) => {
      const busy = await run<{ n: number | string }>(s, this.sql.countProcessing());
      const mine = await run<{ n: number | string }>(s, this.sql.countProcessingForCreatorOf(id));
      if (
        Number(busy.rows[0]?.n ?? 0) >= maxInFlight ||
        Number(mine.rows[0]?.n ?? 0) >= maxPerCreator
      ) {
        // Let the scheduler send it again as soon as a slot frees up.
        await run(s, this.sql.setDispatched([id], false));
        return "deferred" as const;
      }
      const res = await run(s, this.sql.claim(id));
      return res.affected === 1 ? ("claimed" as const) : ("skipped" as const);
    });
    if (outcome === "deferred") return { kind: "deferred" };
    const row = await this.get(id);
    if (outcome === "skipped" || row === undefined) {
      return { kind: "skipped", status: row ? row.status : null };
    }
    return { kind: "claimed", task: row.task, waitedSeconds: row.waitedSeconds };
  }

  /**
   * Runs fn under the control lock if one more export fits under the in-flight cap and the
   * creator of task `id` is under theirs (a slice of a sliced task: lib/slices); "deferred" if not.
   */
  withSlot<T>(
    id: number,
    maxInFlight: number,
    maxPerCreator: number,
    fn: (s: SqlSession) => Promise<T>,
  ): Promise<T | "deferred"> {
    return this.locked(async (s) => {
      const busy = await run<{ n: number | string }>(s, this.sql.countProcessing());
      const mine = await run<{ n: number | string }>(s, this.sql.countProcessingForCreatorOf(id));
      if (
        Number(busy.rows[0]?.n ?? 0) >= maxInFlight ||
        Number(mine.rows[0]?.n ?? 0) >= maxPerCreator
      )
        return "deferred" as const;
      return fn(s);
    });
  }

  async get(id: number): Promise<TaskRow | undefined> {
    const res = await run<Record<string, unknown>>(this.db, this.sql.getTask(id));
    const r = res.rows[0];
    return r ? toTaskRow(r) : undefined;
  }

  /** Tasks newest first, filtered (tasks/sql.ts, list). */
  async list(filter: ListFilter): Promise<TaskRow[]> {
    const res = await run<Record<string, unknown>>(this.db, this.sql.list(filter));
    return res.rows.map(toTaskRow);
  }

  /**
   * Cancels a task for `by` (the host app's signed-in user, or an operator): a pending task
   * ends in 3 at once; a running one is flagged and its worker stops at its next progress
   * write. A cancel racing the task's end leaves one ending: complete and retry are fenced on
   * the flag, and a task already finished is left as it is.
   */
  async cancel(id: number, by: string): Promise<CancelResult> {
    // Whole characters (an emoji is not cut in half), then what the column can store.
    const who = storableText(Array.from(by).slice(0, 100).join(""));
    const res = await this.writeText([who, cancelledMsg(who)], ([w, m]) =>
      this.sql.cancel(id, w as string, m as string),
    );
    const row = await this.get(id);
    if (res.affected !== 1) return { kind: "not-cancellable", status: row ? row.status : null };
    // A flagged task stays 1 until its worker ends it (retry and release are fenced on the flag).
    return row?.status === STATUS.processing ? { kind: "stopping" } : { kind: "cancelled" };
  }

  /** A failed task back to pending, as new; false when it is not failed (or not there). */
  async rerun(id: number): Promise<boolean> {
    return (await run(this.db, this.sql.rerun(id))).affected === 1;
  }

  /**
   * Heartbeat plus rows and bytes so far. When nothing was updated, says why: a cancel asked
   * for (the attempt still holds the claim) or the claim handed on.
   */
  async progress(task: Task, rows: number, bytes: number): Promise<ProgressResult> {
    const res = await run(this.db, this.sql.progress(task.id, task.attempts, rows, bytes));
    if (res.affected === 1) return { kind: "ok" };
    const by = await this.cancelledBy(task);
    return by === undefined ? { kind: "lost" } : { kind: "cancelled", by };
  }

  /** Ends a cancelled task in 3 (fenced: only the attempt holding the claim). */
  async finishCancelled(task: Task, msg: string): Promise<boolean> {
    return this.writeMsg(msg, (m) => this.sql.finishCancelled(task.id, task.attempts, m));
  }

  /** Who asked to cancel the task, if anyone did while `task`'s attempt holds it. */
  async cancelledBy(task: Task): Promise<string | undefined> {
    const state = await run<Record<string, unknown>>(this.db, this.sql.claimState(task.id));
    const r = state.rows[0];
    if (
      r === undefined ||
      Number(r.status) !== STATUS.processing ||
      Number(r.attempts) !== task.attempts ||
      !cancelAsked(r)
    )
      return undefined;
    return String(r.cancelled_by ?? "");
  }

  /** Returns false if the task was no longer this attempt's to finish (reaped and handed on). */
  async complete(task: Task, fields: CompleteFields): Promise<boolean> {
    return (await run(this.db, this.sql.complete(task.id, task.attempts, fields))).affected === 1;
  }

  async fail(task: Task, msg: string): Promise<boolean> {
    return this.writeMsg(msg, (m) => this.sql.fail(task.id, task.attempts, m));
  }

  /** Back to pending after a transient failure; false if the claim was no longer this attempt's. */
  async retry(task: Task, msg: string, delaySeconds: number): Promise<boolean> {
    return this.writeMsg(msg, (m) => this.sql.retry(task.id, task.attempts, m, delaySeconds));
  }

  /** Back to pending at once with new options (a task the worker slices itself); false if not this attempt's. */
  async retryWith(task: Task, msg: string, options: string): Promise<boolean> {
    return this.writeMsg(msg, (m) => this.sql.retryWith(task.id, task.attempts, m, options));
  }

  /**
   * A msg quotes database errors, which may quote the task's own text: it must not be what
   * stops the task from being recorded. If the server refuses the text (a legacy latin1 or
   * utf8mb3 column, say), the same words go in again as plain ASCII.
   */
  private async writeMsg(msg: string, statement: (msg: string) => Sql): Promise<boolean> {
    const res = await this.writeText([msg], ([m]) => statement(m as string));
    return res.affected === 1;
  }

  /**
   * Runs a statement carrying texts from outside (a msg, a name); if the server refuses a
   * value itself (a legacy latin1 or utf8mb3 column, say), the same words go in as plain ASCII.
   */
  private async writeText(texts: string[], statement: (texts: string[]) => Sql) {
    const clean = texts.map(storableText);
    try {
      return await run(this.db, statement(clean));
    } catch (err) {
      // The server refused the value itself (bad character for the column), not the connection.
      if (this.db.dialect.classify(err)?.kind !== "data") throw err;
      return run(this.db, statement(clean.map(asciiOnly)));
    }
  }

  /** Finds processing tasks whose lease ran out; retries them or, past maxAttempts, fails them. */
  reapStale(o: ReapOptions): Promise<ReapResult> {
    return this.locked(async (s) => {
      const stale = await run<Record<string, unknown>>(s, this.sql.staleProcessing(o.leaseSeconds));
      const result: ReapResult = { released: [], failed: [] };
      for (const r of stale.rows.map(toStaleTask)) {
        const verdict = reapVerdict(r, o.maxAttempts);
        if (verdict === "cancelled") {
          // Its worker died after the cancel was asked for: end it as cancelled, not again.
          const msg = cancelledMsg(r.cancelledBy ?? "", r.rowCount);
          if ((await run(s, this.sql.finishCancelled(r.id, r.attempts, msg))).affected === 1)
            result.failed.push(r.id);
        } else if (verdict === "fail") {
          const msg = workerStoppedMsg(r.attempts - r.attemptBase);
          if ((await run(s, this.sql.fail(r.id, r.attempts, msg))).affected === 1)
            result.failed.push(r.id);
        } else if ((await run(s, this.sql.release(r.id, o.leaseSeconds))).affected === 1) {
          result.released.push(r.id);
        }
      }
      return result;
    });
  }

  /** What reapStale would take back now, without changing anything (an operator's dry run). */
  async findStale(leaseSeconds: number): Promise<StaleTask[]> {
    const res = await run<Record<string, unknown>>(this.db, this.sql.staleProcessing(leaseSeconds));
    return res.rows.map(toStaleTask);
  }

  /**
   * Pending tasks sent more than `seconds` ago and never claimed. With `clear`, they are marked
   * unsent under the control lock (no scheduler pass or claim runs in between), so the
   * scheduler's next pass sends them again.
   */
  staleDispatched(seconds: number, clear: boolean): Promise<number[]> {
    return this.locked(async (s) => {
      const res = await run<{ id: number | string }>(s, this.sql.staleDispatched(seconds));
      const ids = res.rows.map((r) => Number(r.id));
      if (clear && ids.length > 0) await run(s, this.sql.clearStaleDispatch(ids, seconds));
      return ids;
    });
  }

  /** Marks pending tasks as sent (an operator sent their messages), so the scheduler does not send them too. */
  async markDispatched(ids: number[]): Promise<void> {
    if (ids.length > 0) await run(this.db, this.sql.setDispatched(ids, true));
  }

  /** The database's clock (the task table's timestamps are in its time). */
  async now(): Promise<Date> {
    const res = await run<Record<string, unknown>>(this.db, this.sql.now());
    return asDate(res.rows[0]?.now) ?? new Date();
  }

  /** Finished tasks with a file older than `seconds`, a page at a time after `afterId`. */
  async filesOlderThan(seconds: number, afterId: number, limit: number): Promise<StoredFile[]> {
    const res = await run<Record<string, unknown>>(
      this.db,
      this.sql.purgeCandidates(seconds, afterId, limit),
    );
    return res.rows.map((r) => ({
      id: Number(r.id),
      status: Number(r.status),
      s3Key: String(r.s3_key),
      byteCount: r.byte_count === null || r.byte_count === undefined ? null : Number(r.byte_count),
      finishedAt: asDate(r.finished_at),
    }));
  }

  /** Forgets a deleted file; false when the task no longer points at `s3Key` (it was re-run). */
  async clearFile(id: number, s3Key: string, msg: string): Promise<boolean> {
    return this.writeMsg(msg, (m) => this.sql.clearFile(id, s3Key, m));
  }
}
