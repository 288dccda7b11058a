// npm run doctor's checks against the real servers: the local SELECT-only reader passes; a
// reader that can read the task table, or holds a grant that reaches other sessions or every
// table, or the owner, does not, and each finding names the statement that fixes it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type DbUrl, type Engine, parseDbUrl } from "../../lib/db/url.js";
import { checkDataRole, type Finding } from "../../lib/doctor.js";
import type { DbClient } from "../../lib/engines/dialect.js";
import { createSqlClient } from "../../lib/engines/index.js";
import { parseTableName } from "../../lib/identifiers.js";
import { ENGINES, readerUrl, serviceUrl, sqlClient, taskUrl, uniqueName } from "../helpers.js";

async function findings(
  taskDb: DbUrl,
  dataDb: DbUrl,
  table = parseTableName("box_download_task"),
): Promise<Finding[]> {
  const client = createSqlClient(dataDb, 1);
  try {
    return await checkDataRole(taskDb, dataDb, client, table);
  } finally {
    await client.close();
  }
}

const levels = (f: Finding[]) => f.map((x) => x.level);
const problems = (f: Finding[]) =>
  f
    .filter((x) => x.level === "problem")
    .map((x) => x.text)
    .join("\n");

/** A throwaway login on the real server, made by the owner, with `grants` run for it. */
async function tempUser(
  admin: DbClient,
  engine: Engine,
  grants: (who: string) => string[],
): Promise<{ url: DbUrl; drop: () => Promise<void> }> {
  const name = uniqueName("oe_doc").toLowerCase();
  const pass = "doctor-test-pw";
  const owner = new URL(serviceUrl(engine));
  const who = engine === "mysql" ? `'${name}'@'127.0.0.1'` : name;
  if (engine === "mysql") await admin.query(`CREATE USER ${who} IDENTIFIED BY '${pass}'`);
  else await admin.query(`CREATE ROLE ${who} LOGIN PASSWORD '${pass}'`);
  for (const g of grants(who)) await admin.query(g);
  owner.username = name;
  owner.password = pass;
  return {
    url: parseDbUrl(owner.toString()),
    drop: async () => {
      if (engine === "mysql") await admin.query(`DROP USER ${who}`);
      else await admin.query(`DROP ROLE ${who}`);
    },
  };
}

for (const engine of ENGINES) {
  describe(`doctor on ${engine}`, () => {
    const owner = parseDbUrl(serviceUrl(engine));
    const taskDb = parseDbUrl(taskUrl(engine));
    let admin: DbClient;
    before(() => {
      admin = sqlClient(engine, 1);
    });
    after(() => admin.close());

    it("passes the SELECT-only reader the local services create", async () => {
      const reader = parseDbUrl(readerUrl(engine));
      assert.notEqual(reader.url, owner.url, "the services made a reader");
      const f = await findings(taskDb, reader);
      // MySQL cannot hide a user's own sessions' SQL from it: a warning, not a problem.
      assert.deepEqual(levels(f), engine === "mysql" ? ["warn"] : ["ok"], JSON.stringify(f));
      if (engine === "mysql") assert.match(f[0]?.text ?? "", /SQL of other running tasks/);
    });

    it("flags the owner: the same user as the task table, privileged, able to write", async () => {
      const f = await findings(owner, owner);
      const text = f.map((x) => x.text).join("\n");
      assert.ok(f.filter((x) => x.level === "problem").length >= 2, text);
      assert.match(text, /task-table user/);
      assert.match(text, /superuser/);
      assert.match(text, engine === "mysql" ? /holds FILE/ : /pg_execute_server_program/);
    });

    it("flags a reader that can read the task table when both share a database, with the fix", async () => {
      // The task table in the data database, as an app that keeps one database might: the
      // reader's database-wide grant (MySQL) or default privileges (PostgreSQL) reach it.
      const table = uniqueName("oe_doc_tasks").toLowerCase();
      await admin.query(`CREATE TABLE ${table} (id INT)`);
      await admin.query(`CREATE TABLE ${table}_lock (name VARCHAR(64))`);
      try {
        const f = await findings(owner, parseDbUrl(readerUrl(engine)), parseTableName(table));
        const text = problems(f);
        assert.match(text, new RegExp(`can read the task table \\(SELECT on [a-z_.]*${table}\\)`));
        assert.match(text, new RegExp(`SELECT on [a-z_.]*${table}_lock`));
        assert.match(
          text,
          engine === "mysql" ? /REVOKE SELECT ON offline_export\.\*/ : /REVOKE ALL ON /,
        );
      } finally {
        await admin.query(`DROP TABLE ${table}`);
        await admin.query(`DROP TABLE ${table}_lock`);
      }
    });

    const powers: [string, (who: string) => string[], RegExp][] =
      engine === "mysql"
        ? [
            [
              "global SELECT",
              (w) => [`GRANT SELECT ON *.* TO ${w}`],
              /SELECT ON \*\.\*.*every database/,
            ],
            [
              "PROCESS",
              (w) => [`GRANT PROCESS ON *.* TO ${w}`],
              /holds PROCESS.*REVOKE PROCESS ON \*\.\*/,
            ],
            [
              "CONNECTION ADMIN",
              (w) => [`GRANT CONNECTION ADMIN ON *.* TO ${w}`],
              /holds CONNECTION ADMIN.*REVOKE CONNECTION ADMIN ON \*\.\*/,
            ],
            ["SUPER", (w) => [`GRANT SUPER ON *.* TO ${w}`], /superuser[\s\S]*holds SUPER/],
          ]
        : [
            [
              "pg_read_all_data",
              (w) => [`GRANT pg_read_all_data TO ${w}`],
              /holds pg_read_all_data.*REVOKE pg_read_all_data FROM/,
            ],
            [
              "pg_read_all_stats",
              (w) => [`GRANT pg_read_all_stats TO ${w}`],
              /holds pg_read_all_stats.*other sessions' SQL/,
            ],
            [
              "pg_monitor",
              (w) => [`GRANT pg_monitor TO ${w}`],
              /holds pg_monitor.*REVOKE pg_monitor FROM/,
            ],
            [
              "pg_signal_backend",
              (w) => [`GRANT pg_signal_backend TO ${w}`],
              /holds pg_signal_backend.*cancel or terminate/,
            ],
          ];
    for (const [what, grants, expected] of powers) {
      it(`flags a data user that holds ${what}`, async () => {
        const u = await tempUser(admin, engine, (w) => [
          ...(engine === "mysql" ? [`GRANT SELECT ON offline_export.* TO ${w}`] : []),
          ...grants(w),
        ]);
        try {
          const f = await findings(taskDb, u.url);
          assert.match(problems(f), expected, JSON.stringify(f));
        } finally {
          await u.drop();
        }
      });
    }

    if (engine === "postgres") {
      it("warns when the reader's sessions record their SQL where other tasks can read it", async () => {
        const u = await tempUser(admin, engine, () => []);
        try {
          const f = await findings(taskDb, u.url);
          assert.deepEqual(levels(f), ["warn"], JSON.stringify(f));
          assert.match(f[0]?.text ?? "", /ALTER ROLE oe_doc\w+ SET track_activities = off/);
        } finally {
          await u.drop();
        }
      });
    }
  });
}
