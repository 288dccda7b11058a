import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../../lib/engines/index.js";
import { parseTableName, quoteTable } from "../../lib/identifiers.js";

describe("table names", () => {
  it("accepts plain and schema-qualified names", () => {
    assert.deepEqual(parseTableName("box_download_task"), {
      schema: undefined,
      name: "box_download_task",
    });
    assert.deepEqual(parseTableName("app.Tasks2"), { schema: "app", name: "Tasks2" });
  });

  for (const bad of [
    "",
    "1tasks",
    "tasks;",
    "a.b.c",
    "tas ks",
    "t`x",
    't"x',
    "x".repeat(64),
    "tasks--",
    "é",
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseTableName(bad), /is not a valid table name/);
    });
  }

  it("quotes per engine", () => {
    const t = parseTableName("app.tasks");
    assert.equal(quoteTable(DIALECTS.mysql.quoteIdent, t), "`app`.`tasks`");
    assert.equal(quoteTable(DIALECTS.postgres.quoteIdent, t), '"app"."tasks"');
    assert.throws(() => DIALECTS.mysql.quoteIdent("a`b"), /unchecked identifier/);
    assert.throws(() => DIALECTS.postgres.quoteIdent('a"b'), /unchecked identifier/);
  });
});
