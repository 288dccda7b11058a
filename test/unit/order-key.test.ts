import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mysqlGuard } from "../../lib/engines/mysql/guard.js";
import { postgresGuard } from "../../lib/engines/postgres/guard.js";
import { orderKey } from "../../lib/sources/order-key.js";

const pg = (sql: string) => orderKey(sql, postgresGuard.lex);
const my = (sql: string) => orderKey(sql, mysqlGuard.lex);

describe("orderKey: the column a task's result is sorted by, when provably one", () => {
  it("finds a single ascending top-level sort column, as each engine names it", () => {
    assert.equal(pg("SELECT id, name FROM t WHERE x > 1 ORDER BY id"), "id");
    assert.equal(pg("SELECT id FROM t ORDER BY ID ASC;;"), "id"); // unquoted names fold
    assert.equal(pg('SELECT "Id" FROM t ORDER BY "Id"'), "Id");
    assert.equal(my("SELECT `Id` FROM t ORDER BY `Id` -- newest last\n"), "Id");
    assert.equal(
      pg("WITH x AS (SELECT id FROM t ORDER BY id DESC LIMIT 5) SELECT * FROM x ORDER BY id"),
      "id",
    );
    // A grouped or joined result, or a window function, is still split exactly by the wrap.
    assert.equal(
      my("SELECT d AS day, COUNT(*) FROM t JOIN u ON u.id = t.u GROUP BY d ORDER BY day"),
      "day",
    );
    assert.equal(pg("SELECT id, ROW_NUMBER() OVER (ORDER BY id) FROM t ORDER BY id"), "id");
  });

  it("finds none where slices could not reproduce the order or the rows", () => {
    for (const sql of [
      "SELECT id FROM t",
      "SELECT id FROM t ORDER BY id DESC",
      "SELECT id FROM t ORDER BY id, name",
      "SELECT id FROM t ORDER BY t.id",
      "SELECT id FROM t ORDER BY 1",
      "SELECT id FROM t ORDER BY id + 0",
      "SELECT id FROM t ORDER BY id LIMIT 10",
      "SELECT id FROM t ORDER BY id ASC NULLS FIRST",
      "SELECT * FROM (SELECT id FROM t ORDER BY id) x",
      "SELECT id FROM t ORDER BY id; SELECT 1",
      "SELECT id FROM t ORDER BY (id",
      'SELECT id FROM t ORDER BY "bad name"',
    ])
      assert.equal(pg(sql), undefined, sql);
    assert.equal(my("SELECT @n := @n + 1 AS n, id FROM t ORDER BY id"), undefined);
    assert.equal(my("SELECT id FROM t ORDER BY id /*!50000 DESC */"), undefined);
    assert.equal(my("SELECT id FROM t ORDER BY id LIMIT 5 OFFSET 2"), undefined);
  });
});
