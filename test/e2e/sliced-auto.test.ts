// A whole task that outgrows one worker (stopped at the deadline) and whose SQL ends in
// `ORDER BY <column>` is sent back at once to run sliced by that column (lib/slices/
// auto-slice.ts), through the real pipeline on each engine; the file must equal the one the same
// task writes whole when given the time. Without such a column, or for a file that is not plain
// CSV, the task fails at the deadline as before, with the msg that says to add slice_key.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Engine } from "../../lib/db/url.js";
import { exportTask } from "../../lib/export/export-task.js";
import { STATUS } from "../../lib/status.js";
import { download, type Harness, makeHarness } from "../helpers.js";
import { createOrders, ORDERS_TITLE } from "./fixtures.js";

const ROWS = 120_000;

for (const engine of ["postgres", "mysql"] as Engine[]) {
  describe(`a task sliced by its ORDER BY column after the deadline, ${engine}`, () => {
    let h: Harness;
    let orders: string;

    before(async () => {
      h = await makeHarness({ taskEngine: engine, dataEngine: engine });
      orders = await createOrders(h.dataDb, ROWS);
      if (engine === "postgres") {
        const reader = new URL(process.env.OE_PG_READER_URL ?? "").username;
        await h.dataDb.query(`GRANT SELECT ON ${orders} TO ${reader}`);
      }
    });
    after(async () => {
      await h.dataDb.query(`DROP TABLE IF EXISTS ${orders}`);
      await h.close();
    });

    const optionsOf = async (id: number) => {
      const res = await h.taskDb.query<{ options: unknown }>(
        `SELECT options FROM ${h.config.taskTable.name} WHERE id = ${id}`,
      );
      const v = res.rows[0]?.options;
      return v === null || v === undefined ? null : String(v);
    };
    /**
     * The task run once by a worker whose deadline is 1.5 s away, while S3 takes 3 s to answer
     * any upload: it cannot finish, and has written rows by the deadline (the first part's
     * worth, held back by the slow upload). The attempt's outcome.
     */
    const outgrow = async (query: string, options?: string) => {
      const id = await h.insertTask({ name: "大", title: ORDERS_TITLE, query, options });
      const s3 = h.app.exportDeps.s3;
      const send = s3.send;
      s3.send = (async (command: object, ...rest: unknown[]) => {
        if (/Upload|PutObject/.test(command.constructor.name))
          await new Promise((r) => setTimeout(r, 3000));
        return (send as (c: object, ...r: unknown[]) => Promise<unknown>).call(
          s3,
          command,
          ...rest,
        );
      }) as typeof send;
      try {
        const outcome = await exportTask(h.app.exportDeps, id, { deadline: Date.now() + 1500 });
        return { id, outcome, row: await h.app.exportDeps.tasks.get(id) };
      } finally {
        s3.send = send;
      }
    };

    it("runs again sliced by id, and the file is the whole task's byte for byte", async () => {
      const query = `SELECT id, customer, amount, created_at, note FROM ${orders} ORDER BY id`;
      const { id, outcome, row } = await outgrow(query, '{"encoding": "utf8-bom"}');
      assert.equal(outcome.kind, "retrying");
      assert.equal(row?.status, STATUS.pending, row?.msg ?? "");
      assert.match(row?.msg ?? "", /runs again split across workers by id/);
      const set = JSON.parse((await optionsOf(id)) ?? "");
      assert.deepEqual(Object.keys(set), ["encoding", "slice_key", "slice_rows"]);
      assert.equal(set.slice_key, "id");
      // Half the rows written by the deadline (the fixture adds 6 rows of special values).
      assert.ok(
        set.slice_rows >= 1 && set.slice_rows <= (ROWS + 6) / 2,
        `slice_rows ${set.slice_rows}`,
      );
      await h.runUntilIdle(180);
      const done = await h.app.exportDeps.tasks.get(id);
      assert.equal(done?.status, STATUS.succeeded, done?.msg ?? "");
      assert.ok((done?.slices?.count ?? 0) >= 2, "it ran sliced");
      // The whole task, with the utf8-bom option the sliced one kept, for the comparison.
      const reference = await h.insertTask({
        name: "整",
        title: ORDERS_TITLE,
        query,
        options: '{"encoding": "utf8-bom"}',
      });
      await h.runUntilIdle(120);
      const a = await h.app.exportDeps.tasks.get(reference);
      assert.equal(a?.status, STATUS.succeeded, a?.msg ?? "");
      const got = [await download(a?.filepath ?? ""), await download(done?.filepath ?? "")];
      assert.ok(
        got[0]?.bytes.equals(got[1]?.bytes as Buffer),
        "sliced file differs from the whole one",
      );
    });

    it("fails as before when the order is not one ascending column, or the file not plain CSV", async () => {
      const base = `SELECT id, customer, amount, created_at, note FROM ${orders}`;
      for (const [query, options] of [
        [`${base} ORDER BY id DESC`, undefined],
        [`${base} ORDER BY customer, id`, undefined],
        [`${base} ORDER BY id`, '{"compress": "gzip"}'],
        [`${base} ORDER BY id`, '{"format": "xlsx"}'],
      ] as const) {
        const { id, outcome, row } = await outgrow(query, options);
        assert.equal(outcome.kind, "failed", `${query} ${options}`);
        assert.equal(row?.status, STATUS.failed);
        assert.match(row?.msg ?? "", /add|option slice_key/, row?.msg ?? "");
        assert.equal(await optionsOf(id), options ?? null, "options untouched");
      }
    });

    it("fails with the plan's msg when the column it is ordered by cannot split it", async () => {
      const query = `SELECT id, customer, amount, created_at, note FROM ${orders} ORDER BY customer`;
      const { id, outcome, row } = await outgrow(query);
      assert.equal(outcome.kind, "retrying", row?.msg ?? "");
      await h.runUntilIdle(60);
      const done = await h.app.exportDeps.tasks.get(id);
      assert.equal(done?.status, STATUS.failed);
      assert.match(done?.msg ?? "", /slice key customer is a text column/);
    });
  });
}
