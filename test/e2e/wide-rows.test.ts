// Wide rows through the whole pipeline (scheduler, SQS, worker, S3) on each path, with the
// product's row limit: rows that fit export whole; a row over it ends the task in status 3 at
// the first attempt, its msg naming the row, the column and the title's label.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { pathEnv } from "../../bench/wide-shapes.js";
import type { Engine } from "../../lib/db/url.js";
import { MAX_ROW_BYTES } from "../../lib/sources/row-limits.js";
import { STATUS } from "../../lib/status.js";
import { deleteObject } from "../../lib/storage.js";
import { download, type Harness, makeHarness, seriesSql } from "../helpers.js";
import { parseExport } from "./fixtures.js";

const TITLE = "序号,编号,备注";
const MB = 1024 * 1024;

const rep = (engine: Engine, ch: string, n: number | string) =>
  engine === "postgres" ? `repeat('${ch}', ${n})` : `REPEAT('${ch}', ${n})`;
const when = (engine: Engine, cond: string, a: string, b: string) =>
  engine === "postgres" ? `CASE WHEN ${cond} THEN ${a} ELSE ${b} END` : `IF(${cond}, ${a}, ${b})`;

for (const [engine, path] of [
  ["postgres", "copy"],
  ["postgres", "fast"],
  ["postgres", "rows"],
  ["mysql", "rows"],
] as const) {
  describe(`pipeline, ${engine} ${path}: wide rows`, () => {
    let h: Harness;
    before(async () => {
      h = await makeHarness({
        taskEngine: engine,
        dataEngine: engine,
        env: pathEnv(path),
      });
    });
    after(() => h.close());

    it("exports rows of a few MB each whole", { timeout: 120_000 }, async () => {
      // 6 rows of 3 MB of Chinese text (1 M characters of 3 bytes), and a NULL.
      const sql = `SELECT s.n, ${when(engine, "s.n < 7", rep(engine, "文", 1024 * 1024), "NULL")} FROM ${seriesSql(engine, 7)} ORDER BY s.n`;
      const id = await h.insertTask({ name: "宽行", title: TITLE, query: sql });
      await h.runUntilIdle(120);
      const row = await h.app.exportDeps.tasks.get(id);
      assert.equal(row?.status, STATUS.succeeded, row?.msg ?? "");
      assert.equal(row.rowCount, 7);
      const file = await download(row.filepath as string);
      const { header, rows } = parseExport(file.bytes, "gb18030");
      assert.deepEqual(header, TITLE.split(","));
      // The emulator keeps objects on this machine's disk.
      await deleteObject(h.app.s3, h.config.bucket, row.s3Key as string);
      assert.deepEqual(
        rows.map((r) => [r[0], r[1], r[2]?.length]),
        Array.from({ length: 7 }, (_, i) => [
          String(i + 1),
          String(i + 1),
          i < 6 ? 1024 * 1024 : 0,
        ]),
      );
    });

    it("fails a row over the limit at the first attempt, naming its row, column and label", {
      timeout: 120_000,
    }, async () => {
      // The length depends on the row, so PostgreSQL does not fold it into the plan (the plan
      // check refuses plans over 16 MB): the value exists only as a row, as a table's would.
      const len = `${MAX_ROW_BYTES} + 0 * s.n`;
      const sql = `SELECT s.n, ${when(engine, "s.n = 3", rep(engine, "x", len), "'ok'")} FROM ${seriesSql(engine, 5)} ORDER BY s.n`;
      const id = await h.insertTask({ name: "超宽", title: TITLE, query: sql });
      await h.runUntilIdle(120);
      const row = await h.app.exportDeps.tasks.get(id);
      assert.equal(row?.status, STATUS.failed, row?.msg ?? "");
      assert.equal(
        row.msg,
        `Row 3, column 2 (备注) makes the row larger than ${MAX_ROW_BYTES / MB} MB, the most one exported row may hold. Leave that column out or shorten it in the SQL (for example LEFT(column, 10000) or substr(column, 1, 10000)) and create the task again.`,
      );
      assert.equal(row.task.attempts, 1, "not retried");
      assert.equal(row.filepath, null);
      const uploads = await h.app.s3.send(
        new ListMultipartUploadsCommand({ Bucket: h.config.bucket }),
      );
      assert.deepEqual(uploads.Uploads ?? [], []);
    });
  });
}
