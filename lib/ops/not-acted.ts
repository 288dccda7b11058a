import { STATUS } from "../status.js";
import type { ItemResult } from "./results.js";
import { statusName } from "./statuses.js";

/** Why a verb left a task alone, by its status, with what the operator can do instead. */
export function leftAlone(
  id: number,
  status: number | null,
  wanted: "pending" | "failed",
): ItemResult {
  if (status === null) return { id, outcome: "skipped", result: "not-found", note: "no such task" };
  const hint: Record<number, string> = {
    [STATUS.pending]: "use enqueue to start it now",
    [STATUS.processing]: "a worker is running it already",
    [STATUS.succeeded]: "create the task again for a new file",
    [STATUS.failed]: "use retry to run it again",
  };
  return {
    id,
    outcome: "skipped",
    result: `not-${wanted}`,
    note: `it is ${statusName(status)}, not ${wanted}: ${hint[status] ?? "unknown status"}`,
  };
}
