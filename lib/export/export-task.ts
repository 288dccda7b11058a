import { StageError, withCompletionRetries } from "../failure/policy.js";
import { outputDefaults, resolveOptions } from "../formats/options.js";
import { type BoundOutput, bindOutput } from "../formats/output.js";
import { exportLink } from "../links/export-link.js";
import { STATUS } from "../status.js";
import { deleteObject } from "../storage.js";
import { objectKey } from "./object-key.js";
import { recordFailure } from "./record-failure.js";
import { streamToS3 } from "./stream-upload.js";
import type { ExportDeps, ExportOptions, ExportOutcome } from "./types.js";
import { Interrupted, startWatchdog } from "./watchdog.js";

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
    let output: BoundOutput;
    try {
      // Resolved once, before any byte: a bad option fails the task without touching the data.
      const checks = { notifyUrl: deps.notifier?.checkTaskUrl };
      output = bindOutput(resolveOptions(task.options ?? null, outputDefaults(settings), checks));
    } catch (failure) {
      return await recordFailure(deps, task, failure, started);
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
      return await recordFailure(deps, task, failure, started, meter.rows());
    }
    const fields = {
      filepath: url,
      s3Key: key,
      rowCount: result.rows,
      byteCount: result.bytes,
      msg: output.notice(result.rows) ?? null,
    };
    let ours: boolean;
    try {
      ours = await withCompletionRetries(() => tasks.complete(task, fields));
    } catch (err) {
      // The row could not be written: take the file away again, so the retry that the lease
      // reaper will start does not leave a second copy behind.
      await discard(deps, key);
      throw err;
    }
    if (!ours && (await recordedAsOurs(deps, id, key))) {
      // An earlier try committed but its answer was lost, so the retry matched nothing.
      ours = true;
    }
    if (!ours) {
      await discard(deps, key);
      // A cancel asked for just before the end wins: the task ends cancelled, without its file.
      const by = await tasks.cancelledBy(task);
      if (by !== undefined)
        return await recordFailure(
          deps,
          task,
          new Interrupted("cancelled", by),
          started,
          result.rows,
        );
      logger.warn("task was taken over before this attempt finished; file removed", { taskId: id });
      return { kind: "abandoned", id };
    }
    const seconds = (Date.now() - started) / 1000;
    logger.info("export done", {
      taskId: id,
      rows: result.rows,
      bytes: result.bytes,
      seconds,
      key,
    });
    return {
      kind: "exported",
      id,
      rows: result.rows,
      bytes: result.bytes,
      key,
      url,
      seconds,
      waitedSeconds: claim.waitedSeconds,
    };
  } finally {
    watchdog.dispose();
  }
}

/** Whether the row already records this attempt's file as the task's result. */
async function recordedAsOurs(deps: ExportDeps, id: number, key: string): Promise<boolean> {
  const row = await deps.tasks.get(id).catch(() => undefined);
  return row?.status === STATUS.succeeded && row.s3Key === key;
}

async function discard(deps: ExportDeps, key: string): Promise<void> {
  await deleteObject(deps.s3, deps.settings.bucket, key).catch((error) =>
    deps.logger.error(
      "could not delete an unrecorded export; the bucket lifecycle rule will expire it",
      { key, error },
    ),
  );
}
