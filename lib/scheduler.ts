import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Config } from "./config.js";
import { redact } from "./errors.js";
import type { Logger } from "./logger.js";
import { sendTaskMessages } from "./queue.js";
import type { ReapResult, TaskStore } from "./tasks/store.js";

export type SchedulerSettings = Pick<
  Config,
  | "queueUrl"
  | "maxInFlight"
  | "redispatchSeconds"
  | "excludeTypes"
  | "leaseSeconds"
  | "maxAttempts"
  | "schedulerPollSeconds"
  | "schedulerRunSeconds"
>;

export interface SchedulerDeps {
  tasks: TaskStore;
  sqs: SQSClient;
  settings: SchedulerSettings;
  logger: Logger;
  secrets: string[];
}

export interface PassResult {
  sent: number[];
  unsent: number[];
  reaped: ReapResult;
}

/** One look at the table: recover dead claims, then queue pending tasks up to the cap. */
export async function schedulerPass(deps: SchedulerDeps): Promise<PassResult> {
  const { tasks, settings: s, logger } = deps;
  const reaped = await tasks.reapStale({
    leaseSeconds: s.leaseSeconds,
    maxAttempts: s.maxAttempts,
  });
  if (reaped.released.length || reaped.failed.length) {
    logger.warn("recovered tasks whose worker stopped", { ...reaped });
  }
  const ids = await tasks.reserveForDispatch({
    maxInFlight: s.maxInFlight,
    redispatchSeconds: s.redispatchSeconds,
    excludeTypes: s.excludeTypes,
  });
  if (ids.length === 0) return { sent: [], unsent: [], reaped };
  const { sent, failed } = await sendTaskMessages(deps.sqs, s.queueUrl, ids);
  if (failed.length > 0) {
    // Give them back at once rather than waiting out redispatchSeconds.
    await tasks.unreserve(failed);
    logger.error("could not send task messages; will retry next pass", { taskIds: failed });
  }
  if (sent.length > 0) logger.info("queued tasks", { taskIds: sent });
  return { sent, unsent: failed, reaped };
}

export interface LoopOptions {
  /** How long to keep polling; the Lambda's remaining time caps it. */
  runMs: number;
  pollMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * A schedule fires at most once a minute; polling several times inside one invocation brings
 * pickup down to a few seconds, as the seed's daemon had. A failed pass (task database briefly
 * away) is logged and the next pass tries again.
 */
export async function runSchedulerLoop(
  deps: SchedulerDeps,
  o: LoopOptions,
): Promise<{ passes: number; sent: number }> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + o.runMs;
  let passes = 0;
  let sent = 0;
  for (;;) {
    try {
      sent += (await schedulerPass(deps)).sent.length;
    } catch (err) {
      const error = redact(String((err as Error).message ?? err), deps.secrets);
      deps.logger.error("scheduler pass failed; retrying next poll", { error });
    }
    passes += 1;
    if (now() + o.pollMs > deadline) break;
    await sleep(o.pollMs);
  }
  return { passes, sent };
}
