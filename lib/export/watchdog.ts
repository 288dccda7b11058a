import type { Logger } from "../logger.js";
import type { Task, TaskStore } from "../tasks/store.js";

/** Why an export was stopped from outside the data path. */
export class Interrupted extends Error {
  override name = "Interrupted";
  constructor(
    readonly why: "deadline" | "claim-lost" | "cancelled",
    /** Who asked, when cancelled. */
    readonly by = "",
  ) {
    super(
      why === "deadline"
        ? "stopped at the deadline"
        : why === "cancelled"
          ? `cancelled by ${by}`
          : "claim lost to another attempt",
    );
  }
}

/** Rows and bytes written so far; the export fills it in once its writer exists. */
export interface Meter {
  rows: () => number;
  bytes: () => number;
}

export interface Watchdog {
  /** Aborted with an Interrupted when the deadline passes, the claim is lost or a cancel is asked for. */
  stop: AbortController;
  /** What the export has written so far (for progress and the cancel msg). */
  meter: Meter;
  dispose(): void;
}

/**
 * Writes progress (rows, bytes) with the heartbeat every few seconds, so a panel shows it and a
 * cancel is seen within seconds; if a write finds the task handed on (this worker was presumed
 * dead) or cancelled, or the deadline passes, it stops the export at once rather than racing a
 * new attempt or the Lambda timeout to the end. One small UPDATE per tick (npm run bench).
 */
export function startWatchdog(o: {
  tasks: Pick<TaskStore, "progress">;
  task: Task;
  leaseSeconds: number;
  progressSeconds: number;
  deadline: number | undefined;
  logger: Logger;
}): Watchdog {
  const stop = new AbortController();
  const meter: Meter = { rows: () => 0, bytes: () => 0 };
  const everyMs = Math.max(500, Math.min(o.progressSeconds * 1000, (o.leaseSeconds * 1000) / 3));
  // When the write now out began (0: none). A slow task database must not pile up writes, but
  // one that never answers must not stop every later tick either (no heartbeat, no cancel):
  // after two intervals the next tick writes again, on another pooled connection.
  let outSince = 0;
  const tick = () => {
    if (stop.signal.aborted) return;
    if (outSince !== 0 && Date.now() - outSince < 2 * everyMs) return;
    if (outSince !== 0)
      o.logger.warn("progress write unanswered; writing again", {
        taskId: o.task.id,
        seconds: Math.round((Date.now() - outSince) / 1000),
      });
    const mine = Date.now();
    outSince = mine;
    o.tasks
      .progress(o.task, meter.rows(), meter.bytes())
      .then((r) => {
        if (stop.signal.aborted) return;
        if (r.kind === "lost") stop.abort(new Interrupted("claim-lost"));
        else if (r.kind === "cancelled") stop.abort(new Interrupted("cancelled", r.by));
      })
      .catch((error) => o.logger.warn("progress write failed", { taskId: o.task.id, error }))
      .finally(() => {
        if (outSince === mine) outSince = 0;
      });
  };
  const heartbeat = setInterval(tick, everyMs);
  const deadlineTimer =
    o.deadline === undefined
      ? undefined
      : setTimeout(
          () => stop.abort(new Interrupted("deadline")),
          Math.max(0, o.deadline - Date.now()),
        );
  return {
    stop,
    meter,
    dispose() {
      clearInterval(heartbeat);
      clearTimeout(deadlineTimer);
    },
  };
}
