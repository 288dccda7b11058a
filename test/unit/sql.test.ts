import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseTableName } from "../../lib/identifiers.js";
import { taskSql } from "../../lib/tasks/sql.js";

const table = parseTableName("box_download_task");

describe("task SQL builders", () => {
  it("numbers PostgreSQL placeholders in order and keeps values out of the text", () => {
    const sql = taskSql("postgres", table).fail(7, 2, `it's "bad"; DROP TABLE x; --`);
    assert.match(sql.text, /"msg" = \$2/);
    assert.match(sql.text, /"id" = \$3 AND "status" = \$4 AND "attempts" = \$5$/);
    assert.deepEqual(sql.values, [3, `it's "bad"; DROP TABLE x; --`, 7, 1, 2]);
    assert.doesNotMatch(sql.text, /DROP/);
  });

  it("uses ? placeholders and backticks for MySQL", () => {
    const sql = taskSql("mysql", table).pickPending(5, 900, ["4", "x'y"]);
    assert.match(sql.text, /^SELECT `id` FROM `box_download_task` WHERE `status` = \? /);
    assert.match(sql.text, /CAST\(`type` AS CHAR\) NOT IN \(\?, \?\)/);
    assert.match(sql.text, /ORDER BY `id` LIMIT \?$/);
    assert.equal((sql.text.match(/\?/g) ?? []).length, sql.values.length);
    assert.deepEqual(sql.values, [0, 900, "4", "x'y", 5]);
  });

  it("leaves the type filter out when nothing is excluded", () => {
    const sql = taskSql("postgres", table).pickPending(6, 60, []);
    assert.doesNotMatch(sql.text, /type/);
    assert.equal(sql.values.length, 3);
  });

  it("claims only a pending task", () => {
    const sql = taskSql("postgres", table).claim(42);
    assert.match(
      sql.text,
      /SET "status" = \$1.*"attempts" = "attempts" \+ 1.*WHERE "id" = \$2 AND "status" = \$3$/,
    );
    assert.deepEqual(sql.values, [1, 42, 0]);
  });

  it("inserts as the PHP app does, returning the id on PostgreSQL", () => {
    const f = { name: "n", title: "t", query: "q", createrName: "c" };
    assert.match(taskSql("postgres", table).insert(f).text, /RETURNING "id"$/);
    assert.doesNotMatch(taskSql("mysql", table).insert(f).text, /RETURNING/);
  });
});
