import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DbClient as SqlClient } from "../../lib/engines/dialect.js";
import { parseTableName } from "../../lib/identifiers.js";
import { migrate } from "../../lib/tasks/migrate.js";
import { TaskStore } from "../../lib/tasks/store.js";
import { ENGINES, ph, sqlClient, uniqueName } from "../helpers.js";

// The seed's table, as the 2018 post describes it.
const SEED_DDL = {
  mysql: (t: string) => `CREATE TABLE ${t} (
    id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, name varchar(100) NOT NULL, title varchar(255) NOT NULL,
    query varchar(255) NOT NULL, creater_name varchar(100) NOT NULL, status int NOT NULL DEFAULT 0,
    msg text NULL, filepath varchar(255) NULL) DEFAULT CHARSET=utf8mb4`,
  postgres: (t: string) => `CREATE TABLE ${t} (
    id serial PRIMARY KEY, name varchar(100) NOT NULL, title varchar(255) NOT NULL,
    query varchar(255) NOT NULL, creater_name varchar(100) NOT NULL, status int NOT NULL DEFAULT 0,
    msg text NULL, filepath varchar(255) NULL)`,
};

for (const engine of ENGINES) {
  describe(`migrations on ${engine}`, () => {
    let db: SqlClient;
    const tables: string[] = [];
    before(() => {
      db = sqlClient(engine, 1); // a pool of one, as `npm run migrate` uses
    });
    after(async () => {
      for (const t of tables) {
        await db.query(`DROP TABLE IF EXISTS ${t}`);
        await db.query(`DROP TABLE IF EXISTS ${t}_lock`);
      }
      await db.close();
    });

    it("creates the table, then finds nothing to do on a second run", async () => {
      const t = uniqueName("mig");
      tables.push(t);
      const first = await migrate(db, parseTableName(t));
      assert.equal(first.created, true);
      assert.equal(first.indexed, true);
      const second = await migrate(db, parseTableName(t));
      assert.deepEqual(second, { created: false, added: [], widened: [], indexed: false });
    });

    it("upgrades the seed's table in place; old rows and PHP's insert keep working", async () => {
      const t = uniqueName("seed");
      tables.push(t);
      await db.query(SEED_DDL[engine](t));
      const p = (n: number) => ph(engine, n);
      await db.query(
        `INSERT INTO ${t} (name, title, query, creater_name, status, filepath) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, 2, ${p(5)})`,
        ["旧任务", "序号,名称", "select 1", "老王", "/Public/Temp/old.csv"],
      );
      const report = await migrate(db, parseTableName(t));
      assert.equal(report.created, false);
      assert.deepEqual(report.widened.sort(), ["filepath", "query", "title"]);
      assert.ok(report.added.includes("attempts") && report.added.includes("s3_key"));

      // PHP inserts only the seed's four columns; everything else has a default.
      const longQuery = `SELECT ${"1, ".repeat(3000)}1`;
      await db.query(
        `INSERT INTO ${t} (name, title, query, creater_name) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})`,
        ["新任务", "x".repeat(1000), longQuery, "小李"],
      );
      const store = new TaskStore(db, parseTableName(t));
      const old = await store.get(1);
      assert.equal(old?.status, 2);
      assert.equal(old?.filepath, "/Public/Temp/old.csv");
      const fresh = await store.get(2);
      assert.equal(fresh?.status, 0);
      assert.equal(fresh?.task.attempts, 0);
      assert.equal(
        fresh?.task.query,
        longQuery,
        "a query longer than 255 characters is kept whole",
      );
      const url = `https://bucket.s3.amazonaws.com/k.csv?X-Amz-Security-Token=${"t".repeat(1500)}`;
      await db.query(`UPDATE ${t} SET filepath = ${p(1)} WHERE id = 2`, [url]);
      assert.equal(
        (await store.get(2))?.filepath,
        url,
        "a presigned URL with a session token fits",
      );
      assert.deepEqual(await migrate(db, parseTableName(t)), {
        created: false,
        added: [],
        widened: [],
        indexed: false,
      });
    });
  });
}
