import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDbUrl } from "../../lib/db/url.js";
import { judgeDataRole } from "../../lib/doctor.js";
import type { RoleFacts } from "../../lib/engines/dialect.js";

const task = parseDbUrl("mysql://owner:pw@db:3306/app");
const reader = parseDbUrl("mysql://reader:pw2@db:3306/app");
const clean: RoleFacts = {
  user: "reader@%",
  superuser: false,
  powers: [],
  writes: [],
  readsTaskTables: [],
  seesOthersSql: undefined,
  unusualSettings: [],
};

describe("doctor", () => {
  it("passes a separate, read-only user", () => {
    assert.deepEqual(
      judgeDataRole(task, reader, clean).map((f) => f.level),
      ["ok"],
    );
  });

  it("names each way the data user is not a boundary, and the statement that fixes it", () => {
    const f = judgeDataRole(task, task, {
      ...clean,
      user: "owner@%",
      superuser: true,
      readsTaskTables: [
        { held: "SELECT on app.tasks", reaches: "every task's SQL", fix: "REVOKE SELECT X" },
      ],
      powers: [{ held: "PROCESS", reaches: "other sessions' SQL", fix: "REVOKE PROCESS Y" }],
      writes: ["INSERT on `app`.*"],
      seesOthersSql: { why: "they share a user", fix: "keep secrets out" },
      unusualSettings: ["sql_mode has NO_BACKSLASH_ESCAPES"],
    });
    assert.deepEqual(
      f.map((x) => x.level),
      ["problem", "problem", "problem", "problem", "warn", "warn", "warn"],
    );
    assert.match(f[0]?.text ?? "", /task-table user .* set DATA_DB_URL/);
    assert.match(f[1]?.text ?? "", /superuser/);
    assert.match(
      f[2]?.text ?? "",
      /can read the task table \(SELECT on app\.tasks\).*REVOKE SELECT X/,
    );
    assert.match(
      f[3]?.text ?? "",
      /holds PROCESS, which reaches other sessions' SQL\. Fix: REVOKE PROCESS Y/,
    );
    assert.match(f[4]?.text ?? "", /may write \(INSERT on `app`\.\*\).*SELECT only/);
    assert.match(
      f[5]?.text ?? "",
      /SQL of other running tasks: they share a user\. Fix: keep secrets out/,
    );
    assert.doesNotMatch(JSON.stringify(f), /pw/, "no passwords in findings");
  });
});
