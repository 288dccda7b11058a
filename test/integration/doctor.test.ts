// npm run doctor's checks against the real servers: the local SELECT-only reader passes,
// the local owner (superuser, FILE, writes) does not.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDbUrl } from "../../lib/db/url.js";
import { checkDataRole } from "../../lib/doctor.js";
import { createSqlClient } from "../../lib/engines/index.js";
import { ENGINES, readerUrl, serviceUrl } from "../helpers.js";

for (const engine of ENGINES) {
  describe(`doctor on ${engine}`, () => {
    const owner = parseDbUrl(serviceUrl(engine));
    it("passes the SELECT-only reader the local services create", async () => {
      const reader = parseDbUrl(readerUrl(engine));
      assert.notEqual(reader.url, owner.url, "the services made a reader");
      const client = createSqlClient(reader, 1);
      try {
        const findings = await checkDataRole(owner, reader, client);
        assert.deepEqual(
          findings.map((f) => f.level),
          ["ok"],
          JSON.stringify(findings),
        );
      } finally {
        await client.close();
      }
    });

    it("flags the owner: the same user as the task table, privileged, able to write", async () => {
      const client = createSqlClient(owner, 1);
      try {
        const findings = await checkDataRole(owner, owner, client);
        const text = findings.map((f) => f.text).join("\n");
        assert.ok(findings.filter((f) => f.level === "problem").length >= 2, text);
        assert.match(text, /task-table user/);
        assert.match(text, /superuser/);
        assert.match(text, engine === "mysql" ? /holds FILE/ : /pg_execute_server_program/);
      } finally {
        await client.close();
      }
    });
  });
}
