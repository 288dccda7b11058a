import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { deleteRecords, receiveRecords } from "../../lib/local/sqs-records.js";
import { schedulerPass } from "../../lib/scheduler.js";
import { STATUS } from "../../lib/status.js";
import { type Harness, makeHarness } from "../helpers.js";

for (const taskEngine of ["mysql", "postgres"] as const) {
  describe(`scheduler on ${taskEngine} with SQS`, () => {
    let h: Harness;
    before(async () => {
      h = await makeHarness({
        taskEngine,
        dataEngine: taskEngine,
        env: { MAX_IN_FLIGHT: "23", MAX_IN_FLIGHT_PER_CREATOR: "23" },
      });
    });
    after(() => h.close());

    it("sends {id} messages for the oldest pending tasks up to the cap, in batches, once", async () => {
      const ids: number[] = [];
      for (let i = 0; i < 30; i++)
        ids.push(await h.insertTask({ name: `t${i}`, title: "a", query: "SELECT 1" }));
      // Two overlapping scheduler runs.
      const [a, b] = await Promise.all([
        schedulerPass(h.app.schedulerDeps),
        schedulerPass(h.app.schedulerDeps),
      ]);
      const sent = [...a.sent, ...b.sent].sort((x, y) => x - y);
      assert.deepEqual(sent, ids.slice(0, 23), "the 23 oldest, each once");
      assert.deepEqual([...a.unsent, ...b.unsent], []);

      const bodies: unknown[] = [];
      for (let i = 0; i < 10 && bodies.length < 23; i++) {
        const records = await receiveRecords(h.app.sqs, h.config.queueUrl, 10, 1);
        bodies.push(...records.map((r) => JSON.parse(r.body)));
        if (records.length) await deleteRecords(h.app.sqs, h.config.queueUrl, records);
      }
      assert.deepEqual(
        bodies.map((m) => (m as { id: number }).id).sort((x, y) => x - y),
        ids.slice(0, 23),
        "exactly one message per task on the queue",
      );
      assert.deepEqual(bodies[0] && Object.keys(bodies[0]), ["id"]);

      // Nothing more until a slot frees; the queued tasks are still pending, not claimed.
      assert.deepEqual((await schedulerPass(h.app.schedulerDeps)).sent, []);
      assert.equal((await h.app.exportDeps.tasks.get(ids[0] as number))?.status, STATUS.pending);
    });
  });
}
