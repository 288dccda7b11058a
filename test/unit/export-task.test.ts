// exportTask's branches with stub task table, source and S3: the deadline, a lost claim, a
// completion that finds the task taken over, a transient failure. The fault suite runs the
// same branches against the real services (test/faults).
import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { describe, it } from "node:test";
import { S3Client } from "@aws-sdk/client-s3";
import iconv from "iconv-lite";
import { DEFAULTS } from "../../lib/config.js";
import { exportTask } from "../../lib/export/export-task.js";
import type { ExportDeps, ExportSettings } from "../../lib/export/types.js";
import { createLogger } from "../../lib/logger.js";
import type { DataSource } from "../../lib/sources/types.js";
import type { Task, TaskStore } from "../../lib/tasks/store.js";

const task: Task = {
  id: 7,
  name: "订单导出",
  title: "序号,名称",
  query: "SELECT name FROM t",
  createrName: "u",
  attempts: 1,
};

const settings: ExportSettings = {
  bucket: "b",
  format: "csv",
  encoding: "gb18030",
  escapeFormulas: false,
  longDigitsAsText: false,
  splitRows: false,
  compress: "none",
  maxInFlight: 6,
  maxInFlightPerCreator: 3,
  linkTtlSeconds: 3600,
  statementTimeoutSeconds: 60,
  leaseSeconds: 180,
  progressSeconds: 1,
  maxAttempts: 3,
  retryDelaySeconds: 30,
  keyPrefix: DEFAULTS.EXPORT_KEY_PREFIX,
  partSizeBytes: 5 * 1024 * 1024,
  uploadQueueSize: 2,
  linkMode: "presigned",
  linkBaseUrl: undefined,
  linkKeys: undefined,
  stableLinkTtlSeconds: 86_400,
};

interface World {
  deps: ExportDeps;
  calls: {
    fail: string[];
    retry: [string, number][];
    complete: number;
    sent: string[];
    cancelled: string[];
    progress: number;
  };
  closed: () => number;
  body: () => Buffer;
}

function world(o: {
  rows?: () => Readable;
  open?: () => Promise<never>;
  heartbeat?: boolean;
  /** Someone asked to cancel (seen by progress writes and fenced updates). */
  cancelBy?: string;
  retryOk?: boolean;
  /** What get() reads back (after a completion that matched nothing). */
  row?: unknown;
  complete?: boolean;
  leaseSeconds?: number;
}): World {
  const calls = {
    fail: [] as string[],
    retry: [] as [string, number][],
    complete: 0,
    sent: [] as string[],
    cancelled: [] as string[],
    progress: 0,
  };
  let closed = 0;
  const put: Buffer[] = [];
  const tasks = {
    claim: async () => ({ kind: "claimed", task: { ...task }, waitedSeconds: 3 }),
    progress: async () => {
      calls.progress += 1;
      if (o.cancelBy !== undefined) return { kind: "cancelled", by: o.cancelBy };
      return (o.heartbeat ?? true) ? { kind: "ok" } : { kind: "lost" };
    },
    cancelledBy: async () => o.cancelBy,
    get: async () => o.row,
    finishCancelled: async (_t: Task, msg: string) => {
      calls.cancelled.push(msg);
      return true;
    },
    fail: async (_t: Task, msg: string) => {
      calls.fail.push(msg);
      return true;
    },
    retry: async (_t: Task, msg: string, delay: number) => {
      calls.retry.push([msg, delay]);
      return o.retryOk ?? true;
    },
    complete: async () => {
      calls.complete += 1;
      return o.complete ?? true;
    },
  } as unknown as TaskStore;
  const source: DataSource = {
    label: "stub",
    open:
      o.open ??
      (async () => ({
        rows: o.rows ? o.rows() : Readable.from([[["甲"], ["乙"]]]),
        close: async () => {
          closed += 1;
        },
      })),
  };
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:9",
    forcePathStyle: true,
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" },
  });
  // Record what would go to S3; a small file is one PutObject.
  s3.send = (async (cmd: { constructor: { name: string }; input: { Body?: unknown } }) => {
    calls.sent.push(cmd.constructor.name);
    if (cmd.constructor.name === "PutObjectCommand") {
      const b = cmd.input.Body;
      if (Buffer.isBuffer(b) || b instanceof Uint8Array) put.push(Buffer.from(b));
    }
    return {};
  }) as unknown as S3Client["send"];
  const deps: ExportDeps = {
    tasks,
    source,
    s3,
    signer: s3,
    settings: { ...settings, leaseSeconds: o.leaseSeconds ?? settings.leaseSeconds },
    logger: createLogger([], "test"),
    secrets: [],
  };
  return { deps, calls, closed: () => closed, body: () => Buffer.concat(put) };
}

describe("exportTask", { timeout: 15_000 }, () => {
  it("exports, records the link and counts, and closes the source", async () => {
    const w = world({});
    const out = await exportTask(w.deps, task.id);
    assert.equal(out.kind, "exported");
    assert.equal(out.kind === "exported" && out.rows, 2);
    assert.match(out.kind === "exported" ? out.key : "", /^exports\/task-7-a1-[0-9a-f-]{36}\.csv$/);
    assert.equal(iconv.decode(w.body(), "gb18030"), "序号,名称\r\n1,甲\r\n2,乙\r\n");
    assert.equal(w.calls.complete, 1);
    assert.equal(w.closed(), 1);
  });

  it("collects fully at every part on the row path, where its garbage is heap, not Buffers", async () => {
    const g = globalThis as { gc?: (options?: unknown) => void };
    const saved = g.gc;
    let full = 0;
    g.gc = (options) => {
      if (options === undefined) full += 1;
    };
    try {
      // 40,000 rows of 100 Chinese characters: about 8 MB of GB18030, past one 5 MB part, with
      // far fewer Buffers held than the fast paths' threshold (collect.ts).
      const value = "甲".repeat(100);
      const batch = Array.from({ length: 200 }, () => [value]);
      const rows = () =>
        Readable.from(
          (function* () {
            for (let i = 0; i < 200; i++) yield batch;
          })(),
        );
      const w = world({ rows });
      // A multipart upload needs an id and each part's ETag back.
      const send = w.deps.s3.send.bind(w.deps.s3) as unknown as (c: unknown) => Promise<unknown>;
      w.deps.s3.send = (async (cmd: unknown) => {
        await send(cmd);
        return { UploadId: "u", ETag: '"e"' };
      }) as unknown as S3Client["send"];
      const out = await exportTask(w.deps, task.id);
      assert.equal(out.kind, "exported", w.calls.fail.join());
      assert.ok(w.calls.sent.includes("UploadPartCommand"), w.calls.sent.join());
      assert.equal(full, 1);
    } finally {
      g.gc = saved;
    }
  });

  it("stops at the deadline: aborts, closes the query and fails the task saying why", async () => {
    const w = world({ rows: () => new PassThrough({ objectMode: true }) });
    const out = await exportTask(w.deps, task.id, { deadline: Date.now() + 100 });
    assert.equal(out.kind, "failed");
    assert.equal(w.calls.fail.length, 1);
    assert.match(w.calls.fail[0] ?? "", /could not finish within the worker's time limit/);
    assert.equal(w.calls.complete, 0);
    assert.equal(w.closed(), 1);
    // Whatever the upload reached, the attempt's key is deleted.
    assert.ok(w.calls.sent.includes("DeleteObjectCommand"), w.calls.sent.join());
  });

  it("stops when a heartbeat finds the claim lost, and leaves the task to the new attempt", async () => {
    const w = world({
      rows: () => new PassThrough({ objectMode: true }),
      heartbeat: false,
      leaseSeconds: 3,
    });
    const out = await exportTask(w.deps, task.id);
    assert.equal(out.kind, "abandoned");
    assert.deepEqual(w.calls.fail, []);
    assert.equal(w.calls.complete, 0);
    assert.equal(w.closed(), 1);
  });

  it("stops within a progress tick when a cancel is asked for: query closed, no file, msg says who", async () => {
    const w = world({ rows: () => new PassThrough({ objectMode: true }), cancelBy: "alice" });
    const t0 = Date.now();
    const out = await exportTask(w.deps, task.id);
    assert.ok(Date.now() - t0 < 5000, "stopped within seconds");
    assert.equal(out.kind, "failed");
    assert.deepEqual(w.calls.cancelled, ["Cancelled by alice after 0 rows; no file was kept."]);
    assert.deepEqual(w.calls.fail, []);
    assert.equal(w.calls.complete, 0);
    assert.equal(w.closed(), 1);
    assert.ok(!w.calls.sent.includes("PutObjectCommand"), w.calls.sent.join());
    // In case the upload had completed just before the stop.
    assert.ok(w.calls.sent.includes("DeleteObjectCommand"), w.calls.sent.join());
  });

  it("ends cancelled, and deletes its file, when a cancel came just before it completed", async () => {
    const w = world({ complete: false, cancelBy: "bob", leaseSeconds: 3600 });
    w.deps.settings.progressSeconds = 600;
    const out = await exportTask(w.deps, task.id);
    assert.equal(out.kind, "failed");
    assert.equal(w.calls.complete, 1);
    assert.deepEqual(w.calls.cancelled, ["Cancelled by bob after 2 rows; no file was kept."]);
    assert.ok(w.calls.sent.includes("DeleteObjectCommand"), w.calls.sent.join());
  });

  it("writes rows and bytes so far with each heartbeat", async () => {
    const rows = new PassThrough({ objectMode: true });
    const w = world({ rows: () => rows });
    const seen: [number, number][] = [];
    const tasks = w.deps.tasks as unknown as Record<string, unknown>;
    tasks.progress = async (_t: Task, r: number, b: number) => {
      seen.push([r, b]);
      return { kind: "ok" };
    };
    const done = exportTask(w.deps, task.id);
    // Enough rows to pass the writer's output buffer, so bytes reach the upload.
    rows.write(Array.from({ length: 30_000 }, (_, i) => [`甲乙丙丁${i}`]));
    await new Promise((r) => setTimeout(r, 1500));
    rows.end();
    await done;
    const last = seen.at(-1);
    assert.ok(last !== undefined, "a progress write happened");
    assert.equal(last[0], 30_000);
    assert.ok(last[1] > 100_000, `bytes counted: ${last[1]}`);
  });

  it("keeps going when a progress write never answers: the next ones still see a cancel", async () => {
    const w = world({ rows: () => new PassThrough({ objectMode: true }) });
    let calls = 0;
    (w.deps.tasks as unknown as Record<string, unknown>).progress = () => {
      calls += 1;
      // The first write hangs (a blackholed connection); the later ones find the cancel.
      return calls === 1
        ? new Promise(() => {})
        : Promise.resolve({ kind: "cancelled", by: "dan" });
    };
    const t0 = Date.now();
    const out = await exportTask(w.deps, task.id);
    assert.equal(out.kind, "failed");
    assert.ok(Date.now() - t0 < 8000, `stopped after ${Date.now() - t0} ms`);
    assert.match(w.calls.cancelled[0] ?? "", /^Cancelled by dan/);
  });

  it("keeps its file when the completion committed but its answer was lost", async () => {
    let key = "";
    const w = world({ complete: false });
    (w.deps.tasks as unknown as Record<string, unknown>).get = async () => ({
      status: 2,
      s3Key: key,
    });
    const send = w.deps.s3.send.bind(w.deps.s3) as unknown as (c: unknown) => Promise<unknown>;
    w.deps.s3.send = ((cmd: { input: { Key?: string } }) => {
      key ||= cmd.input.Key ?? "";
      return send(cmd);
    }) as unknown as S3Client["send"];
    const out = await exportTask(w.deps, task.id);
    assert.equal(out.kind, "exported");
    assert.ok(!w.calls.sent.includes("DeleteObjectCommand"), w.calls.sent.join());
  });

  it("deletes its file when the task was taken over before it could complete", async () => {
    const w = world({ complete: false });
    const out = await exportTask(w.deps, task.id);
    assert.equal(out.kind, "abandoned");
    assert.ok(w.calls.sent.includes("DeleteObjectCommand"), w.calls.sent.join());
    assert.deepEqual(w.calls.cancelled, []);
  });

  it("sends a task back for another attempt when the database was unreachable", async () => {
    const w = world({
      open: async () => {
        throw Object.assign(new Error("connect ECONNREFUSED 10.1.2.3:5432"), {
          code: "ECONNREFUSED",
        });
      },
    });
    const out = await exportTask(w.deps, task.id);
    assert.equal(out.kind, "retrying");
    assert.equal(w.calls.retry.length, 1);
    const [msg, delay] = w.calls.retry[0] ?? ["", 0];
    assert.equal(delay, 30);
    assert.match(msg, /^Attempt 1 of 3 failed/);
    assert.doesNotMatch(msg, /10\.1\.2\.3/);
  });

  const unreachable = async () => {
    throw Object.assign(new Error("connect ECONNREFUSED 10.1.2.3:5432"), { code: "ECONNREFUSED" });
  };

  it("ends cancelled instead when a cancel kept the task from going back to pending", async () => {
    const w = world({ open: unreachable, retryOk: false, cancelBy: "carol" });
    w.deps.settings.progressSeconds = 600;
    const out = await exportTask(w.deps, task.id);
    assert.equal(out.kind, "failed");
    assert.equal(w.calls.retry.length, 1);
    assert.deepEqual(w.calls.cancelled, ["Cancelled by carol after 0 rows; no file was kept."]);
  });

  it("counts a re-run's attempts from its base, so a re-run gets its retries again", async () => {
    const w = world({ open: unreachable });
    const claim = w.deps.tasks.claim;
    (w.deps.tasks as unknown as Record<string, unknown>).claim = async () => {
      const c = await claim.call(w.deps.tasks, task.id, 6);
      return c.kind === "claimed" ? { ...c, task: { ...c.task, attempts: 4, attemptBase: 3 } } : c;
    };
    const out = await exportTask(w.deps, task.id);
    assert.equal(out.kind, "retrying");
    assert.match(w.calls.retry[0]?.[0] ?? "", /^Attempt 1 of 3 failed/);
  });
});
