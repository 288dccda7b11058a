// A slice whose worker process is really killed (SIGKILL) while it streams: another delivery of
// the slice's message takes it over, and the sliced file is still byte for byte the file the
// same task writes whole, with no slice object, upload or row left behind. Unlike the
// simulated death in sliced.test.ts, the dead worker here is an OS process (slice-child.ts:
// scheduler and worker, as `npm run local` runs them, on this harness's queue, tables and
// bucket), killed at a moment the test sees as mid-stream: its slice's multipart upload holds
// a part while the slice row is still being written by that try.
//
// Why the creator's cap is 1: slices waiting for the slot the dead slice holds go round the
// queue every 5 s and keep the task's heartbeat alive meanwhile (README, "The caps count
// slices"), so the lease reaper leaves the task alone until the killed slice's message comes
// back (the queue's visibility timeout) and its delivery takes the slice over. With no slice
// waiting, the task's heartbeat would stop with the killed one and the reaper would plan the
// task again instead (README, "Dead workers cost the work").
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import {
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
} from "@aws-sdk/client-s3";
import type { Engine } from "../../lib/db/url.js";
import { schedulerPass } from "../../lib/scheduler.js";
import { slicePrefix } from "../../lib/slices/objects.js";
import { STATUS } from "../../lib/status.js";
import { download, type Harness, makeHarness } from "../helpers.js";
import { assertNoSlicesLeft, createOrders, ORDERS_TITLE } from "./fixtures.js";

const MB = 1024 * 1024;
// Two slices of about 21 MB each: the kill comes once a slice has streamed its first 5 MB, with
// most of it still to stream (about a second on PostgreSQL's COPY path, the faster one).
const GENERATED = 600_000;
const SLICES = 2;
// The killed slice's message comes back after VISIBILITY seconds, when its heartbeat (every
// second) is older than LEASE: that delivery takes it over. Waiting slices heartbeat the task
// every ~5 s, inside LEASE.
const LEASE = 9;
const VISIBILITY = 16;
const SLICE_KEY_RE = /slice-(\d+)-s(\d+)\.part$/;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Child {
  proc: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

function startChild(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", "test/e2e/slice-child.ts", "150"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (b: Buffer) => {
    out = (out + b.toString("utf8")).slice(-8000);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { proc, exited, output: () => out };
}

for (const engine of ["postgres", "mysql"] as Engine[]) {
  describe(`a slice whose worker process is killed mid-stream, ${engine}`, () => {
    let h: Harness;
    let orders: string;
    let child: Child | undefined;

    before(async () => {
      h = await makeHarness({
        taskEngine: engine,
        dataEngine: engine,
        visibilityTimeoutSeconds: VISIBILITY,
        env: {
          LEASE_SECONDS: String(LEASE),
          PROGRESS_SECONDS: "1",
          MAX_IN_FLIGHT_PER_CREATOR: "1",
        },
      });
      orders = await createOrders(h.dataDb, GENERATED);
      if (engine === "postgres") {
        const reader = new URL(process.env.OE_PG_READER_URL ?? "").username;
        await h.dataDb.query(`GRANT SELECT ON ${orders} TO ${reader}`);
      }
    });
    after(async () => {
      // A test that failed before its kill leaves no worker behind.
      const p = child?.proc;
      if (p?.pid !== undefined && p.exitCode === null && p.signalCode === null) {
        process.kill(p.pid, "SIGKILL");
        await child?.exited;
      }
      await h.dataDb.query(`DROP TABLE IF EXISTS ${orders}`);
      await h.close();
    });

    const bucket = () => h.config.bucket;
    const fileOf = async (id: number) => {
      const row = await h.app.exportDeps.tasks.get(id);
      assert.equal(row?.status, STATUS.succeeded, `task ${id}: ${row?.msg}`);
      const got = await download(row?.filepath ?? "");
      assert.equal(got.status, 200);
      return { row, bytes: got.bytes };
    };
    const uploadsUnder = async (prefix: string) =>
      (
        (await h.app.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket(), Prefix: prefix })))
          .Uploads ?? []
      ).flatMap((u) => (u.Key && u.UploadId ? [{ key: u.Key, uploadId: u.UploadId }] : []));
    const partsOf = async (u: { key: string; uploadId: string }) =>
      (
        (
          await h.app.s3.send(
            new ListPartsCommand({ Bucket: bucket(), Key: u.key, UploadId: u.uploadId }),
          )
        ).Parts ?? []
      ).reduce((sum, p) => sum + (p.Size ?? 0), 0);
    const assertNothingLeft = (id: number) => assertNoSlicesLeft(h, id);

    it("takes the slice over, writes the file byte for byte as the whole task, leaves nothing", async (t) => {
      const slicing = h.app.exportDeps.slicing;
      assert.ok(slicing);
      const query = `SELECT id, customer, amount, created_at, note FROM ${orders} ORDER BY id`;

      // The reference: the same task written whole by one worker.
      const whole = await h.insertTask({ name: "整", title: ORDERS_TITLE, query });
      await h.runUntilIdle(60);
      const a = await fileOf(whole);

      const sliced = await h.insertTask({
        name: "切片",
        title: ORDERS_TITLE,
        query,
        options: `{"slice_key": "id", "slices": ${SLICES}}`,
      });
      child = startChild(h.env);
      const started = Date.now();

      // Poll every 50 ms until a slice try of the child's is mid-stream, then kill it at once.
      // lib-storage starts a multipart upload only once a whole 5 MB part is buffered and more
      // is coming (a shorter body is a single PutObject), and completes it when the body ends:
      // while the slice's upload is listed, its try has streamed 5 MB and not finished.
      const prefix = slicePrefix(h.config.keyPrefix, sliced);
      let victim: { key: string; uploadId: string; n: number; attempt: number } | undefined;
      let early: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      void child.exited.then((e) => {
        early = e;
      });
      while (victim === undefined && early === undefined && Date.now() - started < 60_000) {
        for (const u of await uploadsUnder(prefix)) {
          const m = SLICE_KEY_RE.exec(u.key);
          if (m) victim = { ...u, n: Number(m[1]), attempt: Number(m[2]) };
        }
        if (victim === undefined) await sleep(50);
      }
      const pid = child.proc.pid;
      assert.ok(pid !== undefined);
      assert.ok(
        victim,
        `no slice was seen mid-stream within ${(Date.now() - started) / 1000} s (child exited: ${JSON.stringify(early)}); its output:\n${child.output()}`,
      );
      process.kill(pid, "SIGKILL");
      const killedAt = Date.now();
      const exit = await child.exited;
      assert.deepEqual(exit, { code: null, signal: "SIGKILL" }, "the worker died by the signal");

      // The kill landed mid-stream: that try's slice row is still being written by it (not
      // recorded, not taken over), its object was never completed, and its upload is still
      // open (neither completed nor aborted), holding less than the slice.
      const dead = await slicing.store.get(sliced, victim.n);
      assert.equal(dead?.status, STATUS.processing, "the killed slice was recorded done");
      assert.equal(dead?.attempts, victim.attempt, "the killed slice's try");
      const taskAttempt = dead?.taskAttempt;
      await assert.rejects(
        h.app.s3.send(new HeadObjectCommand({ Bucket: bucket(), Key: victim.key })),
        /NotFound|404/,
        "the killed try's object was completed",
      );
      assert.deepEqual(
        (await uploadsUnder(prefix)).map((u) => u.uploadId),
        [victim.uploadId],
        "the killed try's upload is open",
      );
      const streamed = await partsOf(victim);
      const doneBefore = (await slicing.store.list(sliced)).filter(
        (r) => r.n >= 0 && r.status === STATUS.succeeded,
      ).length;

      // The in-process pipeline finishes the task; each slice try it records is noted.
      const complete = slicing.store.complete.bind(slicing.store);
      const recorded: { n: number; attempts: number; bytes: number }[] = [];
      slicing.store.complete = async (id, slice, f) => {
        const ok = await complete(id, slice, f);
        if (ok && id === sliced)
          recorded.push({ n: slice.n, attempts: slice.attempts, bytes: f.bytes });
        return ok;
      };
      try {
        await h.runUntilIdle(90);
      } catch (error) {
        const rows = (await slicing.store.list(sliced)).map((r) => ({
          n: r.n,
          status: r.status,
          attempts: r.attempts,
          rows: r.rows,
        }));
        assert.fail(
          `${(error as Error).message}; the slice with n = ${victim.n} was killed; slices now: ${JSON.stringify(rows)}`,
        );
      } finally {
        slicing.store.complete = complete;
      }
      const b = await fileOf(sliced);
      const took = (Date.now() - killedAt) / 1000;

      assert.equal(b.row?.task.attempts, taskAttempt, "the task was planned again");
      assert.equal(b.row?.rowCount, GENERATED + 6);
      assert.equal(b.row?.byteCount, b.bytes.length);
      assert.ok(a.bytes.equals(b.bytes), "sliced file differs from the whole one");
      const again = recorded.filter((r) => r.n === victim.n);
      assert.equal(again.length, 1, `the killed slice recorded once: ${JSON.stringify(recorded)}`);
      assert.ok(
        (again[0]?.attempts ?? 0) > victim.attempt,
        `the killed slice was recorded by try ${again[0]?.attempts}, not taken over`,
      );
      assert.ok(
        streamed < (again[0]?.bytes ?? 0),
        `the killed try uploaded ${streamed} of the slice's ${again[0]?.bytes} bytes`,
      );

      // The killed try's upload: the clean-up of the slice that ended the task aborts it, so
      // nothing is left before any scheduler pass (which would also sweep it).
      const leftAfterRun = (await uploadsUnder(prefix)).map((u) => u.key);
      assert.deepEqual(leftAfterRun, [], "the killed try's upload outlived the task");
      await assertNothingLeft(sliced);
      const pass = await schedulerPass(h.app.schedulerDeps);
      t.diagnostic(
        `${engine}: slice ${victim.n + 1} of ${SLICES} killed after ${(killedAt - started) / 1000} s with ${(streamed / MB).toFixed(1)} of ${((again[0]?.bytes ?? 0) / MB).toFixed(1)} MB uploaded (its last progress: ${dead?.rows} rows); the child had written ${doneBefore} slice(s) before; taken over by try ${again[0]?.attempts}; done ${took.toFixed(1)} s after the kill; file ${(b.bytes.length / MB).toFixed(1)} MB; uploads left after the run: ${JSON.stringify(leftAfterRun)}; swept by the next pass: ${JSON.stringify(pass.swept)}`,
      );
    });
  });
}
