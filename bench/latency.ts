import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { App } from "../lib/app.js";
import { deleteRecords, receiveRecords } from "../lib/local/sqs-records.js";
import { countOpen, insertTask } from "../lib/local/task-admin.js";
import { schedulerPass } from "../lib/scheduler.js";
import { handleSqsBatch } from "../lib/worker.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface LatencyResult {
  path: string;
  tasks: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

/**
 * Insert -> status 1, measured by the task database's own clocks (created_at by the INSERT's
 * default, started_at by the claim), for tasks inserted one by one at random moments. Via the
 * scheduler (polling every SCHEDULER_POLL_SECONDS, as deployed) and via a message PHP sends
 * right after its INSERT. A worker loop long-polls SQS as the Lambda event source does.
 */
export async function measureLatency(
  app: App,
  tasks: number,
  direct: boolean,
): Promise<LatencyResult> {
  let stop = false;
  const worker = (async () => {
    while (!stop) {
      const records = await receiveRecords(app.sqs, app.config.queueUrl, 10, 1);
      await Promise.all(
        records.map(async (r) => {
          const res = await handleSqsBatch(app.exportDeps, { Records: [r] });
          if (res.batchItemFailures.length === 0)
            await deleteRecords(app.sqs, app.config.queueUrl, [r]);
        }),
      );
    }
  })();
  const ids: number[] = [];
  const spacingMs = direct ? 100 : 400;
  // The deployed scheduler's loop: one pass every SCHEDULER_POLL_SECONDS.
  const scheduler = direct
    ? Promise.resolve()
    : (async () => {
        while (!stop) {
          await schedulerPass(app.schedulerDeps).catch(() => {});
          for (let t = 0; t < app.config.schedulerPollSeconds * 10 && !stop; t++) await sleep(100);
        }
      })();
  for (let i = 0; i < tasks; i++) {
    const id = await insertTask(app.taskDb, app.config.taskTable, {
      name: `latency ${i}`,
      title: "n",
      query: "SELECT 1",
      createrName: "bench",
    });
    ids.push(id);
    if (direct) {
      await app.sqs.send(
        new SendMessageCommand({
          QueueUrl: app.config.queueUrl,
          MessageBody: JSON.stringify({ id }),
        }),
      );
    }
    await sleep(spacingMs * (0.5 + Math.random()));
  }
  // Wait until every task has been claimed (and finished: SELECT 1 is instant).
  for (;;) {
    if ((await countOpen(app.taskDb, app.config.taskTable, [])) === 0) break;
    await sleep(200);
  }
  stop = true;
  await worker;
  if (!direct) await scheduler;
  const table = app.config.taskTable.name;
  const res = await app.taskDb.query<{ ms: string | number }>(
    `SELECT EXTRACT(EPOCH FROM (started_at - created_at)) * 1000 AS ms FROM ${table} WHERE id = ANY($1::int[]) ORDER BY ms`,
    [ids],
  );
  const ms = res.rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)] ?? Number.NaN;
  return {
    path: direct
      ? "direct SQS message (PHP)"
      : `scheduler (poll ${app.config.schedulerPollSeconds} s)`,
    tasks: ms.length,
    medianMs: at(0.5),
    p95Ms: at(0.95),
    maxMs: ms[ms.length - 1] ?? Number.NaN,
  };
}
