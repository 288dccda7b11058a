import { classifyError } from "../engines/index.js";
import { describeFailure } from "../failure/describe.js";
import { deadlineMsg, decide, isTransient, StageError } from "../failure/policy.js";
import { MSG_MAX_CHARS, truncate } from "../redact.js";
import { cancelledMsg, type Task } from "../tasks/store.js";
import { parseTitle } from "../tasks/title.js";
import type { ExportDeps, ExportOutcome } from "./types.js";
import { Interrupted } from "./watchdog.js";

/** Status 3 with a reason, or back to pending when another attempt may well succeed. */
export async function recordFailure(
  deps: ExportDeps,
  task: Task,
  failure: unknown,
  started: number,
  /** Rows written when it stopped (for a cancel's msg). */
  rows = 0,
  o: {
    /** No retry, even for a transient failure (a sliced task's slice or final file). */
    final?: boolean;
    /** Where it stopped, before the msg (which slice of a sliced task). */
    where?: string;
    /** The msg at the deadline, when another advice fits better (a slice: more slices). */
    deadlineMsg?: (seconds: number) => string;
  } = {},
): Promise<ExportOutcome> {
  const at = (msg: string) => (o.where ? `${o.where}: ${msg}` : msg);
  const { tasks, settings, logger } = deps;
  const id = task.id;
  if (failure instanceof Interrupted && failure.why === "claim-lost") {
    logger.warn("claim lost to a newer attempt; export stopped and upload aborted", { taskId: id });
    return { kind: "abandoned", id };
  }
  if (failure instanceof Interrupted && failure.why === "cancelled") {
    const msg = cancelledMsg(failure.by, rows);
    logger.info("cancelled; query stopped and upload aborted", {
      taskId: id,
      by: failure.by,
      rows,
    });
    await tasks.finishCancelled(task, msg);
    return { kind: "failed", id, msg };
  }
  if (failure instanceof Interrupted) {
    const seconds = Math.round((Date.now() - started) / 1000);
    const msg = at((o.deadlineMsg ?? deadlineMsg)(seconds));
    logger.warn("deadline reached; upload aborted", { taskId: id, seconds, msg });
    await tasks.fail(task, msg);
    return { kind: "failed", id, msg };
  }
  const { stage, cause } =
    failure instanceof StageError ? failure : new StageError("export", failure);
  const kind = classifyError(cause);
  const reason = describeFailure(cause, kind, stage, {
    timeoutSeconds: settings.statementTimeoutSeconds,
    secrets: deps.secrets,
    labels: parseTitle(task.title),
  });
  // This run's attempt: a re-run starts the retry budget again.
  const attempt = task.attempts - (task.attemptBase ?? 0);
  const decision = o.final
    ? { action: "fail" as const, msg: truncate(at(reason), MSG_MAX_CHARS) }
    : decide(attempt, isTransient(cause, kind, stage), reason, settings);
  if (decision.action === "retry") {
    logger.warn("transient failure; task sent back for another attempt", {
      taskId: id,
      stage,
      msg: decision.msg,
    });
    if (!(await tasks.retry(task, decision.msg, decision.delaySeconds))) {
      // Not sent back: cancelled meanwhile (retry is fenced on it), or the claim was lost.
      const by = await tasks.cancelledBy(task);
      if (by !== undefined)
        return recordFailure(deps, task, new Interrupted("cancelled", by), started, rows);
    }
    return { kind: "retrying", id, msg: decision.msg };
  }
  logger.warn("export failed", { taskId: id, stage, msg: decision.msg });
  await tasks.fail(task, decision.msg);
  return { kind: "failed", id, msg: decision.msg };
}
