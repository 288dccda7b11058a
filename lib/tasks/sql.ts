import type { Dialect, Sql } from "../engines/dialect.js";
import { quoteTable, type TableName } from "../identifiers.js";
import { STATUS } from "../status.js";
import { CONTROL_ROW, controlTable } from "./control.js";

export type { Sql };

export interface CompleteFields {
  filepath: string;
  s3Key: string;
  rowCount: number;
  byteCount: number;
  /** A note for a task that succeeded (more rows than a sheet shows); NULL otherwise. */
  msg?: string | null;
}

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
  ]
    .map(c)
    .join(", ");
  // How long the task waited from insert to its latest claim (the pickup-latency metric).
  const waited = `${dialect.sql.secondsBetween(c("created_at"), c("started_at"))} AS ${c("waited_seconds")}`;

  const control = controlTable(table);
  const ctl = quoteTable(dialect.quoteIdent, control);

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

    /** Tasks holding a slot: processing, or sent to the queue recently and not yet claimed. */
    inFlight(redispatchSeconds: number): Sql {
      const { values, p, ago } = params();
      const text = `SELECT COUNT(*) AS n FROM ${t} WHERE ${c("status")} = ${p(processing)} OR (${c("status")} = ${p(pending)} AND ${c("dispatched_at")} > ${ago(redispatchSeconds)})`;
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
      const busy = `${c("status")} = ${p(processing)} OR (${c("status")} = ${p(pending)} AND ${c("dispatched_at")} > ${ago(redispatchSeconds)})`;
      const who = c("creater_name");
      const text = `SELECT q.${c("id")} FROM (SELECT ${c("id")}, ${who}, ROW_NUMBER() OVER (PARTITION BY ${who} ORDER BY ${c("id")}) AS rn FROM ${t} WHERE ${ready}) q LEFT JOIN (SELECT ${who}, COUNT(*) AS n FROM ${t} WHERE ${busy} GROUP BY ${who}) f ON f.${who} = q.${who} WHERE q.rn + COALESCE(f.n, 0) <= ${p(perCreator)} ORDER BY q.${c("id")} LIMIT ${p(limit)}`;
      return { text, values };
    },

    /** Tasks processing for the creator of task `id`. */
    countProcessingForCreatorOf(id: number): Sql {
      const { values, p } = params();
      const who = c("creater_name");
      return {
        text: `SELECT COUNT(*) AS n FROM ${t} WHERE ${c("status")} = ${p(processing)} AND ${who} = (SELECT ${who} FROM ${t} WHERE ${c("id")} = ${p(id)})`,
        values,
      };
    },

    setDispatched(ids: number[], dispatched: boolean): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("dispatched_at")} = ${dispatched ? now : "NULL"} WHERE ${c("status")} = ${p(pending)} AND ${c("id")} IN (${ids.map(p).join(", ")})`;
      return { text, values };
    },

    countProcessing(): Sql {
      const { values, p } = params();
      return {
        text: `SELECT COUNT(*) AS n FROM ${t} WHERE ${c("status")} = ${p(processing)}`,
        values,
      };
    },

    /** 0 -> 1, only if still pending: affected rows say whether this caller won. */
    claim(id: number): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(processing)}, ${c("started_at")} = ${now}, ${c("heartbeat_at")} = ${now}, ${c("finished_at")} = NULL, ${c("retry_at")} = NULL, ${c("attempts")} = ${c("attempts")} + 1, ${c("msg")} = NULL WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(pending)}`;
      return { text, values };
    },

    getTask(id: number): Sql {
      const { values, p } = params();
      return {
        text: `SELECT ${taskColumns}, ${waited} FROM ${t} WHERE ${c("id")} = ${p(id)}`,
        values,
      };
    },

    heartbeat(id: number, attempt: number): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("heartbeat_at")} = ${now} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(processing)} AND ${c("attempts")} = ${p(attempt)}`;
      return { text, values };
    },

    /** Only the attempt that holds the claim may finish the task (a reaped worker may not). */
    complete(id: number, attempt: number, f: CompleteFields): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(succeeded)}, ${c("filepath")} = ${p(f.filepath)}, ${c("s3_key")} = ${p(f.s3Key)}, ${c("row_count")} = ${p(f.rowCount)}, ${c("byte_count")} = ${p(f.byteCount)}, ${c("msg")} = ${p(f.msg ?? null)}, ${c("finished_at")} = ${now} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(processing)} AND ${c("attempts")} = ${p(attempt)}`;
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
      const text = `UPDATE ${t} SET ${c("status")} = ${p(pending)}, ${c("msg")} = ${p(msg)}, ${c("dispatched_at")} = NULL, ${c("retry_at")} = ${later(delaySeconds)} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(processing)} AND ${c("attempts")} = ${p(attempt)}`;
      return { text, values };
    },

    /** Processing tasks whose worker stopped heart-beating: the worker died or was cut off. */
    staleProcessing(leaseSeconds: number): Sql {
      const { values, p, ago } = params();
      const text = `SELECT ${c("id")}, ${c("attempts")} FROM ${t} WHERE ${c("status")} = ${p(processing)} AND (${c("heartbeat_at")} IS NULL OR ${c("heartbeat_at")} < ${ago(leaseSeconds)}) ORDER BY ${c("id")}`;
      return { text, values };
    },

    /** Gives a stale task back to the scheduler, only if it is still stale (no race with a live worker). */
    release(id: number, leaseSeconds: number): Sql {
      const { values, p, ago } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(pending)}, ${c("dispatched_at")} = NULL WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(processing)} AND (${c("heartbeat_at")} IS NULL OR ${c("heartbeat_at")} < ${ago(leaseSeconds)})`;
      return { text, values };
    },
  };
}
