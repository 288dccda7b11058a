import { STATUS } from "../status.js";
import type { TaskRow, TimelineStep } from "../tasks/store.js";
import { statusName } from "./statuses.js";

/** The timeline's steps as an operator reads them. */
export const STEP_LABELS: Record<TimelineStep, string> = {
  created_at: "created",
  dispatched_at: "dispatched",
  retry_at: "retry at",
  started_at: "started",
  heartbeat_at: "last heartbeat",
  cancel_requested_at: "cancel asked",
  finished_at: "finished",
};

export interface TimelineEntry {
  step: TimelineStep;
  label: string;
  at: Date;
  /** Seconds since the entry before it (null for the first). */
  afterPrevious: number | null;
}

const seconds = (from: Date, to: Date) => Math.round((to.getTime() - from.getTime()) / 1000);

/**
 * The steps that happened (or, for retry at, are planned), in time order, each with the time
 * since the one before. Time order, not column order: a retry's `retry at` comes after the
 * failed attempt's start and heartbeat.
 */
export function timelineOf(row: TaskRow): TimelineEntry[] {
  const steps = (Object.keys(STEP_LABELS) as TimelineStep[])
    .map((step) => ({ step, at: row.timeline[step] }))
    .filter((e): e is { step: TimelineStep; at: Date } => e.at !== null)
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  return steps.map((e, i) => {
    const prev = steps[i - 1];
    return {
      step: e.step,
      label: STEP_LABELS[e.step],
      at: e.at,
      afterPrevious: prev ? seconds(prev.at, e.at) : null,
    };
  });
}

/** How long the latest attempt ran: start to finish, or to `now` while processing; null before a start. */
export function runSeconds(row: TaskRow, now: Date): number | null {
  const { started_at: started, finished_at: finished } = row.timeline;
  if (!started) return null;
  if (finished && finished >= started) return seconds(started, finished);
  return row.status === STATUS.processing ? seconds(started, now) : null;
}

/** Seconds since the task was created, by the database's clock. */
export function ageSeconds(row: TaskRow, now: Date): number | null {
  const created = row.timeline.created_at;
  return created ? Math.max(0, seconds(created, now)) : null;
}

/** This run's attempt number: a re-run starts counting again (attempts - attempt_base). */
export function runAttempt(row: TaskRow): number {
  return row.task.attempts - (row.task.attemptBase ?? 0);
}

/** A task as one JSON object for scripts: snake_case, ISO times, the query only when asked. */
export function taskJson(row: TaskRow, now: Date, o: { withQuery: boolean }) {
  const t = row.task;
  return {
    id: t.id,
    status: row.status,
    status_name: statusName(row.status),
    name: t.name,
    title: t.title,
    creator: t.createrName,
    ...(o.withQuery ? { query: t.query } : {}),
    options: t.options ?? null,
    msg: row.msg,
    link: row.filepath,
    s3_key: row.s3Key,
    rows: row.rowCount,
    slices: row.slices,
    bytes: row.byteCount,
    attempts: t.attempts,
    attempt_base: t.attemptBase ?? 0,
    run_attempt: runAttempt(row),
    cancelled_by: row.cancelledBy,
    age_seconds: ageSeconds(row, now),
    run_seconds: runSeconds(row, now),
    timeline: Object.fromEntries(
      Object.entries(row.timeline).map(([k, v]) => [k, v ? v.toISOString() : null]),
    ),
  };
}
