import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../../lib/engines/index.js";
import { checkTaskSql, TaskSqlRejected } from "../../lib/sources/statement-guard.js";

const mysql = DIALECTS.mysql.guard;
const postgres = DIALECTS.postgres.guard;

describe("task SQL guard", () => {
  it("lets reading statements through, after comments and brackets", () => {
    for (const sql of [
      "SELECT 1",
      "  select * from t;",
      "-- monthly\n/* orders */ (SELECT 1) UNION (SELECT 2)",
      "WITH x AS (SELECT 1) SELECT * FROM x",
      "VALUES (1), (2)",
    ]) {
      assert.doesNotThrow(() => checkTaskSql(postgres, sql), sql);
      assert.doesNotThrow(() => checkTaskSql(mysql, sql), sql);
    }
    assert.doesNotThrow(() => checkTaskSql(mysql, "# note\nSELECT 1"));
  });

  it("refuses statements that are not queries, naming the first word", () => {
    for (const [sql, word] of [
      ["COPY (SELECT 1) TO '/tmp/x'", "COPY"],
      ["/* hi */ delete from t", "DELETE"],
      ["CALL p()", "CALL"],
      ["DO $$ BEGIN END $$", "DO"],
      ["LOAD DATA INFILE '/etc/passwd' INTO TABLE t", "LOAD"],
    ] as const) {
      assert.throws(
        () => checkTaskSql(postgres, sql),
        (e: Error) => {
          assert.ok(e instanceof TaskSqlRejected);
          assert.match(e.message, new RegExp(`starts with ${word}`));
          return true;
        },
      );
    }
    assert.throws(() => checkTaskSql(mysql, "   "), /empty/);
  });

  it("refuses server-side file writes that a read-only transaction allows", () => {
    assert.throws(() => checkTaskSql(mysql, "SELECT 1 INTO OUTFILE '/tmp/x'"), /OUTFILE/);
    assert.throws(() => checkTaskSql(mysql, "select 1 into\n dumpfile '/tmp/x'"), /OUTFILE/);
    assert.throws(() => checkTaskSql(postgres, "SELECT lo_export(1, '/tmp/x')"), /writes files/);
    assert.doesNotThrow(() => checkTaskSql(mysql, "SELECT 'into outfiles' AS label"));
  });
});
