import { STATUS } from "../status.js";
import type { TaskRow } from "../tasks/store.js";

export const EVENT_TYPE = "offline-export.task.finished";

/** What every channel carries, read from the task row once it is final. */
export interface TaskFinishedEvent {
  type: typeof EVENT_TYPE;
  id: number;
  status: 2 | 3;
  /** 3 splits into failed and cancelled (a cancel's msg starts "Cancelled by"). */
  state: "succeeded" | "failed" | "cancelled";
  creator: string;
  name: string;
  rows: number | null;
  bytes: number | null;
  /** The download link (filepath) of a succeeded task; null otherwise. */
  link: string | null;
  msg: string | null;
  /** ISO 8601 UTC; null if the table has no finished_at for it. */
  finishedAt: string | null;
}

/** The event for a row in status 2 or 3; undefined for any other status (nothing to say yet). */
export function finishedEvent(row: TaskRow): TaskFinishedEvent | undefined {
  if (row.status !== STATUS.succeeded && row.status !== STATUS.failed) return undefined;
  const ok = row.status === STATUS.succeeded;
  const finished = row.timeline.finished_at;
  return {
    type: EVENT_TYPE,
    id: row.task.id,
    status: ok ? 2 : 3,
    state: ok ? "succeeded" : row.msg?.startsWith("Cancelled by") ? "cancelled" : "failed",
    creator: row.task.createrName,
    name: row.task.name,
    rows: row.rowCount,
    bytes: row.byteCount,
    link: ok ? row.filepath : null,
    msg: row.msg,
    finishedAt: finished && !Number.isNaN(finished.getTime()) ? finished.toISOString() : null,
  };
}
