import type { SqlSession } from "../db/sql-client.js";
import type { DbClient } from "../engines/dialect.js";
import { workerStoppedMsg } from "../failure/policy.js";
import type { TableName } from "../identifiers.js";
import { ensureControlRow, ensureControlTable } from "./control.js";
import { type CompleteFields, type Sql, taskSql } from "./sql.js";

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

export interface ReapResult {
  released: number[];
  failed: number[];
}

const run = <T>(s: SqlSession, q: Sql) => s.query<T>(q.text, q.values);

/** The task table, behind one interface for both engines. */
export class TaskStore {
  private readonly sql;

  constructor(
    private readonly db: DbClient,
    table: TableName,
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
      await ensureControlTable(this.db, this.sql.control);
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

  async get(id: number): Promise<TaskRow | undefined> {
    const res = await run<Record<string, unknown>>(this.db, this.sql.getTask(id));
    const r = res.rows[0];
    if (!r) return undefined;
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
        options: r.options === null || r.options === undefined ? null : String(r.options),
      },
    };
  }

  /** Keeps the claim alive; false once the task is no longer this attempt's. */
  async heartbeat(task: Task): Promise<boolean> {
    return (await run(this.db, this.sql.heartbeat(task.id, task.attempts))).affected === 1;
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

  /**
   * A msg quotes database errors, which may quote the task's own text: it must not be what
   * stops the task from being recorded. If the server refuses the text (a legacy latin1 or
   * utf8mb3 column, say), the same words go in again as plain ASCII.
   */
  private async writeMsg(msg: string, statement: (msg: string) => Sql): Promise<boolean> {
    const clean = storableText(msg);
    try {
      return (await run(this.db, statement(clean))).affected === 1;
    } catch (err) {
      // The server refused the value itself (bad character for the column), not the connection.
      if (this.db.dialect.classify(err)?.kind !== "data") throw err;
      return (await run(this.db, statement(asciiOnly(clean)))).affected === 1;
    }
  }

  /** Finds processing tasks whose lease ran out; retries them or, past maxAttempts, fails them. */
  reapStale(o: ReapOptions): Promise<ReapResult> {
    return this.locked(async (s) => {
      const stale = await run<{ id: number | string; attempts: number | string }>(
        s,
        this.sql.staleProcessing(o.leaseSeconds),
      );
      const result: ReapResult = { released: [], failed: [] };
      for (const r of stale.rows) {
        const id = Number(r.id);
        const attempts = Number(r.attempts);
        if (attempts >= o.maxAttempts) {
          const msg = workerStoppedMsg(attempts);
          if ((await run(s, this.sql.fail(id, attempts, msg))).affected === 1)
            result.failed.push(id);
        } else if ((await run(s, this.sql.release(id, o.leaseSeconds))).affected === 1) {
          result.released.push(id);
        }
      }
      return result;
    });
  }
}
