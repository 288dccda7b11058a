import type { SqlSession } from "../db/sql-client.js";
import type { DbClient } from "../engines/dialect.js";
import type { TableName } from "../identifiers.js";
import { STATUS } from "../status.js";
import { ASSEMBLY, type PlannedSlice, sliceSql } from "./slice-sql.js";
import type { Sql } from "./sql.js";

export type { PlannedSlice };
export { ASSEMBLY };

/** A slice row as a worker reads it. */
export interface SliceRow {
  n: number;
  taskAttempt: number;
  lo: bigint;
  hi: bigint;
  plannedRows: number;
  offset: number;
  status: number;
  /** Deliveries that claimed it: fences a slice attempt as the task's attempts fence a task's. */
  attempts: number;
  rows: number | null;
  bytes: number | null;
  s3Key: string | null;
}

/** What a finished slice found: more slices to wait for, the final file to build, or the task gone. */
export type FinishResult =
  | { kind: "waiting"; done: number; total: number }
  /** Every slice is written: the final file is to be built (claimAssembly says by whom). */
  | { kind: "all-done"; total: number }
  | { kind: "gone" };

const run = <T>(s: SqlSession, q: Sql) => s.query<T>(q.text, q.values);

function toSlice(r: Record<string, unknown>): SliceRow {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    n: Number(r.n),
    taskAttempt: Number(r.task_attempt),
    lo: BigInt(String(r.lo ?? 0)),
    hi: BigInt(String(r.hi ?? 0)),
    plannedRows: Number(r.planned_rows),
    offset: Number(r.row_offset),
    status: Number(r.status),
    attempts: Number(r.attempts),
    rows: num(r.row_count),
    bytes: num(r.byte_count),
    s3Key: r.s3_key === null || r.s3_key === undefined ? null : String(r.s3_key),
  };
}

/** The slice table (`<task table>_slice`) behind one interface for both engines. */
export class SliceStore {
  private readonly sql;

  constructor(
    private readonly db: DbClient,
    table: TableName,
  ) {
    this.sql = sliceSql(db.dialect, table);
  }

  /** Creates the slice table if it is missing (migrate does too; a worker may come first). */
  async ensureTable(): Promise<void> {
    await this.db.query(this.db.dialect.schema.createSlices(this.sql.table));
  }

  /** The task's slices in order, without the assembly row. */
  async list(id: number): Promise<SliceRow[]> {
    const res = await run<Record<string, unknown>>(this.db, this.sql.list(id));
    return res.rows.map(toSlice).filter((s) => s.n !== ASSEMBLY);
  }

  async get(id: number, n: number): Promise<SliceRow | undefined> {
    return (await this.list(id)).find((s) => s.n === n);
  }

  /**
   * Replaces whatever an earlier attempt planned with this plan, and records the count on the
   * task row; false (nothing written) when the attempt no longer holds the task.
   */
  async plan(id: number, attempt: number, slices: PlannedSlice[]): Promise<boolean> {
    return this.db.transaction(async (s) => {
      const marked = await run(s, this.sql.planned(id, attempt, slices.length));
      if (marked.affected !== 1) return false;
      await run(s, this.sql.remove(id));
      await run(s, this.sql.insert(id, attempt, slices));
      return true;
    });
  }

  /** Task attempts whose slices no running attempt owns; [] before the slice table exists. */
  async orphans(): Promise<{ id: number; attempt: number }[]> {
    try {
      const res = await run<Record<string, unknown>>(this.db, this.sql.orphans());
      return res.rows.map((r) => ({ id: Number(r.task_id), attempt: Number(r.task_attempt) }));
    } catch (err) {
      if (this.db.dialect.isMissingTable(err)) return [];
      throw err;
    }
  }

  /** The slice rows of one attempt of the task. */
  async remove(id: number, attempt: number): Promise<void> {
    await run(this.db, this.sql.remove(id, attempt));
  }

  /** The slice for this delivery, or undefined when it is not to be run (done, running, replanned). */
  async claim(
    id: number,
    n: number,
    attempt: number,
    leaseSeconds: number,
    /** The session holding the control lock (TaskStore.withSlot), if the caps were checked. */
    session: SqlSession = this.db,
    /** Only a dead worker's slice (it holds a slot already: no cap to check). */
    takeoverOnly = false,
  ): Promise<SliceRow | undefined> {
    const res = await run(session, this.sql.claim(id, n, attempt, leaseSeconds, takeoverOnly));
    if (res.affected !== 1) return undefined;
    const rows = await run<Record<string, unknown>>(session, this.sql.list(id));
    return rows.rows.map(toSlice).find((s) => s.n === n);
  }

  /** Slice heartbeat, then the task's; says whether both still hold. */
  async progress(
    id: number,
    slice: SliceRow,
    rows: number,
    bytes: number,
  ): Promise<"ok" | "slice-lost" | "task-gone"> {
    const mine = await run(this.db, this.sql.progress(id, slice.n, slice.attempts, rows, bytes));
    if (mine.affected !== 1) return "slice-lost";
    const task = await run(this.db, this.sql.taskProgress(id, slice.taskAttempt));
    return task.affected === 1 ? "ok" : "task-gone";
  }

  /** The task's heartbeat with the rows written so far; false when the attempt lost it. */
  async taskHeartbeat(id: number, attempt: number): Promise<boolean> {
    return (await run(this.db, this.sql.taskProgress(id, attempt))).affected === 1;
  }

  async complete(
    id: number,
    slice: SliceRow,
    f: { rows: number; bytes: number; key: string },
  ): Promise<boolean> {
    return (await run(this.db, this.sql.complete(id, slice.n, slice.attempts, f))).affected === 1;
  }

  async release(id: number, slice: SliceRow): Promise<void> {
    await run(this.db, this.sql.release(id, slice.n, slice.attempts));
  }

  /**
   * After a slice is recorded done: counts the done slices under the task row's lock and shows
   * the count on the task. The lock orders finishers, so the last to record always sees them
   * all (two finishing at once may both see them: the join's claim picks one).
   */
  finish(id: number, attempt: number): Promise<FinishResult> {
    return this.db.transaction(async (s) => {
      const task = (await run<Record<string, unknown>>(s, this.sql.lockTask(id))).rows[0];
      if (
        task === undefined ||
        Number(task.status) !== STATUS.processing ||
        Number(task.attempts) !== attempt
      )
        return { kind: "gone" };
      const states = (await run<Record<string, unknown>>(s, this.sql.lockStates(id))).rows;
      const slices = states.filter((r) => Number(r.n) !== ASSEMBLY);
      const done = slices.filter((r) => Number(r.status) === STATUS.succeeded).length;
      await run(s, this.sql.setDone(id, done));
      return done < slices.length
        ? { kind: "waiting", done, total: slices.length }
        : { kind: "all-done", total: slices.length };
    });
  }

  /** The claim on building the final file, or undefined when another delivery holds or held it. */
  async claimAssembly(
    id: number,
    attempt: number,
    leaseSeconds: number,
  ): Promise<SliceRow | undefined> {
    const res = await run(this.db, this.sql.claimAssembly(id, attempt, leaseSeconds));
    if (res.affected !== 1) return undefined;
    return this.assembly(id);
  }

  /** The row that stands for the final file's building. */
  async assembly(id: number): Promise<SliceRow | undefined> {
    const res = await run<Record<string, unknown>>(this.db, this.sql.list(id));
    return res.rows.map(toSlice).find((s) => s.n === ASSEMBLY);
  }
}
