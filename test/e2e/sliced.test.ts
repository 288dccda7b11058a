// Sliced exports (lib/slices) through the real pipeline on each engine: a task row with the
// option slice_key -> scheduler -> SQS -> the worker plans slices and sends one message each ->
// workers write each slice into its own object -> the last joins them in S3 -> the link. The
// file must equal, byte for byte, the one the same task writes whole.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { Engine } from "../../lib/db/url.js";
import { schedulerPass } from "../../lib/scheduler.js";
import { sliceObjectKey } from "../../lib/slices/objects.js";
import { STATUS } from "../../lib/status.js";
import { download, type Harness, makeHarness } from "../helpers.js";
import { assertNoSlicesLeft, createOrders, ORDERS_TITLE } from "./fixtures.js";

const MB = 1024 * 1024;
// Enough rows that slices of a third are over S3's 5 MB part minimum (joined by copy in S3).
const GENERATED = 240_000;

for (const engine of ["postgres", "mysql"] as Engine[]) {
  describe(`sliced exports through the pipeline, ${engine}`, () => {
    let h: Harness;
    let orders: string;
    const query = (where = "") =>
      `SELECT id, customer, amount, created_at, note FROM ${orders}${where} ORDER BY id`;

    before(async () => {
      h = await makeHarness({ taskEngine: engine, dataEngine: engine });
      orders = await createOrders(h.dataDb, GENERATED);
      if (engine === "postgres") {
        const reader = new URL(process.env.OE_PG_READER_URL ?? "").username;
        await h.dataDb.query(`GRANT SELECT ON ${orders} TO ${reader}`);
      }
    });
    after(async () => {
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
    const assertNothingLeft = (id: number) => assertNoSlicesLeft(h, id);
    const sliceCounts = async (id: number) => {
      const res = await h.taskDb.query<Record<string, unknown>>(
        `SELECT slice_count, slices_done FROM ${h.config.taskTable.name} WHERE id = ${id}`,
      );
      return res.rows[0];
    };

    it("writes a sliced task byte for byte as the same task whole, large slices copied in S3", async () => {
      const whole = await h.insertTask({ name: "整", title: ORDERS_TITLE, query: query() });
      const sliced = await h.insertTask({
        name: "切片",
        title: ORDERS_TITLE,
        query: query(),
        options: '{"slice_key": "id", "slices": 3}',
      });
      await h.runUntilIdle(240);
      const a = await fileOf(whole);
      const b = await fileOf(sliced);
      assert.ok(b.bytes.length > 15 * MB, `${b.bytes.length} bytes: slices over 5 MB each`);
      assert.equal(b.row?.rowCount, GENERATED + 6);
      assert.equal(b.row?.byteCount, b.bytes.length);
      assert.ok(a.bytes.equals(b.bytes), "sliced file differs from the whole one");
      const counts = await sliceCounts(sliced);
      assert.equal(Number(counts?.slice_count), 3);
      assert.equal(Number(counts?.slices_done), 3);
      const head = await h.app.s3.send(
        new HeadObjectCommand({ Bucket: bucket(), Key: b.row?.s3Key ?? "" }),
      );
      assert.match(head.ContentType ?? "", /charset=GB18030/i);
      assert.match(head.ContentDisposition ?? "", /filename\*=UTF-8''%E5%88%87%E7%89%87\.csv/);
      await assertNothingLeft(sliced);
    });

    it("joins slices under 5 MB, with sparse keys and UTF-8 with BOM", async () => {
      const where = " WHERE id <= 50 OR (id > 1000 AND id <= 1400) OR id > 239990";
      const options = '{"encoding": "utf8-bom"}';
      const whole = await h.insertTask({
        name: "w",
        title: ORDERS_TITLE,
        query: query(where),
        options,
      });
      const sliced = await h.insertTask({
        name: "s",
        title: ORDERS_TITLE,
        query: query(where),
        options: '{"encoding": "utf8-bom", "slice_key": "id", "slices": 7}',
      });
      await h.runUntilIdle(120);
      const a = await fileOf(whole);
      const b = await fileOf(sliced);
      assert.ok(a.bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])));
      assert.ok(a.bytes.equals(b.bytes), "sliced file differs from the whole one");
      // Empty buckets are left out: fewer slices than asked, none of them empty.
      const counts = await sliceCounts(sliced);
      assert.ok(Number(counts?.slice_count) >= 2 && Number(counts?.slice_count) <= 7);
      await assertNothingLeft(sliced);
    });

    it("writes each slice once when every slice message is delivered twice", async () => {
      const slicing = h.app.exportDeps.slicing;
      assert.ok(slicing);
      const send = slicing.send;
      const store = slicing.store;
      const complete = store.complete.bind(store);
      const completed: number[] = [];
      slicing.send = async (id, attempt, ns, delay) => {
        await send(id, attempt, ns, delay);
        return send(id, attempt, ns, delay);
      };
      store.complete = async (id, slice, f) => {
        const ok = await complete(id, slice, f);
        if (ok) completed.push(slice.n);
        return ok;
      };
      try {
        const whole = await h.insertTask({
          name: "w",
          title: ORDERS_TITLE,
          query: query(" WHERE id <= 20000"),
        });
        const sliced = await h.insertTask({
          name: "s",
          title: ORDERS_TITLE,
          query: query(" WHERE id <= 20000"),
          options: '{"slice_key": "id", "slices": 4}',
        });
        await h.runUntilIdle(120);
        const a = await fileOf(whole);
        const b = await fileOf(sliced);
        assert.ok(a.bytes.equals(b.bytes));
        assert.deepEqual([...completed].sort(), [0, 1, 2, 3], "each slice recorded once");
        await assertNothingLeft(sliced);
      } finally {
        slicing.send = send;
        store.complete = complete;
      }
    });

    it("takes over a slice whose worker died mid-stream, and the file is still identical", async () => {
      const slicing = h.app.exportDeps.slicing;
      assert.ok(slicing);
      const send = slicing.send;
      let killed = false;
      // Before the messages go out, slice 2 is claimed by a worker that then dies: its claim's
      // heartbeat stops (here: set an hour back) and it leaves half a slice object behind.
      slicing.send = async (id, attempt, ns, delay) => {
        if (!killed) {
          killed = true;
          const dead = await slicing.store.claim(id, 1, attempt, h.config.leaseSeconds);
          assert.ok(dead);
          await h.taskDb.query(
            `UPDATE ${h.config.taskTable.name}_slice SET heartbeat_at = heartbeat_at - INTERVAL '1' HOUR WHERE task_id = ${id} AND n = 1`,
          );
          await h.app.s3.send(
            new PutObjectCommand({
              Bucket: bucket(),
              Key: sliceObjectKey(h.config.keyPrefix, id, attempt, 1, dead.attempts),
              Body: "half a slice",
            }),
          );
        }
        return send(id, attempt, ns, delay);
      };
      try {
        const where = " WHERE id <= 30000";
        const whole = await h.insertTask({ name: "w", title: ORDERS_TITLE, query: query(where) });
        const sliced = await h.insertTask({
          name: "s",
          title: ORDERS_TITLE,
          query: query(where),
          options: '{"slice_key": "id", "slices": 3}',
        });
        await h.runUntilIdle(120);
        assert.ok(killed);
        const a = await fileOf(whole);
        const b = await fileOf(sliced);
        assert.ok(a.bytes.equals(b.bytes), "sliced file differs from the whole one");
        await assertNothingLeft(sliced);
      } finally {
        slicing.send = send;
      }
    });

    it("ends a sliced task cancelled while its slices wait, with nothing left", async () => {
      const slicing = h.app.exportDeps.slicing;
      assert.ok(slicing);
      const send = slicing.send;
      slicing.send = async (id, attempt, ns, delay) => {
        assert.equal((await h.app.exportDeps.tasks.cancel(id, "张三")).kind, "stopping");
        return send(id, attempt, ns, delay);
      };
      try {
        const sliced = await h.insertTask({
          name: "s",
          title: ORDERS_TITLE,
          query: query(" WHERE id <= 30000"),
          options: '{"slice_key": "id", "slices": 3}',
        });
        await h.runUntilIdle(120);
        const row = await h.app.exportDeps.tasks.get(sliced);
        assert.equal(row?.status, STATUS.failed);
        assert.match(row?.msg ?? "", /^Cancelled by 张三/);
        assert.equal(row?.filepath, null);
        await assertNothingLeft(sliced);
      } finally {
        slicing.send = send;
      }
    });

    it("counts each slice against the creator's in-flight cap", async () => {
      const settings = h.app.exportDeps.settings;
      const cap = settings.maxInFlightPerCreator;
      settings.maxInFlightPerCreator = 2;
      let most = 0;
      let seen = 0;
      let polling = true;
      const poll = (async () => {
        while (polling) {
          const res = await h.taskDb.query<{ n: number | string }>(
            `SELECT COUNT(*) AS n FROM ${h.config.taskTable.name}_slice WHERE status = 1 AND n >= 0`,
          );
          const n = Number(res.rows[0]?.n ?? 0);
          most = Math.max(most, n);
          seen += n;
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      try {
        const where = " WHERE id <= 120000";
        const whole = await h.insertTask({ name: "w", title: ORDERS_TITLE, query: query(where) });
        const sliced = await h.insertTask({
          name: "s",
          title: ORDERS_TITLE,
          query: query(where),
          options: '{"slice_key": "id", "slices": 6}',
        });
        await h.runUntilIdle(240);
        const a = await fileOf(whole);
        const b = await fileOf(sliced);
        assert.ok(a.bytes.equals(b.bytes), "sliced file differs from the whole one");
      } finally {
        polling = false;
        await poll;
        settings.maxInFlightPerCreator = cap;
      }
      assert.ok(seen > 0, "slices were seen running");
      assert.ok(most <= 2, `${most} slices ran at once; the creator's cap is 2`);
    });

    it("fails the task naming the failing slice's range, and leaves nothing behind", async () => {
      // A runtime error in the rows of one slice only (a subquery giving two rows), on both engines.
      const bad = `SELECT id, customer, CASE WHEN id = 15000 THEN (SELECT 1 UNION ALL SELECT 2) ELSE 0 END AS chk FROM ${orders} WHERE id <= 20000 ORDER BY id`;
      const sliced = await h.insertTask({
        name: "s",
        title: "序号,id,客户,chk",
        query: bad,
        options: '{"slice_key": "id", "slices": 4}',
      });
      await h.runUntilIdle(120);
      const row = await h.app.exportDeps.tasks.get(sliced);
      assert.equal(row?.status, STATUS.failed);
      assert.match(
        row?.msg ?? "",
        /^The export stopped at slice 3 of 4 \(id from 10\d{3} to 15\d{3}\): The query failed/,
      );
      assert.equal(row?.filepath, null);
      await assertNothingLeft(sliced);
    });

    it("sweeps the slices of a task that ended without them (its workers died, the reaper failed it)", async () => {
      const slicing = h.app.exportDeps.slicing;
      assert.ok(slicing);
      const id = await h.insertTask({ name: "s", title: "a", query: "SELECT 1 AS id" });
      const claim = await h.app.exportDeps.tasks.claim(id, 100);
      assert.equal(claim.kind, "claimed");
      if (claim.kind !== "claimed") return;
      const planned = [0, 1].map((n) => ({
        n,
        lo: BigInt(n),
        hi: BigInt(n + 1),
        rows: 1,
        offset: n,
      }));
      assert.equal(await slicing.store.plan(id, claim.task.attempts, planned), true);
      const key = sliceObjectKey(h.config.keyPrefix, id, claim.task.attempts, 0, 1);
      await h.app.s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: "slice" }));
      // Still running: the sweep leaves it alone.
      await schedulerPass(h.app.schedulerDeps);
      assert.equal((await slicing.store.list(id)).length, 2);
      assert.equal(
        await h.app.exportDeps.tasks.fail(claim.task, "The export stopped without finishing"),
        true,
      );
      await schedulerPass(h.app.schedulerDeps);
      await assertNothingLeft(id);
    });

    it("refuses a key with NULLs or of another type, with a msg saying what to do", async () => {
      const nulls = await h.insertTask({
        name: "n",
        title: "序号,k",
        query: `SELECT CASE WHEN id % 2 = 0 THEN id END AS k FROM ${orders} WHERE id <= 100`,
        options: '{"slice_key": "k", "slices": 2}',
      });
      const texts = await h.insertTask({
        name: "d",
        title: "序号,t",
        query: `SELECT customer FROM ${orders} WHERE id <= 100`,
        options: '{"slice_key": "customer", "slices": 2}',
      });
      await h.runUntilIdle(60);
      const n = await h.app.exportDeps.tasks.get(nulls);
      assert.equal(n?.status, STATUS.failed);
      assert.match(n?.msg ?? "", /slice key k is NULL in 50 rows/);
      const d = await h.app.exportDeps.tasks.get(texts);
      assert.equal(d?.status, STATUS.failed);
      assert.match(
        d?.msg ?? "",
        /slice key customer is a text column; it must hold whole numbers, dates or timestamps/,
      );
    });
  });
}
