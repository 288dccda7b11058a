import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import type { App } from "../app.js";
import { redact } from "../redact.js";
import { schedulerPass } from "../scheduler.js";
import { handleSqsBatch } from "../worker.js";
import { deleteRecords, receiveRecords } from "./sqs-records.js";
import { countOpen } from "./task-admin.js";

export interface LocalRunOptions {
  /** Return once no task is pending or processing and nothing is running. */
  untilIdle: boolean;
  /** Give up after this long (0: never). */
  maxSeconds: number;
  signal?: AbortSignal;
  /**
   * false: the worker alone, taking only what others send to the queue (a PHP app's direct
   * `{"id"}`), so nothing is started by a poll. Default true.
   */
  scheduler?: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Scheduler and worker on one machine, as the cloud runs them: the scheduler pass queues
 * tasks, SQS delivers them, each message is handled by the worker's batch handler (a batch
 * of one, like the deployed batchSize) and deleted unless reported as a batch item failure.
 */
export async function runLocal(app: App, o: LocalRunOptions): Promise<void> {
  const { config, sqs } = app;
  // Fail fast on a queue that is not there, rather than retry forever.
  await sqs
    .send(
      new GetQueueAttributesCommand({ QueueUrl: config.queueUrl, AttributeNames: ["QueueArn"] }),
    )
    .catch((err) => {
      throw new Error(
        `EXPORT_QUEUE_URL ${config.queueUrl} is not reachable: ${redact(String((err as Error).message ?? err), app.exportDeps.secrets)}`,
      );
    });
  const { logger } = app.exportDeps;
  const running = new Set<Promise<void>>();
  const started = Date.now();
  let lastPass = 0;

  const handle = (record: SQSRecord) => {
    const job = handleSqsBatch(app.exportDeps, { Records: [record] })
      .then(async (res) => {
        // Failed records stay on the queue; SQS redelivers them after the visibility timeout.
        if (res.batchItemFailures.length === 0) await deleteRecords(sqs, config.queueUrl, [record]);
      })
      .catch((error) => logger.error("worker batch failed", { error }))
      .finally(() => running.delete(job));
    running.add(job);
  };

  while (!o.signal?.aborted) {
    if (o.maxSeconds > 0 && Date.now() - started > o.maxSeconds * 1000) {
      throw new Error(`local runner: tasks still open after ${o.maxSeconds}s`);
    }
    if (
      o.scheduler !== false &&
      Date.now() - lastPass >= Math.min(config.schedulerPollSeconds * 1000, 1000)
    ) {
      lastPass = Date.now();
      await schedulerPass(app.schedulerDeps).catch((error) =>
        logger.error("scheduler pass failed", { error }),
      );
    }
    const free = config.maxInFlight - running.size;
    if (free > 0) {
      const records = await receiveRecords(sqs, config.queueUrl, free, 1).catch(async (error) => {
        logger.error("receive failed; retrying in 2 s", { error });
        await sleep(2000);
        return [] as SQSRecord[];
      });
      for (const r of records) handle(r);
      if (records.length > 0) continue;
    } else {
      await Promise.race(running);
    }
    if (o.untilIdle && running.size === 0) {
      const open = await countOpen(app.taskDb, config.taskTable, config.excludeTypes).catch(
        () => -1,
      );
      if (open === 0) break;
    }
  }
  await Promise.allSettled(running);
}
