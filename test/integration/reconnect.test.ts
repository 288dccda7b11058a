import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ENGINES, sqlClient } from "../helpers.js";

for (const engine of ENGINES) {
  describe(`task database connection on ${engine}`, () => {
    it("replaces a pooled connection killed while idle (database restart, server timeout)", async () => {
      const db = sqlClient(engine, 1);
      const admin = sqlClient(engine, 1);
      try {
        const idSql =
          engine === "mysql" ? "SELECT CONNECTION_ID() AS id" : "SELECT pg_backend_pid() AS id";
        const before = Number((await db.query<{ id: number }>(idSql)).rows[0]?.id);
        if (engine === "mysql") await admin.query(`KILL ${before}`);
        else await admin.query("SELECT pg_terminate_backend($1)", [before]);
        await new Promise((r) => setTimeout(r, 200));
        const after = Number((await db.query<{ id: number }>(idSql)).rows[0]?.id);
        assert.notEqual(after, before, "a new connection answered");
      } finally {
        await Promise.all([db.close(), admin.close()]);
      }
    });
  });
}
