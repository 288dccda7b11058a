// The operator verbs' branches that the real services rarely take: a queue that refuses, a
// file already gone, a key outside the prefix, a row changed meanwhile, a cancel already asked.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Config } from "../../lib/config.js";
import { cancelTasks } from "../../lib/ops/cancel.js";
import type { Ops } from "../../lib/ops/context.js";
import { enqueueTasks } from "../../lib/ops/enqueue.js";
import { errorText, failureHint } from "../../lib/ops/explain.js";
import { purgedMsg, purgeFiles } from "../../lib/ops/purge.js";
import { requeueStuck } from "../../lib/ops/requeue-stuck.js";
import { OpsError } from "../../lib/ops/results.js";
import { retryTasks } from "../../lib/ops/retry.js";
import type { CancelResult, StoredFile, TaskStore } from "../../lib/tasks/store.js";
import { taskRow } from "./task-row.js";

const config = {
  queueUrl: "http://127.0.0.1:1/123/q",
  bucket: "b",
  keyPrefix: "exports/",
  maxAttempts: 3,
  progressSeconds: 3,
  taskDb: { engine: "mysql", url: "mysql://u:pw@db.internal/t", label: "mysql://db.internal/t" },
} as unknown as Config;

function ops(
  tasks: Partial<TaskStore>,
  o: { s3?: unknown; sqs?: unknown; config?: Partial<Config> } = {},
): Ops {
  return {
    config: { ...config, ...o.config },
    tasks: tasks as TaskStore,
    s3: (o.s3 ?? {}) as S3Client,
    sqs: (o.sqs ?? {}) as SQSClient,
    clean: (t) => t.replaceAll("pw", "***"),
    close: async () => {},
  };
}

const refusingQueue = {
  send: async () => {
    throw Object.assign(new Error("queue says no (pw)"), { name: "QueueDoesNotExist" });
  },
};

describe("operator verbs, edge branches", () => {
  it("enqueue: a refused send marks the task unsent again and says why, without secrets", async () => {
    const unreserved: number[][] = [];
    const marked: number[][] = [];
    const o = ops(
      {
        get: async (id) => (id === 1 ? taskRow({ status: 0 }) : undefined),
        markDispatched: async (ids) => void marked.push(ids),
        unreserve: async (ids) => void unreserved.push(ids),
      },
      { sqs: refusingQueue },
    );
    const [r] = await enqueueTasks(o, [1, 1]);
    assert.deepEqual([r?.outcome, r?.result], ["error", "send-failed"]);
    assert.match(
      r?.note ?? "",
      /the queue refused the message \(queue says no \(\*\*\*\)\); check EXPORT_QUEUE_URL/,
    );
    assert.deepEqual([marked, unreserved], [[[1]], [[1]]]);
  });

  it("enqueue and retry refuse to start without EXPORT_QUEUE_URL", async () => {
    const o = ops({}, { config: { queueUrl: "" } });
    await assert.rejects(enqueueTasks(o, [1]), OpsError);
    await assert.rejects(retryTasks(o, [1]), /EXPORT_QUEUE_URL is not set: retry sends/);
  });

  it("retry: re-run but not sent says the scheduler will send it", async () => {
    const o = ops(
      {
        rerun: async () => true,
        markDispatched: async () => {},
        unreserve: async () => {},
      },
      { sqs: refusingQueue },
    );
    const [r] = await retryTasks(o, [4]);
    assert.deepEqual([r?.outcome, r?.result], ["error", "retried-not-sent"]);
    assert.match(
      r?.note ?? "",
      /pending again, but the queue refused .*: the scheduler sends it at its next pass/,
    );
  });

  it("cancel: explains each way a task is not cancellable", async () => {
    const answers: Record<number, CancelResult> = {
      1: { kind: "not-cancellable", status: null },
      2: { kind: "not-cancellable", status: 1 },
      3: { kind: "not-cancellable", status: 0 },
      4: { kind: "not-cancellable", status: 3 },
    };
    const o = ops({
      cancel: async (id) => answers[id] as CancelResult,
      get: async () => taskRow({ status: 1, cancelledBy: "王五" }),
    });
    const notes = (await cancelTasks(o, [1, 2, 3, 4], "x")).map((r) => r.note);
    assert.deepEqual(notes, [
      "no such task",
      "a cancel was already asked for by 王五; its worker is stopping",
      "it changed while being cancelled; try again",
      "it already ended (failed)",
    ]);
  });

  it("requeue-stuck: a dry run reports each verdict and clears nothing", async () => {
    let cleared: boolean | undefined;
    const o = ops({
      findStale: async () => [
        {
          id: 1,
          attempts: 1,
          attemptBase: 0,
          rowCount: 0,
          cancelledBy: null,
          cancelRequested: false,
        },
        {
          id: 2,
          attempts: 5,
          attemptBase: 2,
          rowCount: 0,
          cancelledBy: null,
          cancelRequested: false,
        },
        {
          id: 3,
          attempts: 1,
          attemptBase: 0,
          rowCount: 9,
          cancelledBy: "bob",
          cancelRequested: true,
        },
      ],
      reapStale: async () => assert.fail("a dry run does not reap"),
      staleDispatched: async (_s, clear) => {
        cleared = clear;
        return [7];
      },
    });
    const r = await requeueStuck(o, { leaseSeconds: 60, dryRun: true });
    assert.deepEqual(
      r.stuck.map((s) => [s.id, s.action, s.attempt]),
      [
        [1, "released", 1],
        [2, "failed", 3],
        [3, "cancelled", 1],
      ],
    );
    assert.deepEqual([r.redispatched, cleared], [[7], false]);
  });

  it("requeue-stuck: a task whose worker came back meanwhile is reported unchanged", async () => {
    const o = ops({
      findStale: async () => [
        {
          id: 1,
          attempts: 1,
          attemptBase: 0,
          rowCount: 0,
          cancelledBy: null,
          cancelRequested: false,
        },
        {
          id: 3,
          attempts: 1,
          attemptBase: 0,
          rowCount: 9,
          cancelledBy: "bob",
          cancelRequested: true,
        },
      ],
      reapStale: async () => ({ released: [], failed: [3, 8] }),
      staleDispatched: async () => [],
    });
    const r = await requeueStuck(o, { leaseSeconds: 60, dryRun: false });
    assert.deepEqual(
      r.stuck.map((s) => [s.id, s.action]),
      [
        [1, "unchanged"],
        [3, "cancelled"],
        [8, "failed"],
      ],
    );
  });

  it("purge: a file already gone clears the row; a foreign key is left; a changed row is left; errors are reported", async () => {
    const files: StoredFile[] = [
      { id: 1, status: 2, s3Key: "exports/gone.csv", byteCount: 10, finishedAt: null },
      { id: 2, status: 2, s3Key: "other/x.csv", byteCount: 10, finishedAt: null },
      { id: 3, status: 2, s3Key: "exports/rerun.csv", byteCount: 10, finishedAt: null },
      { id: 4, status: 2, s3Key: "exports/denied.csv", byteCount: 10, finishedAt: null },
    ];
    const sent: string[] = [];
    const s3 = {
      send: async (cmd: { constructor: { name: string }; input: { Key: string } }) => {
        sent.push(`${cmd.constructor.name} ${cmd.input.Key}`);
        if (cmd.input.Key === "exports/gone.csv")
          throw Object.assign(new Error("NotFound"), { $metadata: { httpStatusCode: 404 } });
        if (cmd.input.Key === "exports/denied.csv")
          throw Object.assign(new Error("Access Denied for pw"), {
            $metadata: { httpStatusCode: 403 },
          });
        return { ContentLength: 99 };
      },
    };
    const cleared: number[] = [];
    const o = ops(
      {
        filesOlderThan: async (_s, afterId) => (afterId === 0 ? files : []),
        clearFile: async (id) => {
          cleared.push(id);
          return id !== 3;
        },
      },
      { s3 },
    );
    const r = await purgeFiles(o, { olderThanSeconds: 86_400, dryRun: false });
    assert.deepEqual(r.files, [{ id: 1, s3Key: "exports/gone.csv", bytes: 0, result: "gone" }]);
    assert.deepEqual(
      r.skipped.map((s) => [s.id, s.why]),
      [
        [2, "not under EXPORT_KEY_PREFIX (exports/)"],
        [3, "the task got a new file meanwhile; its row was left as it is"],
      ],
    );
    assert.deepEqual(r.failed, [
      { id: 4, s3Key: "exports/denied.csv", error: "Access Denied for ***" },
    ]);
    assert.equal(r.bytesFreed, 0);
    assert.deepEqual(cleared, [1, 3]);
    assert.deepEqual(sent, [
      "HeadObjectCommand exports/gone.csv",
      "HeadObjectCommand exports/rerun.csv",
      "DeleteObjectCommand exports/rerun.csv",
      "HeadObjectCommand exports/denied.csv",
    ]);
  });

  it("purge: pages through the candidates by id", async () => {
    const pages: number[] = [];
    const page = (from: number) =>
      Array.from({ length: 200 }, (_, i) => ({
        id: from + i,
        status: 2,
        s3Key: `exports/${from + i}.csv`,
        byteCount: 1,
        finishedAt: null,
      }));
    const o = ops({
      filesOlderThan: async (_s, afterId) => {
        pages.push(afterId);
        return afterId === 0 ? page(1) : afterId === 200 ? page(201).slice(0, 5) : [];
      },
    });
    const r = await purgeFiles(o, { olderThanSeconds: 60, dryRun: true });
    assert.deepEqual(pages, [0, 200]);
    assert.deepEqual([r.files.length, r.bytesFreed], [205, 205]);
  });

  it("purge: the msg names the day and the age", () => {
    assert.equal(
      purgedMsg(new Date(Date.UTC(2026, 11, 2, 23, 0)), 30 * 86_400),
      "The file was removed on 2026-12-02 (older than 30 days); create the task again to export anew.",
    );
  });

  it("explains failures by what the operator can do", () => {
    const refused = Object.assign(new Error(""), {
      errors: [
        Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:3306"), { code: "ECONNREFUSED" }),
      ],
      code: "ECONNREFUSED",
    });
    assert.equal(errorText(refused), "connect ECONNREFUSED 10.0.0.5:3306");
    assert.match(
      failureHint(refused, config),
      /is the task database \(TASK_DB_URL\) up and reachable/,
    );
    assert.match(
      failureHint({ code: "ER_NO_SUCH_TABLE" }, config),
      /check TASK_TABLE, or create it with `npm run migrate`/,
    );
    assert.match(failureHint({ code: "ER_ACCESS_DENIED_ERROR" }, config), /refused the login/);
    assert.match(failureHint({ name: "CredentialsProviderError" }, config), /No AWS credentials/);
    assert.match(failureHint({ $metadata: { httpStatusCode: 403 } }, config), /S3 or SQS refused/);
    assert.equal(failureHint(new Error("odd"), config), "");
    assert.equal(
      errorText(Object.assign(new Error("x"), { name: "NoSuchBucket" })),
      "NoSuchBucket: x",
    );
  });
});
