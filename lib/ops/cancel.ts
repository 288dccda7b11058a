import { STATUS } from "../status.js";
import type { Ops } from "./context.js";
import { type ItemResult, uniqueIds } from "./results.js";
import { statusName } from "./statuses.js";

/**
 * Cancels tasks for `by` (TaskStore.cancel): a pending task ends in 3 at once; a running one
 * is flagged, and its worker stops at its next progress write (PROGRESS_SECONDS) and ends it
 * in 3. Finished tasks are left as they are.
 */
export async function cancelTasks(ops: Ops, ids: number[], by: string): Promise<ItemResult[]> {
  const out: ItemResult[] = [];
  for (const id of uniqueIds(ids)) {
    const r = await ops.tasks.cancel(id, by);
    if (r.kind === "cancelled") {
      out.push({
        id,
        outcome: "done",
        result: "cancelled",
        note: "it ends in 3 (failed) now and will not start",
      });
    } else if (r.kind === "stopping") {
      const s = ops.config.progressSeconds;
      out.push({
        id,
        outcome: "done",
        result: "stopping",
        note: `its worker stops within about ${s} s and ends it in 3 (failed)`,
      });
    } else {
      out.push({
        id,
        outcome: "skipped",
        result: "not-cancellable",
        note: await why(ops, id, r.status),
      });
    }
  }
  return out;
}

async function why(ops: Ops, id: number, status: number | null): Promise<string> {
  if (status === null) return "no such task";
  if (status === STATUS.processing) {
    const row = await ops.tasks.get(id);
    return `a cancel was already asked for${row?.cancelledBy ? ` by ${row.cancelledBy}` : ""}; its worker is stopping`;
  }
  if (status === STATUS.pending) return "it changed while being cancelled; try again";
  return `it already ended (${statusName(status)})`;
}
