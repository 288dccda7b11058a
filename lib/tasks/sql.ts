import type { Dialect, Sql } from "../engines/dialect.js";
import { quoteTable, type TableName } from "../identifiers.js";
import { STATUS } from "../status.js";
import { CONTROL_ROW, controlTable, sliceTable } from "./control.js";

export type { Sql };

export interface CompleteFields {
  filepath: string;
  s3Key: string;
  rowCount: number;
  byteCount: number;
  /** A note for a task that succeeded (more rows than a sheet shows); NULL otherwise. */
  msg?: string | null;
}

/** The most tasks one list() returns: a page, not the table. */
export const MAX_LIST = 1000;

export interface ListFilter {
  /** Any status when absent or empty. */
  creator?: string;
  statuses?: number[];
  olderThanSeconds?: number;
  beforeId?: number;
  limit: number;
}

/** The timestamps a panel or an operator reads, oldest event first. */
export const TIMELINE = [
  "created_at",
  "dispatched_at",
  "retry_at",
  "started_at",
  "heartbeat_at",
  "cancel_requested_at",
  "finished_at",
] as const;

const { pending, processing, succeeded, failed } = STATUS;

/**
 * Placeholders in the order values are added (? for mysql2, $n for pg), and the time
 * arithmetic that takes a parameter.
 */
export function sqlParams(dialect: Dialect) {
  const values: unknown[] = [];
  const p = (v: unknown) => {
    values.push(v);
    return dialect.sql.placeholder(values.length);
  };
  const ago = (seconds: number) => dialect.sql.secondsAgo(p(seconds));
  const later = (seconds: number) => dialect.sql.secondsLater(p(seconds));
  return { values, p, ago, later };
}

/** ` AND (the optional type column is not one of excludeTypes)`, or "" when none are excluded. */
export function notExcludedType(
  dialect: Dialect,
  p: (v: unknown) => string,
  excludeTypes: string[],
): string {
  if (excludeTypes.length === 0) return "";
  const c = dialect.quoteIdent;
  return ` AND (${c("type")} IS NULL OR ${dialect.sql.asText(c("type"))} NOT IN (${excludeTypes.map(p).join(", ")}))`;
}

/**
 * Every statement the pipeline runs against the task table, for any engine: the dialect gives
 * the few pieces that differ. The table name was checked by parseTableName; column names are
 * fixed here; values are parameters.
 */
export function taskSql(dialect: Dialect, table: TableName) {
  const t = quoteTable(dialect.quoteIdent, table);
  const c = dialect.quoteIdent;
  const { now } = dialect.sql;
  const params = () => sqlParams(dialect);
  // A task's timeline as epoch seconds: the server resolves its own zone (MySQL's DATETIME
  // is the session zone's wall time, which the client cannot know).
  const timeline = TIMELINE.map((k) => `${dialect.sql.epochSeconds(c(k))} AS ${c(k)}`).join(", ");
  const taskColumns = [
    "id",
    "name",
    "title",
    "query",
    "creater_name",
    "options",
    "status",
    "attempts",
    "msg",
    "filepath",
    "s3_key",
    "row_count",
    "byte_count",
    "attempt_base",
    "cancelled_by",
    "slice_count",
    "slices_done",
  ]
    .map(c)
    .join(", ");
  // How long the task waited from insert to its latest claim (the pickup-latency metric).
  const waited = `${dialect.sql.secondsBetween(c("created_at"), c("started_at"))} AS ${c("waited_seconds")}`;

  const control = controlTable(table);
  const ctl = quoteTable(dialect.quoteIdent, control);
  const st = quoteTable(dialect.quoteIdent, sliceTable(table));

  /**
   * One row (with its creator) per export holding a slot: a task processing whole, or planning
   * its slices (slice_count still NULL); each slice of a running attempt being written; and,
   * given `recent`, each pending task sent to the queue since then. So a task split 8 ways
   * counts as the 8 queries it runs, against the in-flight cap and its creator's.
   */
  const busyWho = (p: (v: unknown) => string, recent?: () => string) => {
    const who = c("creater_name");
    // Parameters are added in text order (MySQL's ? are positional): `recent` adds its own.
    const whole = `${c("status")} = ${p(processing)} AND ${c("slice_count")} IS NULL`;
    const queued =
      recent === undefined
        ? ""
        : ` OR (${c("status")} = ${p(pending)} AND ${c("dispatched_at")} > ${recent()})`;
    const tasks = `SELECT ${who} FROM ${t} WHERE (${whole})${queued}`;
    const slices = `SELECT x.${who} FROM ${st} s JOIN ${t} x ON x.${c("id")} = s.${c("task_id")} AND x.${c("status")} = ${p(processing)} AND x.${c("attempts")} = s.${c("task_attempt")} WHERE s.${c("status")} = ${p(processing)} AND s.${c("n")} >= 0`;
    return `${tasks} UNION ALL ${slices}`;
  };

  return {
    control,

    /**
     * The row every claim, dispatch and reap locks first (FOR UPDATE, in a transaction):
     * coordination that needs no advisory lock or GET_LOCK name, which any session on the
     * server could take. Task SQL cannot take it: locking reads are refused by the guard and
     * by PostgreSQL's read-only transaction, and the data user need not see this table.
     */
    lockControl(): Sql {
      const { values, p } = params();
      return {
        text: `SELECT ${c("name")} FROM ${ctl} WHERE ${c("name")} = ${p(CONTROL_ROW)} FOR UPDATE`,
        values,
      };
    },

    /**
     * Exports holding a slot: tasks processing (a sliced one by its slices being written, see
     * busyWho) or sent to the queue recently and not yet claimed.
     */
    inFlight(redispatchSeconds: number): Sql {
      const { values, p, ago } = params();
      const text = `SELECT COUNT(*) AS n FROM (${busyWho(p, () => ago(redispatchSeconds))}) b`;
      return { text, values };
    },

    /**
     * Oldest pending tasks that are not already on the queue nor waiting out a retry delay,
     * at most `perCreator` in flight per creator (counting those already processing or queued),
     * so one person's batch cannot hold every slot.
     */
    pickPending(
      limit: number,
      redispatchSeconds: number,
      excludeTypes: string[],
      perCreator: number,
    ): Sql {
      const { values, p, ago } = params();
      let ready = `${c("status")} = ${p(pending)} AND (${c("dispatched_at")} IS NULL OR ${c("dispatched_at")} <= ${ago(redispatchSeconds)}) AND (${c("retry_at")} IS NULL OR ${c("retry_at")} <= ${now})`;
      ready += notExcludedType(dialect, p, excludeTypes);
      const who = c("creater_name");
      const busy = busyWho(p, () => ago(redispatchSeconds));
      const text = `SELECT q.${c("id")} FROM (SELECT ${c("id")}, ${who}, ROW_NUMBER() OVER (PARTITION BY ${who} ORDER BY ${c("id")}) AS rn FROM ${t} WHERE ${ready}) q LEFT JOIN (SELECT ${who}, COUNT(*) AS n FROM (${busy}) b GROUP BY ${who}) f ON f.${who} = q.${who} WHERE q.rn + COALESCE(f.n, 0) <= ${p(perCreator)} ORDER BY q.${c("id")} LIMIT ${p(limit)}`;
      return { text, values };
    },

    /** Exports running (busyWho) for the creator of task `id`. */
    countProcessingForCreatorOf(id: number): Sql {
      const { values, p } = params();
      const who = c("creater_name");
      return {
        text: `SELECT COUNT(*) AS n FROM (${busyWho(p)}) b WHERE b.${who} = (SELECT ${who} FROM ${t} WHERE ${c("id")} = ${p(id)})`,
        values,
      };
    },

    setDispatched(ids: number[], dispatched: boolean): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("dispatched_at")} = ${dispatched ? now : "NULL"} WHERE ${c("status")} = ${p(pending)} AND ${c("id")} IN (${ids.map(p).join(", ")})`;
      return { text, values };
    },

    /** Exports running: tasks processing, a sliced one counted by its slices being written. */
    countProcessing(): Sql {
      const { values, p } = params();
      return { text: `SELECT COUNT(*) AS n FROM (${busyWho(p)}) b`, values };
    },

    /** 0 -> 1, only if still pending: affected rows say whether this caller won. */
    claim(id: number): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(processing)}, ${c("started_at")} = ${now}, ${c("heartbeat_at")} = ${now}, ${c("finished_at")} = NULL, ${c("retry_at")} = NULL, ${c("attempts")} = ${c("attempts")} + 1, ${c("msg")} = NULL, ${c("row_count")} = 0, ${c("byte_count")} = 0, ${c("slice_count")} = NULL, ${c("slices_done")} = NULL WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(pending)} AND ${c("cancel_requested_at")} IS NULL`;
      return { text, values };
    },

    getTask(id: number): Sql {
      const { values, p } = params();
      return {
        text: `SELECT ${taskColumns}, ${timeline}, ${waited} FROM ${t} WHERE ${c("id")} = ${p(id)}`,
        values,
      };
    },

    /**
     * The heartbeat with the rows and bytes written so far, while nobody asked to cancel: no
     * row affected means the claim was lost or a cancel was asked for (the caller looks which).
     */
    progress(id: number, attempt: number, rows: number, bytes: number): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("heartbeat_at")} = ${now}, ${c("row_count")} = ${p(rows)}, ${c("byte_count")} = ${p(bytes)} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(processing)} AND ${c("attempts")} = ${p(attempt)} AND ${c("cancel_requested_at")} IS NULL`;
      return { text, values };
    },

    /** Whether the attempt still holds the claim, and whether a cancel was asked for. */
    claimState(id: number): Sql {
      const { values, p } = params();
      const text = `SELECT ${c("status")}, ${c("attempts")}, ${c("cancelled_by")}, ${c("cancel_requested_at")} FROM ${t} WHERE ${c("id")} = ${p(id)}`;
      return { text, values };
    },

    /**
     * One statement, so no state change can slip between two: a pending task ends in 3 at once
     * (it never starts); a running one is flagged, and its worker sees that at its next progress
     * write. `status` is assigned last: MySQL evaluates SET left to right, so the CASEs before
     * it must still see the old status (PostgreSQL always does).
     */
    cancel(id: number, by: string, pendingMsg: string): Sql {
      const { values, p } = params();
      // A function: each use adds its own parameter (MySQL's ? placeholders are positional).
      const wasPending = () => `${c("status")} = ${p(pending)}`;
      const set = [
        `${c("cancel_requested_at")} = ${now}`,
        `${c("cancelled_by")} = ${p(by)}`,
        `${c("msg")} = CASE WHEN ${wasPending()} THEN ${p(pendingMsg)} ELSE ${c("msg")} END`,
        `${c("finished_at")} = CASE WHEN ${wasPending()} THEN ${now} ELSE ${c("finished_at")} END`,
        `${c("status")} = CASE WHEN ${wasPending()} THEN ${p(failed)} ELSE ${c("status")} END`,
      ];
      const text = `UPDATE ${t} SET ${set.join(", ")} WHERE ${c("id")} = ${p(id)} AND ${c("status")} IN (${p(pending)}, ${p(processing)}) AND ${c("cancel_requested_at")} IS NULL`;
      return { text, values };
    },

    /** A pending task flagged by hand (only the flag set): ended as cancelled when it comes up. */
    endFlaggedPending(id: number, msg: string): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("msg")} = ${p(msg)}, ${c("finished_at")} = ${now}, ${c("status")} = ${p(failed)} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(pending)} AND ${c("cancel_requested_at")} IS NOT NULL`;
      return { text, values };
    },

    /** The attempt that held the claim ends a cancelled task (fenced like fail). */
    finishCancelled(id: number, attempt: number, msg: string): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(failed)}, ${c("msg")} = ${p(msg)}, ${c("finished_at")} = ${now} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(processing)} AND ${c("attempts")} = ${p(attempt)} AND ${c("cancel_requested_at")} IS NOT NULL`;
      return { text, values };
    },

    /**
     * A failed task back to pending, as if new. attempts keep counting (they fence workers and
     * name objects); the retry budget starts again from attempt_base.
     */
    rerun(id: number): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(pending)}, ${c("msg")} = NULL, ${c("filepath")} = NULL, ${c("s3_key")} = NULL, ${c("row_count")} = NULL, ${c("byte_count")} = NULL, ${c("started_at")} = NULL, ${c("heartbeat_at")} = NULL, ${c("finished_at")} = NULL, ${c("retry_at")} = NULL, ${c("dispatched_at")} = NULL, ${c("cancel_requested_at")} = NULL, ${c("cancelled_by")} = NULL, ${c("slice_count")} = NULL, ${c("slices_done")} = NULL, ${c("attempt_base")} = ${c("attempts")} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(failed)}`;
      return { text, values };
    },

    /** Only the attempt that holds the claim may finish the task (a reaped worker may not). */
    complete(id: number, attempt: number, f: CompleteFields): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(succeeded)}, ${c("filepath")} = ${p(f.filepath)}, ${c("s3_key")} = ${p(f.s3Key)}, ${c("row_count")} = ${p(f.rowCount)}, ${c("byte_count")} = ${p(f.byteCount)}, ${c("msg")} = ${p(f.msg ?? null)}, ${c("finished_at")} = ${now} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(processing)} AND ${c("attempts")} = ${p(attempt)} AND ${c("cancel_requested_at")} IS NULL`;
      return { text, values };
    },

    fail(id: number, attempt: number, msg: string): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(failed)}, ${c("msg")} = ${p(msg)}, ${c("finished_at")} = ${now} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(processing)} AND ${c("attempts")} = ${p(attempt)}`;
      return { text, values };
    },

    /**
     * After a transient failure: back to pending, saying why, for the scheduler to send again
     * once the delay has passed. Fenced like complete, so only the claim holder can do it.
     */
    retry(id: number, attempt: number, msg: string, delaySeconds: number): Sql {
      const { values, p, later } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(pending)}, ${c("msg")} = ${p(msg)}, ${c("dispatched_at")} = NULL, ${c("retry_at")} = ${later(delaySeconds)} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(processing)} AND ${c("attempts")} = ${p(attempt)} AND ${c("cancel_requested_at")} IS NULL`;
      return { text, values };
    },

    /**
     * After the deadline, for a task the worker can split itself (lib/slices/auto-slice.ts):
     * back to pending at once with the options that slice it. Fenced like retry.
     */
    retryWith(id: number, attempt: number, msg: string, options: string): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(pending)}, ${c("msg")} = ${p(msg)}, ${c("options")} = ${p(options)}, ${c("dispatched_at")} = NULL, ${c("retry_at")} = NULL WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(processing)} AND ${c("attempts")} = ${p(attempt)} AND ${c("cancel_requested_at")} IS NULL`;
      return { text, values };
    },

    /**
     * Tasks for a panel or an operator, newest first: by creator, by status, or finished (or
     * created, when unfinished) more than some seconds ago; `beforeId` pages on.
     */
    list(f: ListFilter): Sql {
      if (!Number.isInteger(f.limit) || f.limit < 1 || f.limit > MAX_LIST)
        throw new RangeError(`limit must be a whole number from 1 to ${MAX_LIST}, not ${f.limit}`);
      if (f.beforeId !== undefined && !Number.isInteger(f.beforeId))
        throw new RangeError(`beforeId must be a whole number, not ${f.beforeId}`);
      const { values, p, ago } = params();
      const where: string[] = [];
      // Exactly this creator: a panel must never show another's tasks.
      if (f.creator !== undefined)
        where.push(dialect.sql.sameText(c("creater_name"), p(f.creator)));
      if (f.statuses !== undefined && f.statuses.length > 0)
        where.push(`${c("status")} IN (${f.statuses.map(p).join(", ")})`);
      if (f.olderThanSeconds !== undefined)
        where.push(
          `COALESCE(${c("finished_at")}, ${c("created_at")}) < ${ago(f.olderThanSeconds)}`,
        );
      if (f.beforeId !== undefined) where.push(`${c("id")} < ${p(f.beforeId)}`);
      const text = `SELECT ${taskColumns}, ${timeline}, ${waited} FROM ${t}${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${c("id")} DESC LIMIT ${p(f.limit)}`;
      return { text, values };
    },

    /** The database's clock, as epoch seconds like the timeline: ages are measured against it. */
    now(): Sql {
      return { text: `SELECT ${dialect.sql.epochSeconds(now)} AS ${c("now")}`, values: [] };
    },

    /**
     * Pending tasks sent to the queue more than `seconds` ago and never claimed: the message
     * was lost, or sits behind a stalled consumer.
     */
    staleDispatched(seconds: number): Sql {
      const { values, p, ago } = params();
      const text = `SELECT ${c("id")} FROM ${t} WHERE ${c("status")} = ${p(pending)} AND ${c("dispatched_at")} < ${ago(seconds)} ORDER BY ${c("id")}`;
      return { text, values };
    },

    /** Forgets that these were sent, while still pending and still stale, so the scheduler sends them again. */
    clearStaleDispatch(ids: number[], seconds: number): Sql {
      const { values, p, ago } = params();
      const text = `UPDATE ${t} SET ${c("dispatched_at")} = NULL WHERE ${c("status")} = ${p(pending)} AND ${c("dispatched_at")} < ${ago(seconds)} AND ${c("id")} IN (${ids.map(p).join(", ")})`;
      return { text, values };
    },

    /**
     * Finished tasks whose file is older than `seconds` (by finished_at), in id order after
     * `afterId`: the operator's purge pages through them.
     */
    purgeCandidates(seconds: number, afterId: number, limit: number): Sql {
      const { values, p, ago } = params();
      const finished = `${dialect.sql.epochSeconds(c("finished_at"))} AS ${c("finished_at")}`;
      const text = `SELECT ${c("id")}, ${c("status")}, ${c("s3_key")}, ${c("byte_count")}, ${finished} FROM ${t} WHERE ${c("status")} IN (${p(succeeded)}, ${p(failed)}) AND ${c("s3_key")} IS NOT NULL AND ${c("finished_at")} < ${ago(seconds)} AND ${c("id")} > ${p(afterId)} ORDER BY ${c("id")} LIMIT ${p(limit)}`;
      return { text, values };
    },

    /**
     * The file is gone: no link, no key, a msg saying so. Fenced on the key that was deleted,
     * so a task that got a new file meanwhile keeps it.
     */
    clearFile(id: number, s3Key: string, msg: string): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("filepath")} = NULL, ${c("s3_key")} = NULL, ${c("msg")} = ${p(msg)} WHERE ${c("id")} = ${p(id)} AND ${c("s3_key")} = ${p(s3Key)}`;
      return { text, values };
    },

    /** Processing tasks whose worker stopped heart-beating: the worker died or was cut off. */
    staleProcessing(leaseSeconds: number): Sql {
      const { values, p, ago } = params();
      const text = `SELECT ${c("id")}, ${c("attempts")}, ${c("attempt_base")}, ${c("row_count")}, ${c("cancelled_by")}, ${c("cancel_requested_at")} FROM ${t} WHERE ${c("status")} = ${p(processing)} AND (${c("heartbeat_at")} IS NULL OR ${c("heartbeat_at")} < ${ago(leaseSeconds)}) ORDER BY ${c("id")}`;
      return { text, values };
    },

    /** Gives a stale task back to the scheduler, only if it is still stale (no race with a live worker). */
    release(id: number, leaseSeconds: number): Sql {
      const { values, p, ago } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(pending)}, ${c("dispatched_at")} = NULL WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(processing)} AND ${c("cancel_requested_at")} IS NULL AND (${c("heartbeat_at")} IS NULL OR ${c("heartbeat_at")} < ${ago(leaseSeconds)})`;
      return { text, values };
    },
  };
}
