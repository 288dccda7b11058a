/**
 * One task's outcome in a verb that acts on several: done; skipped (the task was not in a
 * state the verb acts on, or is not there); or error (the queue or storage failed).
 */
export interface ItemResult {
  id: number;
  outcome: "done" | "skipped" | "error";
  /** A word for scripts: sent, retried, cancelled, stopping, not-found, not-pending, ... */
  result: string;
  /** A sentence for a person: what happened, or why not and what to do. */
  note: string;
}

export class OpsError extends Error {
  override name = "OpsError";
}

/** The ids once each, in the order given (an id typed twice is acted on once). */
export function uniqueIds(ids: number[]): number[] {
  return [...new Set(ids)];
}

/** The queue's URL, or an error saying how to set it: only the verbs that send need it. */
export function requireQueue(queueUrl: string, verb: string): string {
  if (queueUrl === "") {
    throw new OpsError(
      `EXPORT_QUEUE_URL is not set: ${verb} sends {"id": N} to the task queue. Set it to the queue's URL (the stack's TaskQueueUrl output).`,
    );
  }
  return queueUrl;
}
