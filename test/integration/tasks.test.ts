import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEFAULTS } from "../../lib/config.js";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import { exportTask } from "../../lib/export/export-task.js";
import type { ExportDeps } from "../../lib/export/types.js";
import { parseTableName, type TableName } from "../../lib/identifiers.js";
import { countOpen, insertTask } from "../../lib/local/task-admin.js";
import { createLogger } from "../../lib/logger.js";
import { STATUS } from "../../lib/status.js";
import { migrate } from "../../lib/tasks/migrate.js";
import { TaskStore } from "../../lib/tasks/store.js";
import { ENGINES, sqlClient, uniqueName } from "../helpers.js";

// The worker's settings apart from the caps each test sets.
const DEFAULTS_SETTINGS = {
  keyPrefix: DEFAULTS.EXPORT_KEY_PREFIX,
  leaseSeconds: 180,
  statementTimeoutSeconds: 60,
};

const dispatch = {
  maxInFlight: 4,
  maxInFlightPerCreator: 4,
  redispatchSeconds: 600,
  excludeTypes: [] as string[],
};

for (const engine of ENGINES) {
  describe(`task table on ${engine}`, () => {
    let db: SqlClient;
    let table: TableName;
    let store: TaskStore;
    const tables: string[] = [];
    const add = async (n: number) => {
      const ids: number[] = [];
      for (let i = 0; i < n; i++)
        ids.push(
          await insertTask(db, table, {
            name: `任务${i}`,
            title: "a",
            query: "select 1",
            createrName: "u",
          }),
        );
      return ids;
    };

    before(async () => {
      db = sqlClient(engine, 8);
    });
    // A fresh table per test keeps counts independent.
    const fresh = async () => {
      table = parseTableName(uniqueName("tasks"));
      tables.push(table.name);
      await migrate(db, table);
      store = new TaskStore(db, table);
    };
    after(async () => {
      for (const t of tables) {
        await db.query(`DROP TABLE IF EXISTS ${t}`);
        await db.query(`DROP TABLE IF EXISTS ${t}_lock`);
      }
      await db.close();
    });

    it("lets exactly one of many concurrent claims win", async () => {
      await fresh();
      const [id] = await add(1);
      const results = await Promise.all(
        Array.from({ length: 12 }, () => store.claim(id as number, 100)),
      );
      assert.equal(results.filter((r) => r.kind === "claimed").length, 1);
      assert.ok(
        results.every(
          (r) => r.kind === "claimed" || (r.kind === "skipped" && r.status === STATUS.processing),
        ),
      );
      const row = await store.get(id as number);
      assert.equal(row?.status, STATUS.processing);
      assert.equal(row?.task.attempts, 1);
    });

    it("defers a claim past the in-flight cap and leaves the task pending", async () => {
      await fresh();
      const ids = await add(3);
      const results = await Promise.all(ids.map((id) => store.claim(id, 2)));
      assert.equal(results.filter((r) => r.kind === "claimed").length, 2);
      assert.equal(results.filter((r) => r.kind === "deferred").length, 1);
      const deferred = ids[results.findIndex((r) => r.kind === "deferred")] as number;
      assert.equal((await store.get(deferred))?.status, STATUS.pending);
    });

    it("reserves oldest first, never past the cap, never the same task twice across overlapping schedulers", async () => {
      await fresh();
      const ids = await add(10);
      const otherDb = sqlClient(engine, 2);
      const other = new TaskStore(otherDb, table);
      const [a, b] = await Promise.all([
        store.reserveForDispatch(dispatch),
        other.reserveForDispatch(dispatch),
      ]);
      await otherDb.close();
      const all = [...a, ...b];
      assert.equal(new Set(all).size, all.length, "no task reserved twice");
      assert.deepEqual(
        all.sort((x, y) => x - y),
        ids.slice(0, 4),
        "the four oldest",
      );
      assert.deepEqual(
        await store.reserveForDispatch(dispatch),
        [],
        "cap already used by queued tasks",
      );
      await store.unreserve([ids[0] as number]);
      assert.deepEqual(
        await store.reserveForDispatch(dispatch),
        [ids[0]],
        "an unsent task is offered again",
      );
    });

    it("holds each creator to their share of the slots, in dispatch and in claims", async () => {
      await fresh();
      const as = async (who: string, n: number) => {
        const ids: number[] = [];
        for (let i = 0; i < n; i++)
          ids.push(
            await insertTask(db, table, {
              name: "n",
              title: "a",
              query: "select 1",
              createrName: who,
            }),
          );
        return ids;
      };
      const bulk = await as("bulk", 8);
      const [alice, bob] = [await as("alice", 1), await as("bob", 2)];
      const opts = { ...dispatch, maxInFlight: 6, maxInFlightPerCreator: 2 };
      // bulk's eight oldest tasks do not fill the six slots: two of bulk's, then alice and bob.
      assert.deepEqual(await store.reserveForDispatch(opts), [
        bulk[0],
        bulk[1],
        alice[0],
        bob[0],
        bob[1],
      ]);
      // A direct {"id"} message for bulk's third task is deferred once bulk has two processing.
      await store.claim(bulk[0] as number, 6, 2);
      await store.claim(bulk[1] as number, 6, 2);
      assert.deepEqual(await store.claim(bulk[2] as number, 6, 2), { kind: "deferred" });
      assert.equal((await store.claim(alice[0] as number, 6, 2)).kind, "claimed");
    });

    it("coordinates with a row lock no session's named or advisory lock can hold up", async () => {
      await fresh();
      const [first, second] = (await add(2)) as [number, number];
      // Another session holds what the old design waited on (and what task SQL could take).
      const other = sqlClient(engine, 1);
      const name = `offline-export:${db.label}|.${table.name}`;
      await other.withLock(name, async () => {
        const t0 = Date.now();
        assert.equal((await store.claim(first, 10)).kind, "claimed");
        assert.ok(Date.now() - t0 < 3000, "not held up by a named lock");
      });
      // The control row is the lock: a transaction holding it makes a claim wait for it.
      const control = `${table.name}_lock`;
      let released = 0;
      const holder = other.transaction(async (s) => {
        await s.query(`SELECT name FROM ${control} WHERE name = 'dispatch' FOR UPDATE`);
        await new Promise((r) => setTimeout(r, 1200));
        released = Date.now();
      });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal((await store.claim(second, 10)).kind, "claimed");
      const claimedAt = Date.now();
      await holder;
      await other.close();
      assert.ok(released > 0 && claimedAt >= released, "the claim waited for the row lock");
    });

    it("skips excluded types when the table has a type column", async () => {
      await fresh();
      const t = table.name;
      await db.query(
        engine === "mysql"
          ? `ALTER TABLE ${t} ADD COLUMN type INT NULL`
          : `ALTER TABLE ${t} ADD COLUMN type INT NULL`,
      );
      const ids = await add(3);
      await db.query(`UPDATE ${t} SET type = 4 WHERE id = ${Number(ids[0])}`);
      await db.query(`UPDATE ${t} SET type = 1 WHERE id = ${Number(ids[1])}`);
      const got = await store.reserveForDispatch({ ...dispatch, excludeTypes: ["4"] });
      assert.deepEqual(got, [ids[1], ids[2]]);
      assert.equal(await countOpen(db, table, ["4"]), 2);
    });

    it("hands a dead worker's task back, and fails it after the last attempt", async () => {
      await fresh();
      const [a, b] = (await add(2)) as [number, number];
      const ca = await store.claim(a, 10);
      await store.claim(b, 10);
      await db.query(`UPDATE ${table.name} SET heartbeat_at = NULL, attempts = 3 WHERE id = ${b}`);
      await db.query(`UPDATE ${table.name} SET heartbeat_at = NULL WHERE id = ${a}`);
      const reaped = await store.reapStale({ leaseSeconds: 60, maxAttempts: 3 });
      assert.deepEqual(reaped, { released: [a], failed: [b] });
      assert.equal((await store.get(a))?.status, STATUS.pending);
      const failed = await store.get(b);
      assert.equal(failed?.status, STATUS.failed);
      assert.match(failed?.msg ?? "", /stopped without finishing .* 3 time\(s\)/);
      // The old attempt may no longer finish the task it lost.
      assert.ok(ca.kind === "claimed");
      assert.equal(
        await store.complete(ca.task, { filepath: "x", s3Key: "k", rowCount: 1, byteCount: 1 }),
        false,
      );
      const again = await store.claim(a, 10);
      assert.ok(again.kind === "claimed" && again.task.attempts === 2);
      assert.deepEqual(await store.progress(again.task, 1, 1), { kind: "ok" });
      assert.equal(
        await store.complete(again.task, { filepath: "u", s3Key: "k", rowCount: 5, byteCount: 9 }),
        true,
      );
      const done = await store.get(a);
      assert.deepEqual(
        [done?.status, done?.filepath, done?.rowCount, done?.byteCount],
        [STATUS.succeeded, "u", 5, 9],
      );
    });

    it("lets only the attempt holding the claim complete, retry, fail or heartbeat the task", async () => {
      await fresh();
      const [id] = (await add(1)) as [number];
      const first = await store.claim(id, 10);
      assert.ok(first.kind === "claimed" && first.task.attempts === 1);
      // The first worker goes quiet; the reaper hands the task on and attempt 2 holds it.
      await db.query(`UPDATE ${table.name} SET heartbeat_at = NULL WHERE id = ${id}`);
      await store.reapStale({ leaseSeconds: 60, maxAttempts: 3 });
      const second = await store.claim(id, 10);
      assert.ok(second.kind === "claimed" && second.task.attempts === 2);
      const stale = first.task;
      const fields = { filepath: "stale", s3Key: "stale-key", rowCount: 1, byteCount: 1 };
      assert.equal(await store.complete(stale, fields), false, "stale complete refused");
      assert.equal(await store.retry(stale, "stale retry", 5), false, "stale retry refused");
      assert.equal(await store.fail(stale, "stale fail"), false, "stale fail refused");
      assert.deepEqual(
        await store.progress(stale, 1, 1),
        { kind: "lost" },
        "stale heartbeat refused",
      );
      const row = await store.get(id);
      assert.deepEqual(
        [row?.status, row?.task.attempts, row?.msg, row?.filepath, row?.s3Key],
        [STATUS.processing, 2, null, null, null],
        "the task is still attempt 2's, untouched",
      );
      // The holder can still finish it.
      assert.equal(await store.fail(second.task, "real"), true);
      assert.equal((await store.get(id))?.status, STATUS.failed);
    });

    it("holds the worker's own claim to the per-creator cap", async () => {
      await fresh();
      const [busy, next, other] = (await add(3)) as [number, number, number];
      await db.query(`UPDATE ${table.name} SET creater_name = 'someone else' WHERE id = ${other}`);
      assert.equal((await store.claim(busy, 10, 1)).kind, "claimed");
      const deps = {
        tasks: store,
        source: {
          label: "unused",
          open: () => Promise.reject(new Error("a deferred task must not run its query")),
        },
        settings: { ...DEFAULTS_SETTINGS, maxInFlight: 10, maxInFlightPerCreator: 1 },
        logger: createLogger([], "test"),
        secrets: [],
      } as unknown as ExportDeps;
      // Same creator, one already processing, a cap of one each: the worker leaves it pending.
      assert.deepEqual(await exportTask(deps, next), { kind: "deferred", id: next });
      assert.equal((await store.get(next))?.status, STATUS.pending);
      // Another creator's task is not held back by it.
      assert.equal((await store.claim(other, 10, 1)).kind, "claimed");
    });

    it("stores a msg with quotes, backslashes and SQL fragments verbatim", async () => {
      await fresh();
      const [id] = (await add(1)) as [number];
      const c = await store.claim(id, 10);
      assert.ok(c.kind === "claimed");
      const msg = `it's "bad" \\ '); DROP TABLE ${table.name}; -- 错误`;
      assert.equal(await store.fail(c.task, msg), true);
      assert.equal((await store.get(id))?.msg, msg);
    });
  });
}
