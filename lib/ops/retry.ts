import type { Ops } from "./context.js";
import { leftAlone } from "./not-acted.js";
import { type ItemResult, requireQueue, uniqueIds } from "./results.js";
import { sendNow } from "./send.js";

/**
 * Runs failed tasks again as new (TaskStore.rerun: the retry budget starts again) and sends
 * them at once. Only failed tasks: a succeeded one keeps its file, a running one its worker.
 */
export async function retryTasks(ops: Ops, ids: number[]): Promise<ItemResult[]> {
  const queueUrl = requireQueue(ops.config.queueUrl, "retry");
  const results = new Map<number, ItemResult>();
  const rerun: number[] = [];
  for (const id of uniqueIds(ids)) {
    if (await ops.tasks.rerun(id)) rerun.push(id);
    else results.set(id, leftAlone(id, (await ops.tasks.get(id))?.status ?? null, "failed"));
  }
  const { sent, error } = await sendNow(ops, queueUrl, rerun);
  for (const id of rerun) {
    results.set(
      id,
      sent.has(id)
        ? { id, outcome: "done", result: "retried", note: "pending again and sent to the queue" }
        : {
            id,
            outcome: "error",
            result: "retried-not-sent",
            note: `pending again, but the queue refused the message (${error ?? "no reason given"}): the scheduler sends it at its next pass`,
          },
    );
  }
  return uniqueIds(ids).map((id) => results.get(id) as ItemResult);
}
