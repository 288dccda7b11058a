import { STATUS } from "../status.js";
import type { Ops } from "./context.js";
import { leftAlone } from "./not-acted.js";
import { type ItemResult, requireQueue, uniqueIds } from "./results.js";
import { sendNow } from "./send.js";

/**
 * Starts pending tasks now instead of at the scheduler's next poll, as PHP's optional direct
 * start does. A task that is not pending is left alone (a duplicate message would be harmless,
 * but the operator should know it did nothing).
 */
export async function enqueueTasks(ops: Ops, ids: number[]): Promise<ItemResult[]> {
  const queueUrl = requireQueue(ops.config.queueUrl, "enqueue");
  const results = new Map<number, ItemResult>();
  const pending: number[] = [];
  for (const id of uniqueIds(ids)) {
    const row = await ops.tasks.get(id);
    if (row?.status === STATUS.pending) pending.push(id);
    else results.set(id, leftAlone(id, row ? row.status : null, "pending"));
  }
  const { sent, error } = await sendNow(ops, queueUrl, pending);
  for (const id of pending) {
    results.set(
      id,
      sent.has(id)
        ? { id, outcome: "done", result: "sent", note: "sent to the queue: a worker starts it now" }
        : {
            id,
            outcome: "error",
            result: "send-failed",
            note: `the queue refused the message (${error ?? "no reason given"}); check EXPORT_QUEUE_URL and this identity's sqs:SendMessage. It stays pending: the scheduler sends it at its next pass`,
          },
    );
  }
  return uniqueIds(ids).map((id) => results.get(id) as ItemResult);
}
