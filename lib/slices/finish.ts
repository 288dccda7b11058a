import { objectKey } from "../export/object-key.js";
import { discard, recordExport } from "../export/record-export.js";
import { recordFailure } from "../export/record-failure.js";
import type { ExportDeps, ExportOptions, ExportOutcome, Slicing } from "../export/types.js";
import { startWatchdog } from "../export/watchdog.js";
import { StageError } from "../failure/policy.js";
import { outputDefaults, resolveOptions } from "../formats/options.js";
import { bindOutput } from "../formats/output.js";
import { exportLink } from "../links/export-link.js";
import { contentDisposition } from "../storage.js";
import type { SliceRow } from "../tasks/slice-store.js";
import type { Task } from "../tasks/store.js";
import { assembleObject } from "./assemble.js";
import { sliceHeartbeat } from "./heartbeat.js";
import { abortSliceUploads, deleteSliceObjects } from "./objects.js";

/**
 * The final file of a sliced task, built by the one delivery of the join message that claimed it:
 * the slice objects joined in order inside S3 (assemble.ts), recorded on the task as any
 * export is (link, counts, status 2), then every slice object and row removed. The task's
 * heartbeat runs meanwhile, so the lease reaper leaves it alone.
 */
export async function assembleTask(
  deps: ExportDeps,
  slicing: Slicing,
  task: Task,
  join: SliceRow,
  options: ExportOptions,
): Promise<ExportOutcome> {
  const { settings, logger } = deps;
  const started = Date.now();
  const slices = await slicing.store.list(task.id);
  const rows = slices.reduce((sum, s) => sum + (s.rows ?? 0), 0);
  const bytes = slices.reduce((sum, s) => sum + (s.bytes ?? 0), 0);
  const watchdog = startWatchdog({
    // The join's heartbeat (a worker that dies mid-join is taken over), and the task's with it.
    tasks: sliceHeartbeat(deps, slicing, join, { rows, bytes }),
    task,
    leaseSeconds: settings.leaseSeconds,
    progressSeconds: settings.progressSeconds,
    deadline: options.deadline,
    logger,
  });
  const output = bindOutput(resolveOptions(task.options ?? null, outputDefaults(settings)));
  const key = objectKey(settings.keyPrefix, task.id, task.attempts, output.extension);
  try {
    let url: string;
    try {
      await assembleObject(deps.s3, {
        bucket: settings.bucket,
        key,
        slices: slices.map((s) => ({ key: s.s3Key as string, bytes: s.bytes ?? 0 })),
        contentType: output.contentType,
        contentDisposition: contentDisposition(task.name, output.extension),
        metadata: { "task-id": String(task.id) },
        abortSignal: watchdog.stop.signal,
      });
      url = await exportLink(deps.signer, settings, task.id, key);
    } catch (failure) {
      await discard(deps, key);
      const stopped = watchdog.stop.signal.aborted;
      const cause = stopped ? watchdog.stop.signal.reason : new StageError("upload", failure);
      // Another try would plan and write every slice again: fail, saying why.
      return await recordFailure(deps, task, cause, started, rows, { final: true });
    }
    logger.info("slices joined", {
      taskId: task.id,
      slices: slices.length,
      rows,
      bytes,
      seconds: (Date.now() - started) / 1000,
    });
    return await recordExport(deps, task, { key, url, rows, bytes }, output, started, null);
  } finally {
    watchdog.dispose();
    await cleanUp(deps, slicing, task);
  }
}

/**
 * Every slice object and row of this attempt of the task, gone (its file is recorded, or it
 * ended without one). Only this attempt's: a re-run may already have planned its own.
 */
export async function cleanUp(
  deps: ExportDeps,
  slicing: Slicing,
  task: Pick<Task, "id" | "attempts">,
): Promise<void> {
  const { id, attempts: attempt } = task;
  try {
    const { bucket, keyPrefix } = deps.settings;
    await deleteSliceObjects(deps.s3, bucket, keyPrefix, id, { attempt });
    // A killed try's upload, still open: the scheduler's sweep would abort it later.
    await abortSliceUploads(deps.s3, bucket, keyPrefix, id, attempt);
    await slicing.store.remove(id, attempt);
  } catch (error) {
    deps.logger.error(
      "could not remove a sliced task's slices; the lifecycle rule expires the objects",
      { taskId: id, error },
    );
  }
}
