import { StageError } from "../failure/policy.js";
import { type OutputOptions, outputDefaults, resolveOptions } from "../formats/options.js";
import { type BoundOutput, bindOutput } from "../formats/output.js";
import { exportLink } from "../links/export-link.js";
import { objectKey } from "./object-key.js";
import { discard, recordExport } from "./record-export.js";
import { recordFailure } from "./record-failure.js";
import { streamToS3 } from "./stream-upload.js";
import type { ExportDeps, ExportOptions, ExportOutcome } from "./types.js";
import { startWatchdog } from "./watchdog.js";

/**
 * One task, start to finish: claim, stream the query into S3, store the link and status.
 * Export errors end the task in status 3 with a readable msg, or, when the database or
 * storage was only unreachable, send it back for another attempt. Only an error writing the
 * task row itself is thrown, so the message is retried by SQS.
 */
export async function exportTask(
  deps: ExportDeps,
  id: number,
  options: ExportOptions = {},
): Promise<ExportOutcome> {
  const { tasks, settings, logger } = deps;
  const claim = await tasks.claim(id, settings.maxInFlight, settings.maxInFlightPerCreator);
  if (claim.kind === "deferred") {
    logger.info("in-flight cap reached; task left pending for the scheduler", { taskId: id });
    return { kind: "deferred", id };
  }
  if (claim.kind === "skipped") {
    logger.info("task not pending; duplicate or unknown message ignored", {
      taskId: id,
      status: claim.status,
    });
    return { kind: "skipped", id, status: claim.status };
  }
  const task = claim.task;
  const started = Date.now();
  logger.info("task claimed", { taskId: id, attempt: task.attempts });
  const watchdog = startWatchdog({
    tasks,
    task,
    leaseSeconds: settings.leaseSeconds,
    progressSeconds: settings.progressSeconds,
    deadline: options.deadline,
    logger,
  });
  const { stop, meter } = watchdog;
  try {
    let options: OutputOptions;
    let output: BoundOutput;
    try {
      // Resolved once, before any byte: a bad option fails the task without touching the data.
      const checks = { notifyUrl: deps.notifier?.checkTaskUrl };
      options = resolveOptions(task.options ?? null, outputDefaults(settings), checks);
      output = bindOutput(options);
    } catch (failure) {
      return await recordFailure(deps, task, failure, started);
    }
    if (options.sliceKey !== undefined && deps.slicing) {
      // Split across workers; undefined when too small to split: then it runs whole, here.
      const sliced = await deps.slicing.start(deps, task, options, started, stop.signal);
      if (sliced) return sliced;
    }
    const key = objectKey(settings.keyPrefix, id, task.attempts, output.extension);
    let result: { rows: number; bytes: number };
    let url: string;
    try {
      result = await streamToS3(deps, task, key, stop, output, meter);
      if (stop.signal.aborted) throw stop.signal.reason;
      url = await exportLink(deps.signer, settings, id, key).catch((err) => {
        throw new StageError("upload", err);
      });
    } catch (failure) {
      // The upload may have completed before the failure (a stop landing just after it, a
      // query or writer error reported after it, a link that could not be made): no file may
      // outlive its task's ending. Deleting a key never written costs one request.
      await discard(deps, key);
      const sliced = await deps.slicing?.instead(deps, task, failure, started, meter.rows());
      return sliced ?? (await recordFailure(deps, task, failure, started, meter.rows()));
    }
    return await recordExport(
      deps,
      task,
      { key, url, ...result },
      output,
      started,
      claim.waitedSeconds,
    );
  } finally {
    watchdog.dispose();
  }
}
