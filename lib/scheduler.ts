import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import { sendTaskMessages } from "./queue.js";
import { sweepSlices } from "./slices/sweep.js";
import type { SliceStore } from "./tasks/slice-store.js";
import type { ReapResult, TaskStore } from "./tasks/store.js";
import { sweepUploads } from "./upload-sweep.js";

export type SchedulerSettings = Pick<
  Config,
  | "queueUrl"
  | "maxInFlight"
  | "maxInFlightPerCreator"
  | "redispatchSeconds"
  | "excludeTypes"
  | "leaseSeconds"
  | "maxAttempts"
  | "schedulerPollSeconds"
  | "schedulerRunSeconds"
  | "bucket"
  | "keyPrefix"
>;

export interface SchedulerDeps {
  tasks: TaskStore;
  sqs: SQSClient;
  /** For sweeping multipart uploads left by dead workers; omitted, no sweep. */
  s3?: S3Client;
  /** For sweeping the slices of sliced tasks that ended without them (lib/slices/sweep.ts). */
  slices?: SliceStore;
  settings: SchedulerSettings;
  /** Redacts every line (lib/logger.ts). */
  logger: Logger;
}

export interface PassResult {
  sent: number[];
  unsent: number[];
  reaped: ReapResult;
  /** Keys of multipart uploads aborted because no live attempt owned them. */
  swept: string[];
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
  // Storage being away must not stop tasks from being queued: the sweep waits for next pass.
  const swept = deps.s3
    ? await sweepUploads({ ...deps, s3: deps.s3, bucket: s.bucket, keyPrefix: s.keyPrefix }).catch(
        (error) => {
          logger.warn("upload sweep failed; will try next pass", { error });
          return [] as string[];
        },
      )
    : [];
  if (deps.s3 && deps.slices)
    await sweepSlices({
      ...deps,
      s3: deps.s3,
      slices: deps.slices,
      bucket: s.bucket,
      keyPrefix: s.keyPrefix,
    }).catch((error) => logger.warn("slice sweep failed; will try next pass", { error }));
  const ids = await tasks.reserveForDispatch({
    maxInFlight: s.maxInFlight,
    maxInFlightPerCreator: s.maxInFlightPerCreator,
    redispatchSeconds: s.redispatchSeconds,
    excludeTypes: s.excludeTypes,
  });
  if (ids.length === 0) return { sent: [], unsent: [], reaped, swept };
  const { sent, failed } = await sendTaskMessages(deps.sqs, s.queueUrl, ids);
  if (failed.length > 0) {
    // Give them back at once rather than waiting out redispatchSeconds.
    await tasks.unreserve(failed);
    logger.error("could not send task messages; will retry next pass", { taskIds: failed });
  }
  if (sent.length > 0) logger.info("queued tasks", { taskIds: sent });
  return { sent, unsent: failed, reaped, swept };
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
    } catch (error) {
      deps.logger.error("scheduler pass failed; retrying next poll", { error });
    }
    passes += 1;
    if (now() + o.pollMs > deadline) break;
    await sleep(o.pollMs);
  }
  return { passes, sent };
}
