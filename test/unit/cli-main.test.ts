// The CLI's top level in-process: help, usage errors and settings, which need no services.
// test/integration/cli.test.ts runs the real process against the real services.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EXIT } from "../../cli/exit-codes.js";
import { main } from "../../cli/main.js";

async function run(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    env,
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    tty: false,
    width: 80,
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("CLI main", () => {
  it("prints help with every verb and the exit codes", async () => {
    const r = await run([]);
    assert.equal(r.code, EXIT.ok);
    assert.match(r.out, /^Usage: npx offline-export <verb> \[options\]/);
    assert.match(r.out, /^ {2}requeue-stuck {2}take back tasks/m);
    assert.match(r.out, /^ {2}3 {2}some tasks were left alone/m);
    const verb = await run(["help", "list"]);
    assert.match(verb.out, /^Usage: npx offline-export list \[--status S,\.\.\.\]/);
  });

  it("exits 2 on a usage error, pointing at the verb's help", async () => {
    const r = await run(["retry"]);
    assert.deepEqual([r.code, r.out], [EXIT.usage, ""]);
    assert.equal(
      r.err,
      "offline-export: retry needs a task id\nRun `npx offline-export retry --help` for usage.",
    );
    const unknown = await run(["nope", "--json"]);
    assert.equal(JSON.parse(unknown.out).exit_code, 2);
    assert.match(unknown.err, /Run `npx offline-export help` for usage\./);
  });

  it("exits 1 naming a missing setting and what to set, without echoing secrets", async () => {
    const noDb = await run(["list"], { EXPORT_BUCKET: "b", AWS_REGION: "r" });
    assert.equal(noDb.code, EXIT.failure);
    assert.match(
      noDb.err,
      /^offline-export: TASK_DB_URL is not set: set it to the task database's URL \(mysql:\/\/user:pass@host:3306\/db/,
    );
    const noBucket = await run(["list", "--json"], {
      TASK_DB_URL: "mysql://u:s3cret@h/db",
      AWS_REGION: "r",
    });
    assert.match(noBucket.err, /EXPORT_BUCKET is not set: set it to the bucket/);
    assert.equal(JSON.parse(noBucket.out).exit_code, 1);
    const bad = await run(["list"], {
      TASK_DB_URL: "mysql://u:s3cret@h/db",
      EXPORT_BUCKET: "b",
      AWS_REGION: "r",
      DATA_DB_MONITOR_URL: "postgres://m:s3cret@other/db",
    });
    assert.equal(bad.code, EXIT.failure);
    assert.match(bad.err, /DATA_DB_MONITOR_URL must name the same server/);
    assert.ok(!bad.err.includes("s3cret"));
  });

  it("needs neither the queue nor the link settings for the verbs that do not send", async () => {
    // A stable-link deployment's environment without LINK_SECRET: the operator mints no links.
    // The database is unreachable (port 9), so this ends as a failure, but past the settings.
    const r = await run(["list"], {
      TASK_DB_URL: "postgres://u:s3cret@127.0.0.1:9/db",
      EXPORT_BUCKET: "b",
      AWS_REGION: "r",
      LINK_MODE: "stable",
    });
    assert.equal(r.code, EXIT.failure);
    assert.match(r.err, /^offline-export: list failed: /);
    assert.ok(!r.err.includes("s3cret"));
  });
});
