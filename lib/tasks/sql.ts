import type { Engine } from "../db/url.js";
import { quoteIdent, quoteTable, type TableName } from "../identifiers.js";

/** A statement and its parameters: values never enter the SQL text. */
export interface Sql {
  text: string;
  values: unknown[];
}

export interface CompleteFields {
  filepath: string;
  s3Key: string;
  rowCount: number;
  byteCount: number;
}

/**
 * Every statement the pipeline runs against the task table, for both engines. The table name
 * was checked by parseTableName; column names are fixed here; values are parameters.
 */
export function taskSql(engine: Engine, table: TableName) {
  const t = quoteTable(engine, table);
  const c = (name: string) => quoteIdent(engine, name);
  const now = engine === "mysql" ? "NOW()" : "now()";
  // Builds placeholders in order: ? for mysql2, $n for pg.
  const params = () => {
    const values: unknown[] = [];
    const p = (v: unknown) => {
      values.push(v);
      return engine === "mysql" ? "?" : `$${values.length}`;
    };
    const ago = (seconds: number) =>
      engine === "mysql"
        ? `(NOW() - INTERVAL ${p(seconds)} SECOND)`
        : `(now() - ${p(seconds)} * interval '1 second')`;
    const later = (seconds: number) =>
      engine === "mysql"
        ? `(NOW() + INTERVAL ${p(seconds)} SECOND)`
        : `(now() + ${p(seconds)} * interval '1 second')`;
    return { values, p, ago, later };
  };
  const typeText = engine === "mysql" ? `CAST(${c("type")} AS CHAR)` : `${c("type")}::text`;
  const taskColumns = [
    "id",
    "name",
    "title",
    "query",
    "creater_name",
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

  return {
    /** What the PHP app does to create a task (used by the demo and the tests). */
    insert(f: { name: string; title: string; query: string; createrName: string }): Sql {
      const { values, p } = params();
      const text = `INSERT INTO ${t} (${c("name")}, ${c("title")}, ${c("query")}, ${c("creater_name")}) VALUES (${p(f.name)}, ${p(f.title)}, ${p(f.query)}, ${p(f.createrName)})${engine === "postgres" ? ` RETURNING ${c("id")}` : ""}`;
      return { text, values };
    },

    /** Tasks holding a slot: processing, or sent to the queue recently and not yet claimed. */
    inFlight(redispatchSeconds: number): Sql {
      const { values, p, ago } = params();
      const text = `SELECT COUNT(*) AS n FROM ${t} WHERE ${c("status")} = ${p(1)} OR (${c("status")} = ${p(0)} AND ${c("dispatched_at")} > ${ago(redispatchSeconds)})`;
      return { text, values };
    },

    /** Oldest pending tasks that are not already on the queue nor waiting out a retry delay. */
    pickPending(limit: number, redispatchSeconds: number, excludeTypes: string[]): Sql {
      const { values, p, ago } = params();
      let text = `SELECT ${c("id")} FROM ${t} WHERE ${c("status")} = ${p(0)} AND (${c("dispatched_at")} IS NULL OR ${c("dispatched_at")} <= ${ago(redispatchSeconds)}) AND (${c("retry_at")} IS NULL OR ${c("retry_at")} <= ${now})`;
      if (excludeTypes.length > 0) {
        text += ` AND (${c("type")} IS NULL OR ${typeText} NOT IN (${excludeTypes.map(p).join(", ")}))`;
      }
      text += ` ORDER BY ${c("id")} LIMIT ${p(limit)}`;
      return { text, values };
    },

    setDispatched(ids: number[], dispatched: boolean): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("dispatched_at")} = ${dispatched ? now : "NULL"} WHERE ${c("status")} = ${p(0)} AND ${c("id")} IN (${ids.map(p).join(", ")})`;
      return { text, values };
    },

    /** Pending or processing tasks (pending ones of excluded types do not count). */
    countOpen(excludeTypes: string[]): Sql {
      const { values, p } = params();
      let text = `SELECT COUNT(*) AS n FROM ${t} WHERE ${c("status")} = ${p(1)} OR (${c("status")} = ${p(0)}`;
      if (excludeTypes.length > 0) {
        text += ` AND (${c("type")} IS NULL OR ${typeText} NOT IN (${excludeTypes.map(p).join(", ")}))`;
      }
      return { text: `${text})`, values };
    },

    countProcessing(): Sql {
      const { values, p } = params();
      return { text: `SELECT COUNT(*) AS n FROM ${t} WHERE ${c("status")} = ${p(1)}`, values };
    },

    /** 0 -> 1, only if still pending: affected rows say whether this caller won. */
    claim(id: number): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(1)}, ${c("started_at")} = ${now}, ${c("heartbeat_at")} = ${now}, ${c("finished_at")} = NULL, ${c("retry_at")} = NULL, ${c("attempts")} = ${c("attempts")} + 1, ${c("msg")} = NULL WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(0)}`;
      return { text, values };
    },

    getTask(id: number): Sql {
      const { values, p } = params();
      return { text: `SELECT ${taskColumns} FROM ${t} WHERE ${c("id")} = ${p(id)}`, values };
    },

    heartbeat(id: number, attempt: number): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("heartbeat_at")} = ${now} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(1)} AND ${c("attempts")} = ${p(attempt)}`;
      return { text, values };
    },

    /** Only the attempt that holds the claim may finish the task (a reaped worker may not). */
    complete(id: number, attempt: number, f: CompleteFields): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(2)}, ${c("filepath")} = ${p(f.filepath)}, ${c("s3_key")} = ${p(f.s3Key)}, ${c("row_count")} = ${p(f.rowCount)}, ${c("byte_count")} = ${p(f.byteCount)}, ${c("msg")} = NULL, ${c("finished_at")} = ${now} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(1)} AND ${c("attempts")} = ${p(attempt)}`;
      return { text, values };
    },

    fail(id: number, attempt: number, msg: string): Sql {
      const { values, p } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(3)}, ${c("msg")} = ${p(msg)}, ${c("finished_at")} = ${now} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(1)} AND ${c("attempts")} = ${p(attempt)}`;
      return { text, values };
    },

    /**
     * After a transient failure: back to pending, saying why, for the scheduler to send again
     * once the delay has passed. Fenced like complete, so only the claim holder can do it.
     */
    retry(id: number, attempt: number, msg: string, delaySeconds: number): Sql {
      const { values, p, later } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(0)}, ${c("msg")} = ${p(msg)}, ${c("dispatched_at")} = NULL, ${c("retry_at")} = ${later(delaySeconds)} WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(1)} AND ${c("attempts")} = ${p(attempt)}`;
      return { text, values };
    },

    /** Processing tasks whose worker stopped heart-beating: the worker died or was cut off. */
    staleProcessing(leaseSeconds: number): Sql {
      const { values, p, ago } = params();
      const text = `SELECT ${c("id")}, ${c("attempts")} FROM ${t} WHERE ${c("status")} = ${p(1)} AND (${c("heartbeat_at")} IS NULL OR ${c("heartbeat_at")} < ${ago(leaseSeconds)}) ORDER BY ${c("id")}`;
      return { text, values };
    },

    /** Gives a stale task back to the scheduler, only if it is still stale (no race with a live worker). */
    release(id: number, leaseSeconds: number): Sql {
      const { values, p, ago } = params();
      const text = `UPDATE ${t} SET ${c("status")} = ${p(0)}, ${c("dispatched_at")} = NULL WHERE ${c("id")} = ${p(id)} AND ${c("status")} = ${p(1)} AND (${c("heartbeat_at")} IS NULL OR ${c("heartbeat_at")} < ${ago(leaseSeconds)})`;
      return { text, values };
    },
  };
}

export type TaskSql = ReturnType<typeof taskSql>;
