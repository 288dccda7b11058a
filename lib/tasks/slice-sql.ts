import type { Dialect, Sql } from "../engines/dialect.js";
import { quoteTable, type TableName } from "../identifiers.js";
import { STATUS } from "../status.js";
import { sliceTable } from "./control.js";
import { sqlParams } from "./sql.js";

export { sliceTable };

/** The slice row that stands for building the final file: claimed once, by one finisher. */
export const ASSEMBLY = -1;

/** One slice as planned: rows with lo <= key < hi, numbered after `offset` earlier rows. */
export interface PlannedSlice {
  n: number;
  lo: bigint;
  hi: bigint;
  rows: number;
  offset: number;
}

const { pending, processing, succeeded } = STATUS;

/**
 * Every statement on the slice table, and the few on the task table that only sliced tasks
 * need. Table names were checked by parseTableName; values are parameters.
 */
export function sliceSql(dialect: Dialect, table: TableName) {
  const c = dialect.quoteIdent;
  const t = quoteTable(c, table);
  const st = quoteTable(c, sliceTable(table));
  const { now } = dialect.sql;
  const columns = [
    "n",
    "task_attempt",
    "lo",
    "hi",
    "planned_rows",
    "row_offset",
    "status",
    "attempts",
    "row_count",
    "byte_count",
    "s3_key",
  ]
    .map(c)
    .join(", ");

  return {
    table: sliceTable(table),

    list(id: number): Sql {
      const { values, p } = sqlParams(dialect);
      return {
        text: `SELECT ${columns} FROM ${st} WHERE ${c("task_id")} = ${p(id)} ORDER BY ${c("n")}`,
        values,
      };
    },

    /** The task's slice rows: of one attempt, or (planning anew) of every attempt. */
    remove(id: number, attempt?: number): Sql {
      const { values, p } = sqlParams(dialect);
      // Placeholders in text order (MySQL's ? are positional).
      const task = `${c("task_id")} = ${p(id)}`;
      const only = attempt === undefined ? "" : ` AND ${c("task_attempt")} = ${p(attempt)}`;
      return { text: `DELETE FROM ${st} WHERE ${task}${only}`, values };
    },

    /** The plan's rows, and the assembly row, all pending. */
    insert(id: number, attempt: number, slices: PlannedSlice[]): Sql {
      const { values, p } = sqlParams(dialect);
      const rows = slices.map(
        (s) =>
          `(${p(id)}, ${p(s.n)}, ${p(attempt)}, ${p(s.lo.toString())}, ${p(s.hi.toString())}, ${p(s.rows)}, ${p(s.offset)})`,
      );
      rows.push(`(${p(id)}, ${p(ASSEMBLY)}, ${p(attempt)}, NULL, NULL, ${p(0)}, ${p(0)})`);
      const text = `INSERT INTO ${st} (${c("task_id")}, ${c("n")}, ${c("task_attempt")}, ${c("lo")}, ${c("hi")}, ${c("planned_rows")}, ${c("row_offset")}) VALUES ${rows.join(", ")}`;
      return { text, values };
    },

    /** The task records how many slices it has (0 done), fenced on the planning attempt. */
    planned(id: number, attempt: number, count: number): Sql {
      const { values, p } = sqlParams(dialect);
      const text = `UPDATE ${t} SET ${c("slice_count")} = ${p(count)}, ${c("slices_done")} = ${p(0)}, ${c("heartbeat_at")} = ${now} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(processing)} AND ${c("attempts")} = ${p(attempt)}`;
      return { text, values };
    },

    /**
     * A pending slice, or one whose worker stopped heart-beating (killed mid-stream), is this
     * delivery's: affected rows say whether it won. Fenced on the task attempt that planned it.
     */
    claim(
      id: number,
      n: number,
      attempt: number,
      leaseSeconds: number,
      /** Only a dead worker's slice: one that already holds a slot under the caps. */
      takeoverOnly = false,
    ): Sql {
      const { values, p, ago } = sqlParams(dialect);
      const dead = () =>
        `(${c("status")} = ${p(processing)} AND ${c("heartbeat_at")} < ${ago(leaseSeconds)})`;
      // A function: MySQL's ? are positional, so its parameters go in where its text does.
      const which = () => (takeoverOnly ? dead() : `(${c("status")} = ${p(pending)} OR ${dead()})`);
      const text = `UPDATE ${st} SET ${c("status")} = ${p(processing)}, ${c("attempts")} = ${c("attempts")} + 1, ${c("heartbeat_at")} = ${now}, ${c("row_count")} = ${p(0)}, ${c("byte_count")} = ${p(0)} WHERE ${c("task_id")} = ${p(id)} AND ${c("n")} = ${p(n)} AND ${c("n")} >= ${p(0)} AND ${c("task_attempt")} = ${p(attempt)} AND ${which()}`;
      return { text, values };
    },

    /** Heartbeat and rows so far of the slice attempt holding it; 0 rows: taken over. */
    progress(id: number, n: number, sliceAttempt: number, rows: number, bytes: number): Sql {
      const { values, p } = sqlParams(dialect);
      const text = `UPDATE ${st} SET ${c("heartbeat_at")} = ${now}, ${c("row_count")} = ${p(rows)}, ${c("byte_count")} = ${p(bytes)} WHERE ${c("task_id")} = ${p(id)} AND ${c("n")} = ${p(n)} AND ${c("attempts")} = ${p(sliceAttempt)} AND ${c("status")} = ${p(processing)}`;
      return { text, values };
    },

    /**
     * The task's heartbeat while its slices run, with the rows written so far by all of them:
     * fenced like the task's own progress (its attempt, no cancel asked for).
     */
    taskProgress(id: number, attempt: number): Sql {
      const { values, p } = sqlParams(dialect);
      const sum = `(SELECT COALESCE(SUM(${c("row_count")}), 0) FROM ${st} WHERE ${c("task_id")} = ${p(id)} AND ${c("n")} >= ${p(0)})`;
      const text = `UPDATE ${t} SET ${c("heartbeat_at")} = ${now}, ${c("row_count")} = ${sum} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(processing)} AND ${c("attempts")} = ${p(attempt)} AND ${c("cancel_requested_at")} IS NULL`;
      return { text, values };
    },

    complete(
      id: number,
      n: number,
      sliceAttempt: number,
      f: { rows: number; bytes: number; key: string },
    ): Sql {
      const { values, p } = sqlParams(dialect);
      const text = `UPDATE ${st} SET ${c("status")} = ${p(succeeded)}, ${c("heartbeat_at")} = ${now}, ${c("row_count")} = ${p(f.rows)}, ${c("byte_count")} = ${p(f.bytes)}, ${c("s3_key")} = ${p(f.key)} WHERE ${c("task_id")} = ${p(id)} AND ${c("n")} = ${p(n)} AND ${c("attempts")} = ${p(sliceAttempt)} AND ${c("status")} = ${p(processing)}`;
      return { text, values };
    },

    /** Back to pending after a transient failure, for the message's next delivery. */
    release(id: number, n: number, sliceAttempt: number): Sql {
      const { values, p } = sqlParams(dialect);
      const text = `UPDATE ${st} SET ${c("status")} = ${p(pending)} WHERE ${c("task_id")} = ${p(id)} AND ${c("n")} = ${p(n)} AND ${c("attempts")} = ${p(sliceAttempt)} AND ${c("status")} = ${p(processing)}`;
      return { text, values };
    },

    /** The task row, locked: its state while the finishers count. */
    lockTask(id: number): Sql {
      const { values, p } = sqlParams(dialect);
      const text = `SELECT ${c("status")}, ${c("attempts")}, ${c("slice_count")} FROM ${t} WHERE ${c("id")} = ${p(id)} FOR UPDATE`;
      return { text, values };
    },

    /** The slices' states, read with locks (the latest committed, whatever the isolation). */
    lockStates(id: number): Sql {
      const { values, p } = sqlParams(dialect);
      const text = `SELECT ${c("n")}, ${c("status")} FROM ${st} WHERE ${c("task_id")} = ${p(id)} FOR UPDATE`;
      return { text, values };
    },

    setDone(id: number, done: number): Sql {
      const { values, p } = sqlParams(dialect);
      const text = `UPDATE ${t} SET ${c("slices_done")} = ${p(done)}, ${c("heartbeat_at")} = ${now} WHERE ${c("id")} = ${p(id)}`;
      return { text, values };
    },

    /** Tasks with slice rows that no running attempt owns (it failed, was cancelled or re-run). */
    orphans(): Sql {
      const { values, p } = sqlParams(dialect);
      const text = `SELECT DISTINCT s.${c("task_id")}, s.${c("task_attempt")} FROM ${st} s LEFT JOIN ${t} t ON t.${c("id")} = s.${c("task_id")} AND t.${c("status")} = ${p(processing)} AND t.${c("attempts")} = s.${c("task_attempt")} WHERE t.${c("id")} IS NULL ORDER BY s.${c("task_id")}, s.${c("task_attempt")}`;
      return { text, values };
    },

    /**
     * The one claim on building the final file: pending, or held by a worker that stopped
     * heart-beating (it died mid-join); affected rows say whether this delivery won.
     */
    claimAssembly(id: number, attempt: number, leaseSeconds: number): Sql {
      const { values, p, ago } = sqlParams(dialect);
      const text = `UPDATE ${st} SET ${c("status")} = ${p(processing)}, ${c("attempts")} = ${c("attempts")} + 1, ${c("heartbeat_at")} = ${now} WHERE ${c("task_id")} = ${p(id)} AND ${c("n")} = ${p(ASSEMBLY)} AND ${c("task_attempt")} = ${p(attempt)} AND (${c("status")} = ${p(pending)} OR (${c("status")} = ${p(processing)} AND ${c("heartbeat_at")} < ${ago(leaseSeconds)}))`;
      return { text, values };
    },
  };
}
