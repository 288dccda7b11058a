import { sendTaskMessages } from "../queue.js";
import type { Ops } from "./context.js";

/**
 * Sends `{"id": N}` for pending tasks, marked as sent first so the scheduler does not send
 * them too; those the queue refused are marked unsent again for the scheduler's next pass.
 */
export async function sendNow(
  ops: Ops,
  queueUrl: string,
  ids: number[],
): Promise<{ sent: Set<number>; error?: string }> {
  if (ids.length === 0) return { sent: new Set() };
  await ops.tasks.markDispatched(ids);
  const { sent, failed, error } = await sendTaskMessages(ops.sqs, queueUrl, ids);
  await ops.tasks.unreserve(failed);
  const why = error === undefined ? {} : { error: ops.clean(error) };
  return { sent: new Set(sent), ...why };
}
