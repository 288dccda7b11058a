// EXPORT_FORMAT=xlsx through the whole pipeline: inserted row -> scheduler -> SQS -> worker ->
// S3 -> link -> downloaded workbook, read back with exceljs and compared value by value; on
// each PostgreSQL path (the server's CSV, PG_COPY on; the DataRow bytes' CSV, PG_COPY off;
// rows, PG_FAST_PATH off too).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pathEnv } from "../../bench/wide-shapes.js";
import { STATUS } from "../../lib/status.js";
import { download, type Harness, makeHarness } from "../helpers.js";
import { decodeXstring, readWithExcelJs } from "../unit/xlsx-read.js";
import { createOrders, expectedOrders, ORDERS_TITLE, ordersQuery } from "./fixtures.js";

for (const path of ["copy", "fast", "rows"] as const)
  describe(`export as XLSX (EXPORT_FORMAT=xlsx), PostgreSQL, ${path}`, () => {
    let h: Harness;
    let orders: string;
    before(async () => {
      h = await makeHarness({
        taskEngine: "postgres",
        dataEngine: "postgres",
        env: { EXPORT_FORMAT: "xlsx", ...pathEnv(path) },
      });
      orders = await createOrders(h.dataDb, 1_000);
    });
    after(async () => {
      await h.dataDb.query(`DROP TABLE IF EXISTS ${orders}`);
      await h.close();
    });

    it("stores a workbook with the spreadsheet's type and name, every value typed by its column", async () => {
      const id = await h.insertTask({
        name: "订单导出",
        title: ORDERS_TITLE,
        query: ordersQuery(orders),
      });
      await h.runUntilIdle(300);
      const row = await h.app.exportDeps.tasks.get(id);
      assert.equal(row?.status, STATUS.succeeded, `task ended with msg: ${row?.msg}`);
      const file = await download(row.filepath as string);
      assert.equal(file.status, 200);
      assert.equal(file.bytes.length, row.byteCount);
      assert.equal(
        file.headers.get("content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      );
      assert.equal(
        file.headers.get("content-disposition"),
        `attachment; filename="____.xlsx"; filename*=UTF-8''${encodeURIComponent("订单导出")}.xlsx`,
      );
      const ws = (await readWithExcelJs(file.bytes)).worksheets[0];
      assert.ok(ws);
      assert.deepEqual(
        ((ws.getRow(1).values ?? []) as unknown[]).slice(1),
        ORDERS_TITLE.split(","),
      );
      assert.equal(ws.getRow(1).getCell(1).font?.bold, true);
      const expected = await expectedOrders(h.dataDb, orders);
      assert.equal(row.rowCount, expected.length);
      for (let i = 0; i < expected.length; i++) {
        const cells = ws.getRow(i + 2) as { getCell(n: number): { value: unknown } };
        assert.equal(cells.getCell(1).value, i + 1);
        // Typed by the columns' kinds: text, a number, a date-time (Excel has no zones: the wall
        // time, read back by exceljs as UTC), text.
        const got = (expected[i] ?? []).map((_, c) => {
          const v = cells.getCell(c + 2).value;
          if (v === null || v === undefined) return null;
          return v instanceof Date
            ? v.toISOString()
            : typeof v === "number"
              ? v
              : decodeXstring(String(v));
        });
        const want = (expected[i] ?? []).map((v, c) => {
          if (v === "" || v === null) return null;
          if (c === 1) return Number(v);
          if (c === 2) return new Date(`${v.replace(" ", "T")}Z`).toISOString();
          return v;
        });
        if (JSON.stringify(got) !== JSON.stringify(want))
          assert.deepEqual(got, want, `row ${i + 1}`);
      }
    });

    it("fails a task with a value longer than a cell holds at its first attempt, naming the row and column", async () => {
      const id = await h.insertTask({
        name: "太长",
        title: "序号,短,长",
        query: "SELECT 'a' AS short, repeat('长', 32768) AS long",
      });
      await h.runUntilIdle();
      const row = await h.app.exportDeps.tasks.get(id);
      assert.equal(row?.status, STATUS.failed);
      assert.equal(row?.task.attempts, 1, "not retried: it would fail again");
      assert.match(row?.msg ?? "", /^Row 1, column 2 \(长\) holds more than 32,767 characters/);
    });
  });
