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
    // Busy per creator: processing whole, queued lately, and slices being written (slice_count).
    assert.deepEqual(sql.values, [0, 900, "4", "x'y", 1, 0, 900, 1, 1, 3, 5]);
  });

  it("leaves the type filter out when nothing is excluded", () => {
    const sql = taskSql(DIALECTS.postgres, table).pickPending(6, 60, [], 3);
    assert.doesNotMatch(sql.text, /type/);
    assert.equal(sql.values.length, 9);
  });

  it("claims only a pending task nobody cancelled", () => {
    const sql = taskSql(DIALECTS.postgres, table).claim(42);
    assert.match(
      sql.text,
      /SET "status" = \$1.*"attempts" = "attempts" \+ 1.*WHERE "id" = \$2 AND "status" = \$3 AND "cancel_requested_at" IS NULL$/,
    );
    assert.deepEqual(sql.values, [1, 42, 0]);
  });

  it("clears a purged file's row only while it still points at the deleted key", () => {
    const sql = taskSql(DIALECTS.mysql, table).clearFile(9, "exports/task-9-a1-x.csv", "gone");
    assert.match(
      sql.text,
      /^UPDATE `box_download_task` SET `filepath` = NULL, `s3_key` = NULL, `msg` = \? WHERE `id` = \? AND `s3_key` = \?$/,
    );
    assert.deepEqual(sql.values, ["gone", 9, "exports/task-9-a1-x.csv"]);
  });

  it("finds purge candidates among finished tasks with a file, by finish time, paged by id", () => {
    const sql = taskSql(DIALECTS.postgres, table).purgeCandidates(2_592_000, 40, 200);
    assert.match(sql.text, /"status" IN \(\$1, \$2\) AND "s3_key" IS NOT NULL/);
    assert.match(
      sql.text,
      /"finished_at" < \(now\(\) - \$3 \* interval '1 second'\) AND "id" > \$4 ORDER BY "id" LIMIT \$5$/,
    );
    assert.deepEqual(sql.values, [2, 3, 2_592_000, 40, 200]);
  });

  it("marks lost dispatches unsent only while still pending and still stale", () => {
    const sql = taskSql(DIALECTS.mysql, table).clearStaleDispatch([4, 5], 180);
    assert.match(
      sql.text,
      /SET `dispatched_at` = NULL WHERE `status` = \? AND `dispatched_at` < \(NOW\(\) - INTERVAL \? SECOND\) AND `id` IN \(\?, \?\)$/,
    );
    assert.deepEqual(sql.values, [0, 180, 4, 5]);
  });
});
