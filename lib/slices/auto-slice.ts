import type { ExportDeps, ExportOutcome } from "../export/types.js";
import { Interrupted } from "../export/watchdog.js";
import { outputDefaults, resolveOptions } from "../formats/options.js";
import type { Task } from "../tasks/store.js";

/**
 * A whole task stopped at the deadline, whose SQL ends in `ORDER BY <column>` (order-key.ts):
 * sent back at once to run again split by that column, instead of failing with the advice to
 * do so. Its options gain `slice_key` and `slice_rows` (half the rows this worker wrote in its
 * whole time, so each slice takes about half a worker's time); its msg says why. The next
 * attempt plans slices as if the task had asked: a key the plan refuses (NULLs, a text column)
 * fails the task with the plan's msg, and a task that still runs whole fails at the next
 * deadline as before. Undefined when this does not apply: the caller records the failure.
 */
export async function sliceInstead(
  deps: ExportDeps,
  task: Task,
  failure: unknown,
  started: number,
  /** Rows this attempt wrote before the deadline: each slice gets half as many. */
  rows: number,
): Promise<ExportOutcome | undefined> {
  if (!(failure instanceof Interrupted) || failure.why !== "deadline") return undefined;
  const key = deps.source.sqlText?.orderKey(task.query);
  // No row by the deadline: nothing says how big a slice could be, or that slices would help.
  if (key === undefined || !deps.slicing || rows < 2) return undefined;
  let options: Record<string, unknown>;
  try {
    const own = task.options?.trim() ? JSON.parse(task.options) : {};
    options = { ...own, slice_key: key, slice_rows: Math.floor(rows / 2) };
    // The same checks as a task that asked: a workbook, a ZIP or a gzip file is not sliced.
    const resolved = resolveOptions(JSON.stringify(options), outputDefaults(deps.settings));
    if (resolved.sliceKey !== key) return undefined;
  } catch {
    return undefined;
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const msg = `The export did not finish within one worker's time (${seconds} seconds); it runs again split across workers by ${key}, the column its rows are ordered by.`;
  if (!(await deps.tasks.retryWith(task, msg, JSON.stringify(options)))) return undefined;
  deps.logger.warn("deadline reached; task sent back to run sliced by its ORDER BY column", {
    taskId: task.id,
    key,
    seconds,
  });
  return { kind: "retrying", id: task.id, msg };
}
