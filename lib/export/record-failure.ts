import { classifyError } from "../engines/index.js";
import { describeFailure } from "../failure/describe.js";
import { deadlineMsg, decide, isTransient, StageError } from "../failure/policy.js";
import type { Task } from "../tasks/store.js";
import { parseTitle } from "../tasks/title.js";
import type { ExportDeps, ExportOutcome } from "./types.js";
import { Interrupted } from "./watchdog.js";

/** Status 3 with a reason, or back to pending when another attempt may well succeed. */
export async function recordFailure(
  deps: ExportDeps,
  task: Task,
  failure: unknown,
  started: number,
): Promise<ExportOutcome> {
  const { tasks, settings, logger } = deps;
  const id = task.id;
  if (failure instanceof Interrupted && failure.why === "claim-lost") {
    logger.warn("claim lost to a newer attempt; export stopped and upload aborted", { taskId: id });
    return { kind: "abandoned", id };
  }
  if (failure instanceof Interrupted) {
    const seconds = Math.round((Date.now() - started) / 1000);
    const msg = deadlineMsg(seconds);
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
  const decision = decide(task.attempts, isTransient(cause, kind, stage), reason, settings);
  if (decision.action === "retry") {
    logger.warn("transient failure; task sent back for another attempt", {
      taskId: id,
      stage,
      msg: decision.msg,
    });
    await tasks.retry(task, decision.msg, decision.delaySeconds);
    return { kind: "retrying", id, msg: decision.msg };
  }
  logger.warn("export failed", { taskId: id, stage, msg: decision.msg });
  await tasks.fail(task, decision.msg);
  return { kind: "failed", id, msg: decision.msg };
}
