import { reapVerdict } from "../tasks/reap.js";
import type { Ops } from "./context.js";

/** What happened (or, in a dry run, would happen) to one processing task whose worker went quiet. */
export interface StuckTask {
  id: number;
  /** released: pending again for another attempt; failed: out of attempts; cancelled: a cancel was pending; unchanged: its worker came back meanwhile. */
  action: "released" | "failed" | "cancelled" | "unchanged";
  /** This run's attempt that went quiet, and the most a run gets (MAX_ATTEMPTS). */
  attempt: number;
  maxAttempts: number;
}

export interface RequeueReport {
  leaseSeconds: number;
  dryRun: boolean;
  stuck: StuckTask[];
  /** Pending tasks sent more than leaseSeconds ago and never claimed, marked unsent for the scheduler. */
  redispatched: number[];
}

/**
 * The scheduler's lease reaper, run now with the operator's lease: processing tasks whose
 * heartbeat is older than the lease go back to pending (or fail after MAX_ATTEMPTS, or end as
 * cancelled), exactly as TaskStore.reapStale does every pass. A worker that is in fact alive
 * loses nothing but the attempt: its writes are fenced by the attempt number. Pending tasks
 * queued that long ago without a claim (a lost message) are marked unsent, so the scheduler's
 * next pass sends them again instead of waiting out REDISPATCH_SECONDS.
 */
export async function requeueStuck(
  ops: Ops,
  o: { leaseSeconds: number; dryRun: boolean },
): Promise<RequeueReport> {
  const { maxAttempts } = ops.config;
  const before = await ops.tasks.findStale(o.leaseSeconds);
  const verdict = new Map(before.map((t) => [t.id, reapVerdict(t, maxAttempts)]));
  const attempt = new Map(before.map((t) => [t.id, t.attempts - t.attemptBase]));
  let stuck: StuckTask[];
  if (o.dryRun) {
    stuck = before.map((t) => ({
      id: t.id,
      action: named(verdict.get(t.id)),
      attempt: attempt.get(t.id) ?? 0,
      maxAttempts,
    }));
  } else {
    const done = await ops.tasks.reapStale({ leaseSeconds: o.leaseSeconds, maxAttempts });
    const ids = [...new Set([...before.map((t) => t.id), ...done.released, ...done.failed])];
    stuck = ids
      .sort((a, b) => a - b)
      .map((id) => ({
        id,
        action: done.released.includes(id)
          ? "released"
          : done.failed.includes(id)
            ? verdict.get(id) === "cancelled"
              ? "cancelled"
              : "failed"
            : "unchanged",
        attempt: attempt.get(id) ?? 0,
        maxAttempts,
      }));
  }
  const redispatched = await ops.tasks.staleDispatched(o.leaseSeconds, !o.dryRun);
  return { leaseSeconds: o.leaseSeconds, dryRun: o.dryRun, stuck, redispatched };
}

function named(v: ReturnType<typeof reapVerdict> | undefined): StuckTask["action"] {
  return v === "fail" ? "failed" : v === "cancelled" ? "cancelled" : "released";
}
