// Cancelling a running 2M-row export through the real pipeline on each engine: the worker sees
// the cancel at its next progress write, stops the query on the server, aborts the upload and
// ends the task in 3 saying by whom; nothing is left behind (no object, no open upload, no
// query). Progress shows on the row while it runs.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ListMultipartUploadsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { Engine } from "../../lib/db/url.js";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import { STATUS } from "../../lib/status.js";
import { type Harness, makeHarness, seriesSql, sqlClient, uniqueName, until } from "../helpers.js";

/** Queries carrying `marker` still running on the server (as any user). */
async function running(db: SqlClient, marker: string): Promise<number> {
  const sql =
    db.engine === "mysql"
      ? "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND INFO NOT LIKE '%PROCESSLIST%'"
      : "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE state <> 'idle' AND query LIKE $1 AND query NOT LIKE '%pg_stat_activity%'";
  const r = await db.query<{ n: number | string }>(sql, [`%${marker}%`]);
  return Number(r.rows[0]?.n);
}

for (const engine of ["postgres", "mysql"] as Engine[]) {
  describe(`cancel a running export, ${engine}`, { timeout: 180_000 }, () => {
    let h: Harness;
    let admin: SqlClient;
    before(async () => {
      h = await makeHarness({ taskEngine: engine, dataEngine: engine });
      admin = sqlClient(engine);
    });
    after(async () => {
      await admin.close();
      await h.close();
    });

    it("stops within seconds: status 3 with who, query gone, no object or upload left", async () => {
      const marker = uniqueName("cancel_me");
      const sql = `SELECT n, '${marker}' AS m, REPEAT('订单', 20) AS note FROM ${seriesSql(engine, 2_000_000)}`;
      const id = await h.insertTask({ name: "大导出", title: "序号,n,m,note", query: sql });
      const pipeline = h.runUntilIdle(170);
      // Progress: the row shows rows and bytes while it runs.
      const store = h.app.exportDeps.tasks;
      const moving = await until(async () => {
        const r = await store.get(id);
        return r?.status === STATUS.processing && (r.rowCount ?? 0) > 0 && (r.byteCount ?? 0) > 0;
      }, 60_000);
      assert.ok(moving, "progress shown while running");
      const before = await store.get(id);
      const asked = Date.now();
      assert.deepEqual(await store.cancel(id, "李四"), { kind: "stopping" });
      const ended = await until(
        async () => (await store.get(id))?.status === STATUS.failed,
        20_000,
      );
      const seconds = (Date.now() - asked) / 1000;
      assert.ok(ended, "ended after the cancel");
      console.log(
        `[cancel ${engine}] stopped ${seconds.toFixed(1)} s after the cancel, at ${before?.rowCount} rows shown before it`,
      );
      assert.ok(seconds < 10, `stopped ${seconds} s after the cancel`);
      const row = await store.get(id);
      assert.match(row?.msg ?? "", /^Cancelled by 李四 after [\d,]+ rows; no file was kept\.$/);
      assert.equal(row?.filepath, null);
      assert.equal(row?.cancelledBy, "李四");
      await pipeline;
      // Nothing left: no query on the server, no object, no open multipart upload.
      assert.equal(await until(async () => (await running(admin, marker)) === 0, 5000), true);
      const objects = await h.app.s3.send(
        new ListObjectsV2Command({ Bucket: h.config.bucket, Prefix: `exports/task-${id}-` }),
      );
      assert.equal(objects.KeyCount ?? 0, 0, "no object");
      const uploads = await h.app.s3.send(
        new ListMultipartUploadsCommand({ Bucket: h.config.bucket }),
      );
      assert.equal((uploads.Uploads ?? []).length, 0, "no open upload");
    });
  });
}
