// Progress, cancel, re-run and listing on the real task table, both engines: the SQL that
// panels, the PHP client and the operator CLI rely on, including its races.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import { parseTableName, type TableName } from "../../lib/identifiers.js";
import { insertTask } from "../../lib/local/task-admin.js";
import { STATUS } from "../../lib/status.js";
import { migrate } from "../../lib/tasks/migrate.js";
import { TaskStore } from "../../lib/tasks/store.js";
import { ENGINES, sqlClient, uniqueName } from "../helpers.js";

const done = { filepath: "link", s3Key: "key", rowCount: 5, byteCount: 50 };

for (const engine of ENGINES) {
  describe(`task lifecycle on ${engine}: progress, cancel, re-run, list`, () => {
    let db: SqlClient;
    let table: TableName;
    let store: TaskStore;
    const tables: string[] = [];
    const add = (createrName = "alice", name = "导出") =>
      insertTask(db, table, { name, title: "a", query: "select 1", createrName });

    before(async () => {
      db = sqlClient(engine, 4);
      table = parseTableName(uniqueName("life"));
      tables.push(table.name);
      await migrate(db, table);
      store = new TaskStore(db, table);
    });
    after(async () => {
      for (const t of tables) {
        await db.query(`DROP TABLE IF EXISTS ${t}`);
        await db.query(`DROP TABLE IF EXISTS ${t}_lock`);
      }
      await db.close();
    });

    it("writes rows and bytes so far while running, starts them at 0, and keeps them when done", async () => {
      const id = await add();
      const c = await store.claim(id, 10);
      assert.ok(c.kind === "claimed");
      let row = await store.get(id);
      assert.deepEqual([row?.rowCount, row?.byteCount], [0, 0]);
      assert.ok(row?.timeline.started_at instanceof Date);
      assert.deepEqual(await store.progress(c.task, 1200, 34_567), { kind: "ok" });
      row = await store.get(id);
      assert.deepEqual(
        [row?.status, row?.rowCount, row?.byteCount],
        [STATUS.processing, 1200, 34_567],
      );
      assert.equal(await store.complete(c.task, done), true);
      row = await store.get(id);
      assert.deepEqual([row?.rowCount, row?.byteCount], [5, 50]);
      assert.ok(row?.timeline.finished_at instanceof Date);
    });

    it("a stale attempt's progress write is refused and reads as a lost claim", async () => {
      const id = await add();
      const first = await store.claim(id, 10);
      assert.ok(first.kind === "claimed");
      await db.query(`UPDATE ${table.name} SET heartbeat_at = NULL WHERE id = ${id}`);
      await store.reapStale({ leaseSeconds: 60, maxAttempts: 3 });
      const second = await store.claim(id, 10);
      assert.ok(second.kind === "claimed");
      assert.deepEqual(await store.progress(first.task, 99, 99), { kind: "lost" });
      assert.deepEqual((await store.get(id))?.rowCount, 0, "the stale write changed nothing");
    });

    it("cancels a pending task at once: status 3, msg says who, it can never be claimed", async () => {
      const id = await add();
      assert.deepEqual(await store.cancel(id, "王五"), { kind: "cancelled" });
      const row = await store.get(id);
      assert.equal(row?.status, STATUS.failed);
      assert.equal(row?.msg, "Cancelled by 王五 before it started.");
      assert.equal(row?.cancelledBy, "王五");
      assert.ok(row?.timeline.cancel_requested_at instanceof Date);
      assert.equal((await store.claim(id, 10)).kind, "skipped");
      assert.deepEqual(await store.cancel(id, "again"), {
        kind: "not-cancellable",
        status: STATUS.failed,
      });
    });

    it("ends a pending task that only had the flag set (by hand) as cancelled when it comes up", async () => {
      const id = await add();
      await db.query(
        `UPDATE ${table.name} SET cancel_requested_at = created_at, cancelled_by = 'app' WHERE id = ${id}`,
      );
      assert.deepEqual(await store.claim(id, 10), { kind: "skipped", status: STATUS.failed });
      const row = await store.get(id);
      assert.deepEqual(
        [row?.status, row?.msg, row?.task.attempts],
        [STATUS.failed, "Cancelled by app before it started.", 0],
      );
    });

    it("flags a running task; the worker's next progress write sees who; only it ends the task", async () => {
      const id = await add();
      const c = await store.claim(id, 10);
      assert.ok(c.kind === "claimed");
      assert.deepEqual(await store.cancel(id, "bob"), { kind: "stopping" });
      assert.equal(
        (await store.get(id))?.status,
        STATUS.processing,
        "still running until it stops",
      );
      assert.deepEqual(await store.progress(c.task, 10, 10), { kind: "cancelled", by: "bob" });
      assert.equal(await store.cancelledBy(c.task), "bob");
      // A cancel racing the end: completion and retry are refused, so one ending stands.
      assert.equal(await store.complete(c.task, done), false, "complete refused after a cancel");
      assert.equal(
        await store.retry(c.task, "transient", 5),
        false,
        "retry refused after a cancel",
      );
      assert.equal(
        await store.finishCancelled(c.task, "Cancelled by bob after 10 rows; no file was kept."),
        true,
      );
      const row = await store.get(id);
      assert.deepEqual(
        [row?.status, row?.filepath, row?.msg],
        [STATUS.failed, null, "Cancelled by bob after 10 rows; no file was kept."],
      );
    });

    it("leaves a finished task as it is when the cancel comes after the end", async () => {
      const id = await add();
      const c = await store.claim(id, 10);
      assert.ok(c.kind === "claimed");
      assert.equal(await store.complete(c.task, done), true);
      assert.deepEqual(await store.cancel(id, "late"), {
        kind: "not-cancellable",
        status: STATUS.succeeded,
      });
      const row = await store.get(id);
      assert.deepEqual(
        [row?.status, row?.filepath, row?.cancelledBy],
        [STATUS.succeeded, "link", null],
      );
      assert.deepEqual(await store.cancel(987_654_321, "x"), {
        kind: "not-cancellable",
        status: null,
      });
    });

    it("ends a cancelled task whose worker died as cancelled, not back to pending", async () => {
      const id = await add();
      const c = await store.claim(id, 10);
      assert.ok(c.kind === "claimed");
      await store.progress(c.task, 77, 700);
      await store.cancel(id, "carol");
      await db.query(`UPDATE ${table.name} SET heartbeat_at = NULL WHERE id = ${id}`);
      const reaped = await store.reapStale({ leaseSeconds: 60, maxAttempts: 3 });
      assert.deepEqual(reaped, { released: [], failed: [id] });
      const row = await store.get(id);
      assert.deepEqual(
        [row?.status, row?.msg],
        [STATUS.failed, "Cancelled by carol after 77 rows; no file was kept."],
      );
    });

    it("re-runs a failed task as new: attempts keep counting, the retry budget starts again", async () => {
      const id = await add();
      const c = await store.claim(id, 10);
      assert.ok(c.kind === "claimed");
      // Out of attempts: the reaper would fail it at once if the budget did not restart.
      await db.query(`UPDATE ${table.name} SET attempts = 3 WHERE id = ${id}`);
      const spent = { ...c.task, attempts: 3 };
      assert.equal(await store.fail(spent, "boom"), true);
      assert.equal(await store.rerun(id), true);
      let row = await store.get(id);
      assert.deepEqual(
        [
          row?.status,
          row?.msg,
          row?.filepath,
          row?.rowCount,
          row?.task.attempts,
          row?.task.attemptBase,
        ],
        [STATUS.pending, null, null, null, 3, 3],
      );
      assert.equal(row?.timeline.finished_at, null);
      const again = await store.claim(id, 10);
      assert.ok(again.kind === "claimed" && again.task.attempts === 4);
      await db.query(`UPDATE ${table.name} SET heartbeat_at = NULL WHERE id = ${id}`);
      assert.deepEqual(await store.reapStale({ leaseSeconds: 60, maxAttempts: 3 }), {
        released: [id],
        failed: [],
      });
      // The old attempt 3 can no longer touch it.
      assert.equal(await store.fail(spent, "stale"), false);
      row = await store.get(id);
      assert.equal(row?.status, STATUS.pending);
      assert.equal(await store.rerun(id), false, "only a failed task is re-run");
    });

    it("re-runs a cancelled task as new: it can be claimed and is not cancelled again", async () => {
      const id = await add();
      await store.cancel(id, "frank");
      assert.equal(await store.rerun(id), true);
      const row = await store.get(id);
      assert.deepEqual([row?.cancelledBy, row?.timeline.cancel_requested_at], [null, null]);
      assert.equal((await store.claim(id, 10)).kind, "claimed");
    });

    it("cancels in one statement: a task sent back to pending meanwhile is still cancelled", async () => {
      const id = await add();
      const c = await store.claim(id, 10);
      assert.ok(c.kind === "claimed");
      assert.equal(await store.retry(c.task, "transient", 0), true);
      assert.deepEqual(await store.cancel(id, "gina"), { kind: "cancelled" });
      assert.equal((await store.get(id))?.msg, "Cancelled by gina before it started.");
    });

    it("stores who cancelled as whole characters, at most 100, without NUL", async () => {
      const id = await add();
      const by = `${"名".repeat(99)}😀and more\u0000`;
      assert.deepEqual(await store.cancel(id, `a\u0000b`), { kind: "cancelled" });
      assert.equal((await store.get(id))?.cancelledBy, "ab");
      const id2 = await add();
      await store.cancel(id2, by);
      const row = await store.get(id2);
      assert.equal(row?.cancelledBy, `${"名".repeat(99)}😀`);
      assert.equal(row?.msg, `Cancelled by ${"名".repeat(99)}😀 before it started.`);
    });

    it("cancels on a legacy 3-byte utf8 table too: an emoji name goes in as plain ASCII", {
      skip: engine !== "mysql" && "MySQL's utf8mb3 only",
    }, async () => {
      const legacy = parseTableName(uniqueName("legacy"));
      tables.push(legacy.name);
      await db.query(
        `CREATE TABLE ${legacy.name} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, title VARCHAR(255) NOT NULL, query VARCHAR(255) NOT NULL, creater_name VARCHAR(100) NOT NULL, status INT NOT NULL DEFAULT 0, msg VARCHAR(255), filepath VARCHAR(255)) DEFAULT CHARSET=utf8`,
      );
      await migrate(db, legacy);
      const old = new TaskStore(db, legacy);
      const a = await insertTask(db, legacy, {
        name: "x",
        title: "a",
        query: "select 1",
        createrName: "u",
      });
      const b = await insertTask(db, legacy, {
        name: "y",
        title: "a",
        query: "select 1",
        createrName: "u",
      });
      const c = await old.claim(b, 10);
      assert.ok(c.kind === "claimed");
      assert.deepEqual(await old.cancel(a, "李四😀"), { kind: "cancelled" });
      assert.deepEqual(await old.cancel(b, "李四😀"), { kind: "stopping" });
      assert.equal((await old.get(a))?.msg, "Cancelled by ??? before it started.");
      assert.deepEqual(await old.progress(c.task, 1, 1), { kind: "cancelled", by: "???" });
    });

    it("reads the timeline in the server's own zone, and refuses an unbounded list", async () => {
      const id = await add();
      const created = (await store.get(id))?.timeline.created_at;
      assert.ok(created instanceof Date);
      assert.ok(
        Math.abs(created.getTime() - Date.now()) < 60_000,
        `created_at ${created.toISOString()}`,
      );
      for (const limit of [0, -1, 1.5, 1001, Number.NaN])
        await assert.rejects(store.list({ limit }), /limit must be a whole number from 1 to 1000/);
    });

    it("lists a creator's tasks newest first, by status, page by page", async () => {
      const mine = [await add("dave", "一"), await add("dave", "二"), await add("dave", "三")];
      await add("erin");
      // Case and trailing spaces are other creators, whatever the collation says.
      await add("Dave");
      await add("dave ");
      const c = await store.claim(mine[1] as number, 10);
      assert.ok(c.kind === "claimed");
      const page1 = await store.list({ creator: "dave", limit: 2 });
      assert.deepEqual(
        page1.map((r) => r.task.id),
        [mine[2], mine[1]],
      );
      const page2 = await store.list({ creator: "dave", limit: 2, beforeId: page1[1]?.task.id });
      assert.deepEqual(
        page2.map((r) => r.task.id),
        [mine[0]],
      );
      const running = await store.list({
        creator: "dave",
        statuses: [STATUS.processing],
        limit: 10,
      });
      assert.deepEqual(
        running.map((r) => r.task.id),
        [mine[1]],
      );
      assert.ok(page1.every((r) => r.task.createrName === "dave"));
      assert.equal(
        (await store.list({ creator: "dave", olderThanSeconds: 3600, limit: 10 })).length,
        0,
      );
      const twoHours = engine === "mysql" ? "INTERVAL 2 HOUR" : "INTERVAL '2 hours'";
      await db.query(
        `UPDATE ${table.name} SET created_at = created_at - ${twoHours} WHERE id = ${mine[0]}`,
      );
      const old = await store.list({ creator: "dave", olderThanSeconds: 3600, limit: 10 });
      assert.deepEqual(
        old.map((r) => r.task.id),
        [mine[0]],
      );
    });
  });
}
