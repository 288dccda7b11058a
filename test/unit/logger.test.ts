import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "../../lib/logger.js";

describe("logger", () => {
  it("redacts secrets, URL credentials and addresses in the message, fields and errors", () => {
    const written: unknown[] = [];
    const sink = (message: string, fields?: unknown) => {
      written.push({ message, fields });
    };
    const log = createLogger(["S3cretPw", "db.internal.example"], "test", {
      debug: sink,
      info: sink,
      warn: sink,
      error: sink,
    });
    const error = Object.assign(
      new Error(
        "connect ECONNREFUSED 10.0.0.7:5432 for mysql://root:S3cretPw@db.internal.example/x",
      ),
      { code: "ECONNREFUSED" },
    );
    log.error("failed talking to db.internal.example", {
      error,
      nested: { url: "postgres://u:hunter2@10.1.1.1:5432/app", list: ["S3cretPw"] },
      taskId: 5,
    });
    log.info("plain line");
    const out = JSON.stringify(written);
    assert.equal(written.length, 2);
    for (const secret of ["S3cretPw", "db.internal.example", "10.0.0.7", "hunter2", "10.1.1.1"])
      assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
    const first = written[0] as {
      fields: { taskId: number; error: { code: string; message: string } };
    };
    assert.equal(first.fields.taskId, 5);
    assert.equal(first.fields.error.code, "ECONNREFUSED");
    assert.match(first.fields.error.message, /ECONNREFUSED \*\*\*/);
  });
});
