// The slice table's fencing on each engine (lib/tasks/slice-store.ts): a slice is written by
// one delivery at a time, a dead worker's slice is taken over after its lease, the old attempt
// can then neither heartbeat nor complete, and when slices finish at the same moment exactly
// one finisher claims the final file.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import { parseTableName, type TableName } from "../../lib/identifiers.js";
import { insertTask } from "../../lib/local/task-admin.js";
import { STATUS } from "../../lib/status.js";
import { migrate } from "../../lib/tasks/migrate.js";
import { type PlannedSlice, SliceStore } from "../../lib/tasks/slice-store.js";
import { TaskStore } from "../../lib/tasks/store.js";
import { ENGINES, sqlClient, uniqueName } from "../helpers.js";

const plan = (n: number): PlannedSlice[] =>
  Array.from({ length: n }, (_, i) => ({
    n: i,
    lo: BigInt(i * 100 + 1),
    hi: BigInt((i + 1) * 100 + 1),
    rows: 100,
    offset: i * 100,
  }));

for (const engine of ENGINES) {
  describe(`slice table on ${engine}`, () => {
    let db: SqlClient;
    let table: TableName;
    let tasks: TaskStore;
    let slices: SliceStore;
    before(async () => {
      db = sqlClient(engine, 8);
      table = parseTableName(uniqueName("oe_slices"));
      await migrate(db, table);
      tasks = new TaskStore(db, table);
      slices = new SliceStore(db, table);
    });
    after(async () => {
      for (const suffix of ["", "_lock", "_slice"])
        await db.query(`DROP TABLE IF EXISTS ${table.name}${suffix}`);
      await db.close();
    });

    /** A claimed task with `n` planned slices; its id and attempt. */
    const sliced = async (n: number) => {
      const id = await insertTask(db, table, {
        name: "t",
        title: "a",
        query: "SELECT 1",
        createrName: "c",
      });
      const claim = await tasks.claim(id, 100);
      assert.equal(claim.kind, "claimed");
      const attempt = claim.kind === "claimed" ? claim.task.attempts : 0;
      assert.equal(await slices.plan(id, attempt, plan(n)), true);
      return { id, attempt };
    };
    const doneAll = async (id: number, attempt: number, n: number) => {
      for (let i = 0; i < n; i++) {
        const s = await slices.claim(id, i, attempt, 180);
        assert.ok(s, `slice ${i} claimed`);
        assert.equal(await slices.complete(id, s, { rows: 100, bytes: 10, key: `k${i}` }), true);
      }
    };

    it("claims a slice once; a second delivery finds it taken; a finished one is not run again", async () => {
      const { id, attempt } = await sliced(2);
      const [a, b] = await Promise.all([
        slices.claim(id, 0, attempt, 180),
        slices.claim(id, 0, attempt, 180),
      ]);
      assert.equal([a, b].filter((s) => s !== undefined).length, 1);
      const s = (a ?? b) as NonNullable<typeof a>;
      assert.equal(s.offset, 0);
      assert.equal(s.plannedRows, 100);
      assert.equal(await slices.complete(id, s, { rows: 100, bytes: 7, key: "k0" }), true);
      assert.equal(await slices.claim(id, 0, attempt, 180), undefined, "done: not run again");
      // A message from an earlier attempt of the task claims nothing.
      assert.equal(await slices.claim(id, 1, attempt - 1, 180), undefined);
    });

    it("hands a dead worker's slice on after its lease; the old attempt is fenced out", async () => {
      const { id, attempt } = await sliced(2);
      const dead = await slices.claim(id, 1, attempt, 180);
      assert.ok(dead);
      assert.equal(await slices.claim(id, 1, attempt, 180), undefined, "lease still running");
      await db.query(
        `UPDATE ${table.name}_slice SET heartbeat_at = heartbeat_at - INTERVAL '1' HOUR WHERE task_id = ${id} AND n = 1`,
      );
      const next = await slices.claim(id, 1, attempt, 180);
      assert.ok(next, "taken over");
      assert.equal(next.attempts, dead.attempts + 1);
      assert.equal(await slices.progress(id, dead, 5, 5), "slice-lost");
      assert.equal(await slices.complete(id, dead, { rows: 1, bytes: 1, key: "old" }), false);
      assert.equal(await slices.progress(id, next, 50, 500), "ok");
      const row = await tasks.get(id);
      assert.equal(row?.rowCount, 50, "the task shows the rows of all its slices");
      assert.equal(await slices.complete(id, next, { rows: 100, bytes: 9, key: "new" }), true);
      assert.equal((await slices.get(id, 1))?.s3Key, "new");
    });

    it("shows the last finisher all slices done, and lets exactly one delivery claim the join", async () => {
      for (let round = 0; round < 10; round++) {
        const { id, attempt } = await sliced(4);
        await doneAll(id, attempt, 2);
        const [c, d] = await Promise.all([
          slices.claim(id, 2, attempt, 180),
          slices.claim(id, 3, attempt, 180),
        ]);
        assert.ok(c && d);
        // Both record done and count at the same moment, as two workers would.
        const results = await Promise.all(
          [c, d].map(async (s) => {
            await slices.complete(id, s, { rows: 100, bytes: 1, key: `k${s.n}` });
            return slices.finish(id, attempt);
          }),
        );
        // The lock orders them: the later sees all four done, whichever it is.
        assert.ok(
          results.some((r) => r.kind === "all-done"),
          `round ${round}: ${JSON.stringify(results)}`,
        );
        // Each finisher that saw them all sends a join; deliveries race: one claim wins.
        const joins = await Promise.all(
          [0, 1, 2].map(() => slices.claimAssembly(id, attempt, 180)),
        );
        assert.equal(joins.filter((j) => j !== undefined).length, 1, `round ${round}`);
        assert.equal(await slices.claimAssembly(id, attempt, 180), undefined, "claimed once");
        const row = await db.query<Record<string, unknown>>(
          `SELECT slice_count, slices_done FROM ${table.name} WHERE id = ${id}`,
        );
        assert.equal(Number(row.rows[0]?.slices_done), 4);
      }
    });

    it("hands the join of a worker that died mid-join to the next delivery", async () => {
      const { id, attempt } = await sliced(2);
      await doneAll(id, attempt, 2);
      const dead = await slices.claimAssembly(id, attempt, 180);
      assert.ok(dead);
      assert.equal(await slices.claimAssembly(id, attempt, 180), undefined, "lease running");
      await db.query(
        `UPDATE ${table.name}_slice SET heartbeat_at = heartbeat_at - INTERVAL '1' HOUR WHERE task_id = ${id} AND n = -1`,
      );
      const next = await slices.claimAssembly(id, attempt, 180);
      assert.equal(next?.attempts, dead.attempts + 1);
      assert.equal(await slices.progress(id, dead, 0, 0), "slice-lost");
    });

    it("finds the task gone when it failed or was handed to a newer attempt", async () => {
      const { id, attempt } = await sliced(2);
      await doneAll(id, attempt, 2);
      const row = await tasks.get(id);
      assert.ok(row);
      assert.equal(await tasks.fail(row.task, "stopped"), true);
      assert.deepEqual(await slices.finish(id, attempt), { kind: "gone" });
      assert.equal((await tasks.get(id))?.status, STATUS.failed);
      // A plan by an attempt that no longer holds the task writes nothing.
      assert.equal(await slices.plan(id, attempt, plan(2)), false);
      // Removing another attempt's rows leaves these; this attempt's go.
      await slices.remove(id, attempt + 1);
      assert.equal((await slices.list(id)).length, 2);
      await slices.remove(id, attempt);
      assert.deepEqual(await slices.list(id), []);
    });
  });
}
