import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../../lib/engines/index.js";
import { parseTableName } from "../../lib/identifiers.js";
import { taskSql } from "../../lib/tasks/sql.js";

const table = parseTableName("box_download_task");

describe("task SQL builders", () => {
  it("numbers PostgreSQL placeholders in order and keeps values out of the text", () => {
    const sql = taskSql(DIALECTS.postgres, table).fail(7, 2, `it's "bad"; DROP TABLE x; --`);
    assert.match(sql.text, /"msg" = \$2/);
    assert.match(sql.text, /"id" = \$3 AND "status" = \$4 AND "attempts" = \$5$/);
    assert.deepEqual(sql.values, [3, `it's "bad"; DROP TABLE x; --`, 7, 1, 2]);
    assert.doesNotMatch(sql.text, /DROP/);
  });

  it("uses ? placeholders and backticks for MySQL", () => {
    const sql = taskSql(DIALECTS.mysql, table).pickPending(5, 900, ["4", "x'y"], 3);
    assert.match(
      sql.text,
      /^SELECT q\.`id` FROM \(SELECT `id`, `creater_name`, ROW_NUMBER\(\) OVER/,
    );
    assert.match(sql.text, /CAST\(`type` AS CHAR\) NOT IN \(\?, \?\)/);
    assert.match(sql.text, /q\.rn \+ COALESCE\(f\.n, 0\) <= \? ORDER BY q\.`id` LIMIT \?$/);
    assert.equal((sql.text.match(/\?/g) ?? []).length, sql.values.length);
    assert.deepEqual(sql.values, [0, 900, "4", "x'y", 1, 0, 900, 3, 5]);
  });

  it("leaves the type filter out when nothing is excluded", () => {
    const sql = taskSql(DIALECTS.postgres, table).pickPending(6, 60, [], 3);
    assert.doesNotMatch(sql.text, /type/);
    assert.equal(sql.values.length, 7);
  });

  it("claims only a pending task nobody cancelled", () => {
    const sql = taskSql(DIALECTS.postgres, table).claim(42);
    assert.match(
      sql.text,
      /SET "status" = \$1.*"attempts" = "attempts" \+ 1.*WHERE "id" = \$2 AND "status" = \$3 AND "cancel_requested_at" IS NULL$/,
    );
    assert.deepEqual(sql.values, [1, 42, 0]);
  });
});
