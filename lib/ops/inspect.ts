import type { ListFilter } from "../tasks/sql.js";
import type { TaskRow } from "../tasks/store.js";
import type { Ops } from "./context.js";

/** Ages are measured against the database's clock, in which the task table's times are kept. */
export async function listTasks(
  ops: Ops,
  filter: ListFilter,
): Promise<{ rows: TaskRow[]; now: Date }> {
  const rows = await ops.tasks.list(filter);
  return { rows, now: await ops.tasks.now() };
}

export async function showTask(
  ops: Ops,
  id: number,
): Promise<{ row: TaskRow | undefined; now: Date }> {
  const row = await ops.tasks.get(id);
  return { row, now: await ops.tasks.now() };
}
