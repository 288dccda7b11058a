import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDbUrl } from "../../lib/db/url.js";
import { judgeDataRole } from "../../lib/doctor.js";

const task = parseDbUrl("mysql://owner:pw@db:3306/app");
const reader = parseDbUrl("mysql://reader:pw2@db:3306/app");
const clean = {
  user: "reader@%",
  superuser: false,
  serverFiles: [],
  writes: [],
  unusualSettings: [],
};

describe("doctor", () => {
  it("passes a separate, read-only user", () => {
    assert.deepEqual(
      judgeDataRole(task, reader, clean).map((f) => f.level),
      ["ok"],
    );
  });

  it("names each way the data user is not a boundary, and what to do", () => {
    const f = judgeDataRole(task, task, {
      ...clean,
      user: "owner@%",
      superuser: true,
      serverFiles: ["FILE"],
      writes: ["INSERT on `app`.*"],
      unusualSettings: ["sql_mode has NO_BACKSLASH_ESCAPES"],
    });
    assert.deepEqual(
      f.map((x) => x.level),
      ["problem", "problem", "problem", "warn", "warn"],
    );
    assert.match(f[0]?.text ?? "", /task-table user .* set DATA_DB_URL/);
    assert.match(f[1]?.text ?? "", /superuser/);
    assert.match(f[2]?.text ?? "", /holds FILE.*Revoke/);
    assert.match(f[3]?.text ?? "", /may write \(INSERT on `app`\.\*\).*SELECT only/);
    assert.doesNotMatch(JSON.stringify(f), /pw/, "no passwords in findings");
  });
});
