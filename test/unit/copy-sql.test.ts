import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { copyableSql, copyStatement } from "../../lib/engines/postgres/copy-sql.js";

describe("copyableSql: SQL that can be wrapped in COPY ( ... ) without changing what runs", () => {
  it("accepts ordinary queries, dropping trailing semicolons", () => {
    assert.equal(copyableSql("SELECT 1"), "SELECT 1");
    assert.equal(copyableSql("SELECT 1;  \n"), "SELECT 1");
    assert.equal(
      copyableSql("SELECT ')' AS a, \"x)\" FROM t -- )\n"),
      "SELECT ')' AS a, \"x)\" FROM t -- )\n",
    );
    assert.equal(
      copyableSql("SELECT 'it''s' /* ( */ FROM (SELECT 1) s"),
      "SELECT 'it''s' /* ( */ FROM (SELECT 1) s",
    );
    assert.equal(
      copyStatement("SELECT 1 -- c"),
      "COPY (\nSELECT 1 -- c\n) TO STDOUT WITH (FORMAT csv)",
    );
  });

  it("refuses anything that could escape the bracket or the statement", () => {
    for (const sql of [
      "SELECT 1) TO '/tmp/x' --",
      "SELECT 1; COMMIT; DELETE FROM t",
      "SELECT (1",
      "SELECT 1; -- trailing comment after a semicolon",
      "SELECT $$)$$",
      "SELECT $1",
      "SELECT E'\\')' ",
      "SELECT 'unterminated",
      "SELECT /* /* nested */ */ 1",
      "SELECT 1 \\g",
      ";",
      "",
    ]) {
      assert.equal(copyableSql(sql), undefined, sql);
    }
  });
});
