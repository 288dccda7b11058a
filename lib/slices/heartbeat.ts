import type { ExportDeps, Slicing } from "../export/types.js";
import type { SliceRow } from "../tasks/slice-store.js";
import type { ProgressResult, Task } from "../tasks/store.js";

/**
 * The watchdog's progress write for a slice or the join: the row's heartbeat and the task's
 * with it (SliceStore.progress). When it no longer holds, a cancel asked for is told apart
 * from the claim lost. `totals` fixes the figures written (the join's), else the meter's.
 */
export function sliceHeartbeat(
  deps: ExportDeps,
  slicing: Slicing,
  row: SliceRow,
  totals?: { rows: number; bytes: number },
) {
  return {
    progress: async (t: Task, rows: number, bytes: number): Promise<ProgressResult> => {
      const r = await slicing.store.progress(
        t.id,
        row,
        totals?.rows ?? rows,
        totals?.bytes ?? bytes,
      );
      if (r === "ok") return { kind: "ok" };
      const by = await deps.tasks.cancelledBy(t);
      return by === undefined ? { kind: "lost" } : { kind: "cancelled", by };
    },
  };
}
