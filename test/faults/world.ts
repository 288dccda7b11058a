import {
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { type App, createApp } from "../../lib/app.js";
import { loadConfig } from "../../lib/config.js";
import type { Engine } from "../../lib/db/url.js";
import type { ExportOptions } from "../../lib/export/types.js";
import { deleteRecords, receiveRecords } from "../../lib/local/sqs-records.js";
import { createLogger } from "../../lib/logger.js";
import { schedulerPass } from "../../lib/scheduler.js";
import { STATUS } from "../../lib/status.js";
import { handleSqsBatch } from "../../lib/worker.js";
import { type Harness, makeHarness, seriesSql } from "../helpers.js";
import { FaultProxy } from "./proxy.js";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface WorldOptions {
  taskEngine: Engine;
  dataEngine: Engine;
  env?: Record<string, string>;
}

/** One scenario's task table, bucket and queue (a harness), plus what the checks need. */
export interface World extends Harness {
  env: Record<string, string>;
  /** Another app (worker + scheduler) on the same table, bucket and queue, with env overrides. */
  spawnApp(env?: Record<string, string>): App;
  /** A proxy in front of a service; the URL to give an app instead of the real one. */
  proxy(url: string): Promise<{ proxy: FaultProxy; url: string }>;
  outcome(ids: number[]): Promise<Outcome>;
  objectsOf(id: number): Promise<string[]>;
}

export interface Outcome {
  ended2: number;
  ended3: number;
  stuck: number;
  duplicateExports: number;
  leftoverUploads: number;
  /** Problems that are not counted above: a status 2 row whose file is not the one stored. */
  problems: string[];
  msgs: (string | null)[];
}

// Short lease and retry delay, 5 MB parts (the S3 minimum) so a modest export is multipart.
const FAST = {
  LEASE_SECONDS: "3",
  RETRY_DELAY_SECONDS: "1",
  REDISPATCH_SECONDS: "10",
  UPLOAD_PART_SIZE_MB: "5",
  SCHEDULER_POLL_SECONDS: "1",
  // The scenarios measure recovery with all slots in use by one test creator; fairness between
  // creators has its own test (test/integration/tasks.test.ts).
  MAX_IN_FLIGHT_PER_CREATOR: "1000",
};

export async function makeWorld(o: WorldOptions): Promise<World> {
  const h = await makeHarness({ ...o, env: { ...FAST, ...o.env } });
  const c = h.config;
  const env: Record<string, string> = {
    ...FAST,
    ...o.env,
    TASK_DB_URL: c.taskDb.url,
    DATA_DB_URL: c.dataDb.url,
    TASK_TABLE: c.taskTable.name,
    EXPORT_BUCKET: c.bucket,
    EXPORT_QUEUE_URL: c.queueUrl,
    AWS_REGION: c.region,
    AWS_ENDPOINT_URL: c.endpointUrl ?? "",
  };
  const apps: App[] = [];
  const proxies: FaultProxy[] = [];
  const s3 = h.app.s3;
  const world: World = {
    ...h,
    env,
    spawnApp(extra = {}) {
      const app = createApp(loadConfig({ ...env, ...extra }), createLogger([], "faults"));
      apps.push(app);
      return app;
    },
    async proxy(url) {
      const p = await FaultProxy.forUrl(url);
      proxies.push(p.proxy);
      return p;
    },
    objectsOf: (id) => listKeys(s3, c.bucket, `${c.keyPrefix}task-${id}-`),
    async outcome(ids) {
      const out: Outcome = {
        ended2: 0,
        ended3: 0,
        stuck: 0,
        duplicateExports: 0,
        leftoverUploads: await countUploads(s3, c.bucket),
        problems: [],
        msgs: [],
      };
      for (const id of ids) {
        const row = await h.app.exportDeps.tasks.get(id);
        const keys = await world.objectsOf(id);
        out.msgs.push(row?.msg ?? null);
        if (row?.status === STATUS.succeeded) {
          out.ended2 += 1;
          out.duplicateExports += Math.max(0, keys.length - 1);
          if (!row.s3Key || !keys.includes(row.s3Key))
            out.problems.push(`task ${id}: status 2 but its file is missing`);
        } else if (row?.status === STATUS.failed) {
          out.ended3 += 1;
          out.duplicateExports += keys.length;
        } else {
          out.stuck += 1;
          out.duplicateExports += keys.length;
        }
      }
      return out;
    },
    async close() {
      for (const p of proxies) await p.close();
      await Promise.all(apps.map((a) => a.close()));
      await h.close();
    },
  };
  return world;
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

export async function countUploads(s3: S3Client, bucket: string): Promise<number> {
  const res = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (res.Uploads ?? []).length;
}

/** Waits until a multipart upload for the task has started (the export is mid-stream). */
export async function waitForUpload(world: World, id: number, maxMs = 30_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const res = await world.app.s3.send(
      new ListMultipartUploadsCommand({
        Bucket: world.config.bucket,
        Prefix: `${world.config.keyPrefix}task-${id}-`,
      }),
    );
    if ((res.Uploads ?? []).length > 0) return;
    if (Date.now() - started > maxMs) throw new Error(`no upload started for task ${id}`);
    await sleep(100);
  }
}

export async function queueDepth(app: App): Promise<number> {
  const res = await app.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: app.config.queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const a = res.Attributes ?? {};
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

export interface FleetOptions {
  /** Workers per app, each handling a batch of one, as the deployed batchSize. */
  workersPerApp: number;
  maxSeconds: number;
  passEveryMs?: number;
  exportOptions?: () => ExportOptions;
}

export interface FleetResult {
  deliveries: number;
  duplicateDeliveries: number;
  timedOut: boolean;
}

/**
 * Several deployed copies at once: each app runs scheduler passes and its own workers against
 * the shared queue, as concurrent Lambdas do, until every task has ended and the queue has
 * nothing left to deliver. Failures of passes, receives and deletes are tolerated: they are
 * what the scenarios inject.
 */
export async function runFleet(
  world: World,
  apps: App[],
  ids: number[],
  o: FleetOptions,
): Promise<FleetResult> {
  const started = Date.now();
  const perId = new Map<number, number>();
  let deliveries = 0;
  let done = false;
  let timedOut = false;
  const settled = async () => {
    for (const id of ids) {
      const row = await world.app.exportDeps.tasks.get(id).catch(() => undefined);
      if (row?.status !== STATUS.succeeded && row?.status !== STATUS.failed) return false;
    }
    return true;
  };
  const worker = async (app: App) => {
    let emptyAfterSettled = 0;
    while (!done) {
      const records = await receiveRecords(app.sqs, app.config.queueUrl, 1, 1).catch(async () => {
        await sleep(500);
        return [] as SQSRecord[];
      });
      for (const r of records) {
        deliveries += 1;
        const id = Number((/"id"\s*:\s*"?(\d+)/.exec(r.body) ?? [])[1] ?? 0);
        if (id) perId.set(id, (perId.get(id) ?? 0) + 1);
        const res = await handleSqsBatch(
          app.exportDeps,
          { Records: [r] },
          o.exportOptions?.() ?? {},
        ).catch(() => ({ batchItemFailures: [{ itemIdentifier: r.messageId }] }));
        if (res.batchItemFailures.length === 0)
          await deleteRecords(app.sqs, app.config.queueUrl, [r]).catch(() => {});
      }
      if (records.length === 0 && (await settled())) {
        emptyAfterSettled += 1;
        if (emptyAfterSettled >= 2) done = true;
      }
      if (Date.now() - started > o.maxSeconds * 1000) {
        timedOut = true;
        done = true;
      }
    }
  };
  const scheduler = async (app: App) => {
    while (!done) {
      await schedulerPass(app.schedulerDeps).catch(() => {});
      await sleep(o.passEveryMs ?? 500);
    }
  };
  const jobs: Promise<void>[] = [];
  for (const app of apps) {
    jobs.push(scheduler(app));
    for (let i = 0; i < o.workersPerApp; i++) jobs.push(worker(app));
  }
  await Promise.all(jobs);
  // One last pass: a sweep of uploads left by workers that died in the scenario's last moments.
  await schedulerPass(world.app.schedulerDeps).catch(() => {});
  let duplicateDeliveries = 0;
  for (const n of perId.values()) duplicateDeliveries += n - 1;
  return { deliveries, duplicateDeliveries, timedOut };
}

/** A query that streams `rows` rows of mixed text, pausing now and then, so faults land mid-export. */
export function slowQuery(engine: Engine, rows: number, seconds: number): string {
  const pauses = 50;
  const every = Math.max(1, Math.floor(rows / pauses));
  const pause = (seconds / pauses).toFixed(3);
  if (engine === "postgres") {
    return `SELECT g AS id, repeat('订单数据 order-', 6) || g AS pad, CASE WHEN g % ${every} = 0 THEN pg_sleep(${pause})::text END AS p FROM generate_series(1, ${rows}) g`;
  }
  return `SELECT s.n AS id, CONCAT(REPEAT('订单数据 order-', 6), s.n) AS pad, IF(s.n % ${every} = 0, SLEEP(${pause}), NULL) AS p FROM ${seriesSql("mysql", rows)}`;
}
