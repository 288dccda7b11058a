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
  let busy = false;
  const tick = () => {
    // A slow task database must not pile up writes: skip a tick while one is out.
    if (busy || stop.signal.aborted) return;
    busy = true;
    o.tasks
      .progress(o.task, meter.rows(), meter.bytes())
      .then((r) => {
        if (stop.signal.aborted) return;
        if (r.kind === "lost") stop.abort(new Interrupted("claim-lost"));
        else if (r.kind === "cancelled") stop.abort(new Interrupted("cancelled", r.by));
      })
      .catch((error) => o.logger.warn("progress write failed", { taskId: o.task.id, error }))
      .finally(() => {
        busy = false;
      });
  };
  const everyMs = Math.max(500, Math.min(o.progressSeconds * 1000, (o.leaseSeconds * 1000) / 3));
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
