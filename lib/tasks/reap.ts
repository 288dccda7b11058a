// The lease reaper's verdict on a processing task whose worker went quiet: shared by the
// scheduler's pass (TaskStore.reapStale) and the operator's dry run.

/** A processing task whose heartbeat is older than the lease. */
export interface StaleTask {
  id: number;
  attempts: number;
  attemptBase: number;
  rowCount: number;
  cancelledBy: string | null;
  cancelRequested: boolean;
}

/**
 * What the reaper does with a stale task: end it as cancelled (a cancel was asked for), fail
 * it (this run's attempts are spent), or release it for another attempt.
 */
export function reapVerdict(t: StaleTask, maxAttempts: number): "cancelled" | "fail" | "release" {
  if (t.cancelRequested) return "cancelled";
  // This run's attempts: a re-run starts its retry budget again.
  return t.attempts - t.attemptBase >= maxAttempts ? "fail" : "release";
}

/** Whether a row read with its cancel_requested_at has a cancel asked for. */
export const cancelAsked = (r: Record<string, unknown>): boolean =>
  r.cancel_requested_at !== null && r.cancel_requested_at !== undefined;

export function toStaleTask(r: Record<string, unknown>): StaleTask {
  return {
    id: Number(r.id),
    attempts: Number(r.attempts),
    attemptBase: Number(r.attempt_base ?? 0),
    rowCount: Number(r.row_count ?? 0),
    cancelledBy:
      r.cancelled_by === null || r.cancelled_by === undefined ? null : String(r.cancelled_by),
    cancelRequested: cancelAsked(r),
  };
}
