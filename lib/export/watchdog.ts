import type { Logger } from "../logger.js";
import type { Task, TaskStore } from "../tasks/store.js";

/** Why an export was stopped from outside the data path. */
export class Interrupted extends Error {
  override name = "Interrupted";
  constructor(readonly why: "deadline" | "claim-lost") {
    super(why === "deadline" ? "stopped at the deadline" : "claim lost to another attempt");
  }
}

export interface Watchdog {
  /** Aborted with an Interrupted when the deadline passes or the claim is lost. */
  stop: AbortController;
  dispose(): void;
}

/**
 * Keeps the claim's lease with a heartbeat every third of it; if a heartbeat finds the task
 * handed on (this worker was presumed dead), or the deadline passes, it stops the export at
 * once rather than racing a new attempt or the Lambda timeout to the end.
 */
export function startWatchdog(o: {
  tasks: Pick<TaskStore, "heartbeat">;
  task: Task;
  leaseSeconds: number;
  deadline: number | undefined;
  logger: Logger;
}): Watchdog {
  const stop = new AbortController();
  const heartbeat = setInterval(
    () => {
      o.tasks
        .heartbeat(o.task)
        .then((ours) => {
          if (!ours && !stop.signal.aborted) stop.abort(new Interrupted("claim-lost"));
        })
        .catch((error) => o.logger.warn("heartbeat failed", { taskId: o.task.id, error }));
    },
    Math.max(1000, (o.leaseSeconds * 1000) / 3),
  );
  const deadlineTimer =
    o.deadline === undefined
      ? undefined
      : setTimeout(
          () => stop.abort(new Interrupted("deadline")),
          Math.max(0, o.deadline - Date.now()),
        );
  return {
    stop,
    dispose() {
      clearInterval(heartbeat);
      clearTimeout(deadlineTimer);
    },
  };
}
