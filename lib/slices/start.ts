import { recordFailure } from "../export/record-failure.js";
import type { ExportDeps, ExportOutcome, Slicing } from "../export/types.js";
import { Interrupted } from "../export/watchdog.js";
import { StageError } from "../failure/policy.js";
import type { OutputOptions } from "../formats/options.js";
import type { Task } from "../tasks/store.js";
import { NotSliceable, sliceQueries } from "./key-range.js";
import { deleteSliceObjects } from "./objects.js";
import { planSlices } from "./plan.js";

/**
 * A claimed task with a slice_key: planned into slices, one message sent per slice, and the
 * task left processing for its slices to finish (the last builds the file: finish.ts).
 * Undefined when it is to run whole: too few rows for two slices, or no queue to send to.
 */
export async function startSliced(
  deps: ExportDeps,
  task: Task,
  options: OutputOptions,
  started: number,
  /** The task's watchdog: a cancel, the deadline or a lost claim stops the planning scans. */
  signal: AbortSignal,
): Promise<ExportOutcome | undefined> {
  const slicing = deps.slicing as Slicing;
  const key = options.sliceKey as string;
  const { logger } = deps;
  let planned: Awaited<ReturnType<typeof planSlices>>;
  try {
    if (!deps.source.sqlText)
      throw new NotSliceable("This data source cannot split a task into slices.");
    const queries = sliceQueries(deps.source.sqlText, task.query, key);
    const began = Date.now();
    planned = await planSlices(
      deps.source,
      queries,
      key,
      {
        wanted: options.slices,
        sliceRows: options.sliceRows ?? slicing.sliceRows,
        concurrency: slicing.planConcurrency,
      },
      signal,
    );
    logger.info("slices planned", {
      taskId: task.id,
      slices: planned.length,
      rows: planned.reduce((sum, s) => sum + s.rows, 0),
      seconds: (Date.now() - began) / 1000,
    });
  } catch (failure) {
    // A stop is recorded as a stop (cancelled, lost claim), not as a query that failed.
    const why = failure instanceof Interrupted ? failure : new StageError("query", failure);
    return recordFailure(deps, task, why, started, 0, {
      deadlineMsg: (seconds) =>
        `The slices could not be planned within the worker's time limit (${seconds} seconds): counting the result by its key took too long. Index the key ${key}, or narrow the query.`,
    });
  }
  if (planned.length === 0) return undefined;
  await slicing.store.ensureTable();
  // An earlier attempt's slice objects (its workers died, the reaper handed the task back);
  // its rows are replaced by the plan.
  await deleteSliceObjects(deps.s3, deps.settings.bucket, deps.settings.keyPrefix, task.id, {
    except: task.attempts,
  });
  if (!(await slicing.store.plan(task.id, task.attempts, planned))) {
    logger.warn("task was taken over while its slices were planned", { taskId: task.id });
    return { kind: "abandoned", id: task.id };
  }
  const ns = planned.map((s) => s.n);
  let sent = await slicing.send(task.id, task.attempts, ns);
  if (sent.failed.length > 0) sent = await slicing.send(task.id, task.attempts, sent.failed);
  if (sent.failed.length > 0)
    // Those slices stay pending with no message: the task's heartbeat stops with its slices,
    // and the lease reaper hands the task back to be planned again.
    logger.error("slice messages could not be sent; the lease reaper will restart the task", {
      taskId: task.id,
      slices: sent.failed,
      error: sent.error,
    });
  return { kind: "sliced", id: task.id, slices: planned.length };
}
