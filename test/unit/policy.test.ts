import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyError, DIALECTS, isStaleConnection } from "../../lib/engines/index.js";
import {
  deadlineMsg,
  decide,
  isTransient,
  withCompletionRetries,
  workerStoppedMsg,
} from "../../lib/failure/policy.js";

describe("isTransient", () => {
  it("retries unreachable or restarted services, not bad queries or timeouts", () => {
    const yes: [unknown, "query" | "upload"][] = [
      [{ code: "ECONNREFUSED" }, "query"],
      [{ code: "57P01" }, "query"],
      [{ code: "PROTOCOL_CONNECTION_LOST" }, "query"],
      [new Error("Connection terminated unexpectedly"), "query"],
      [{ name: "InternalError", $metadata: { httpStatusCode: 503 } }, "upload"],
      [{ name: "TimeoutError", $metadata: {} }, "upload"],
      [{ code: "ECONNRESET", message: "socket hang up" }, "upload"],
    ];
    for (const [err, stage] of yes)
      assert.equal(isTransient(err, classifyError(err), stage), true, JSON.stringify(err));
    const no: [unknown, "query" | "upload"][] = [
      [{ code: "42P01", message: 'relation "x" does not exist' }, "query"],
      [{ code: "57014" }, "query"],
      [{ errno: 1792, code: "ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION" }, "query"],
      [{ name: "NoSuchBucket", $metadata: { httpStatusCode: 404 } }, "upload"],
      [{ name: "AccessDenied", $metadata: { httpStatusCode: 403 } }, "upload"],
      [new Error("Invalid character"), "upload"],
    ];
    for (const [err, stage] of no)
      assert.equal(isTransient(err, classifyError(err), stage), false, JSON.stringify(err));
  });
});

describe("classifyError", () => {
  it("asks each engine about its own driver's errors, then Node's network errors", () => {
    const cases: [unknown, string][] = [
      [{ code: "57P01" }, "lost"],
      [{ code: "57P03" }, "unreachable"],
      [{ code: "28P01" }, "refused"],
      [{ code: "57014" }, "timeout"],
      [{ code: "25006" }, "read-only"],
      [{ code: "22021" }, "data"],
      [{ code: "42P01" }, "other"],
      [{ code: "PROTOCOL_CONNECTION_LOST" }, "lost"],
      [{ code: "ER_CON_COUNT_ERROR" }, "unreachable"],
      [{ code: "ER_ACCESS_DENIED_ERROR" }, "refused"],
      [{ errno: 1969 }, "timeout"],
      [{ errno: 3024 }, "timeout"],
      [{ errno: 1792 }, "read-only"],
      [{ errno: 1366 }, "data"],
      [{ code: "ECONNREFUSED" }, "unreachable"],
      [{ code: "ENOTFOUND" }, "refused"],
      [{ code: "ECONNRESET" }, "lost"],
      [new Error("MySQL server has gone away"), "lost"],
      [new Error("boom"), "other"],
      [null, "other"],
    ];
    for (const [err, kind] of cases)
      assert.equal(classifyError(err).kind, kind, JSON.stringify(err));
  });

  it("retries a pooled query once only when the connection was lost", () => {
    assert.equal(isStaleConnection(DIALECTS.postgres, { code: "ECONNRESET" }), true);
    assert.equal(isStaleConnection(DIALECTS.postgres, { code: "57P01" }), true);
    assert.equal(isStaleConnection(DIALECTS.postgres, { code: "ECONNREFUSED" }), false);
    assert.equal(isStaleConnection(DIALECTS.postgres, { code: "42P01" }), false);
    assert.equal(isStaleConnection(DIALECTS.mysql, { code: "PROTOCOL_CONNECTION_LOST" }), true);
    assert.equal(isStaleConnection(DIALECTS.mysql, { code: "ER_PARSE_ERROR" }), false);
  });
});

describe("decide", () => {
  const s = { maxAttempts: 3, retryDelaySeconds: 30 };

  it("fails at once when another attempt could not help", () => {
    assert.deepEqual(decide(1, false, "The query failed.", s), {
      action: "fail",
      msg: "The query failed.",
    });
  });

  it("retries a transient failure after a delay that grows with the attempt", () => {
    const first = decide(1, true, "Could not reach the database.", s);
    assert.equal(first.action, "retry");
    assert.equal(first.action === "retry" && first.delaySeconds, 30);
    assert.match(first.msg, /^Attempt 1 of 3 failed and will be retried in 30 s: Could not reach/);
    const second = decide(2, true, "x", s);
    assert.equal(second.action === "retry" && second.delaySeconds, 60);
  });

  it("gives up after the last attempt, saying how many there were", () => {
    assert.deepEqual(decide(3, true, "Could not reach the database.", s), {
      action: "fail",
      msg: "Gave up after 3 attempts. Could not reach the database.",
    });
  });

  it("words the deadline and the lease give-up for a person", () => {
    assert.match(deadlineMsg(870), /stopped after 870 seconds.*time limit.*option slice_key/);
    assert.match(workerStoppedMsg(3), /3 time\(s\); giving up/);
  });
});

describe("withCompletionRetries", () => {
  it("tries again after a failure, and gives up after the last try", async () => {
    let calls = 0;
    const ok = await withCompletionRetries(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error("blip");
        return "done";
      },
      { tries: 4, firstDelayMs: 1 },
    );
    assert.equal(ok, "done");
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(
      withCompletionRetries(
        async () => {
          calls += 1;
          throw new Error("down");
        },
        { tries: 2, firstDelayMs: 1 },
      ),
      /down/,
    );
    assert.equal(calls, 2);
  });
});
