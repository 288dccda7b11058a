import { withCompletionRetries } from "../failure/policy.js";
import type { BoundOutput } from "../formats/output.js";
import { STATUS } from "../status.js";
import { deleteObject } from "../storage.js";
import type { Task } from "../tasks/store.js";
import { recordFailure } from "./record-failure.js";
import type { ExportDeps, ExportOutcome } from "./types.js";
import { Interrupted } from "./watchdog.js";

/**
 * A written file becomes the task's result: link, counts and status 2, fenced on the attempt.
 * A cancel asked for just before the end wins, and a claim lost meanwhile leaves no file.
 */
export async function recordExport(
  deps: ExportDeps,
  task: Task,
  file: { key: string; url: string; rows: number; bytes: number },
  output: Pick<BoundOutput, "notice">,
  started: number,
  waitedSeconds: number | null,
): Promise<ExportOutcome> {
  const { tasks, logger } = deps;
  const { id } = task;
  const { key, url, rows, bytes } = file;
  const fields = {
    filepath: url,
    s3Key: key,
    rowCount: rows,
    byteCount: bytes,
    msg: output.notice(rows) ?? null,
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
      return await recordFailure(deps, task, new Interrupted("cancelled", by), started, rows);
    logger.warn("task was taken over before this attempt finished; file removed", { taskId: id });
    return { kind: "abandoned", id };
  }
  const seconds = (Date.now() - started) / 1000;
  logger.info("export done", { taskId: id, rows, bytes, seconds, key });
  return { kind: "exported", id, rows, bytes, key, url, seconds, waitedSeconds };
}

/** Whether the row already records this attempt's file as the task's result. */
async function recordedAsOurs(deps: ExportDeps, id: number, key: string): Promise<boolean> {
  const row = await deps.tasks.get(id).catch(() => undefined);
  return row?.status === STATUS.succeeded && row.s3Key === key;
}

/** Deletes a file no task row points at; a failure is logged (the lifecycle rule expires it). */
export async function discard(deps: ExportDeps, key: string): Promise<void> {
  await deleteObject(deps.s3, deps.settings.bucket, key).catch((error) =>
    deps.logger.error(
      "could not delete an unrecorded export; the bucket lifecycle rule will expire it",
      { key, error },
    ),
  );
}
