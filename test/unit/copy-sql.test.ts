import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { copyableSql, copyStatement } from "../../lib/engines/postgres/copy-sql.js";

describe("copyableSql: the lexer's first filter before SQL is wrapped in COPY ( ... )", () => {
  it("accepts ordinary queries, dropping trailing semicolons and what follows them", () => {
    assert.equal(copyableSql("SELECT 1"), "SELECT 1");
    assert.equal(copyableSql("SELECT 1;  \n"), "SELECT 1");
    assert.equal(copyableSql("SELECT 1; ; -- done"), "SELECT 1");
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

  it("reads strings, dollar quotes and nested comments as the lexer does", () => {
    for (const sql of [
      "SELECT $$)$$",
      "SELECT $q$ ; ) $q$",
      "SELECT E'\\')' ",
      "SELECT /* /* nested ) */ ; */ 1",
      'SELECT 1 AS ")"',
    ]) {
      assert.equal(copyableSql(sql), sql, sql);
    }
  });

  it("refuses anything that could escape the bracket or the statement", () => {
    for (const sql of [
      "SELECT 1) TO '/tmp/x' --",
      "SELECT 1; COMMIT; DELETE FROM t",
      "SELECT (1",
      "SELECT ) (",
      "SELECT 'unterminated",
      "SELECT $$open",
      "SELECT /* open",
      ";",
      "",
      "  -- only a comment",
    ]) {
      assert.equal(copyableSql(sql), undefined, sql);
    }
  });
});
