import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyError } from "../../lib/engines/index.js";
import { describeFailure } from "../../lib/failure/describe.js";
import type { StopOutcome } from "../../lib/failure/kinds.js";
import { isTransient } from "../../lib/failure/policy.js";
import { MSG_MAX_CHARS, secretsOf } from "../../lib/redact.js";
import { StatementTimeout } from "../../lib/sources/statement-limit.js";

const secrets = secretsOf(["postgres://exporter:S3cr%40t!@db.internal.example:5432/app"]);
const o = { timeoutSeconds: 30, secrets };

const withCancel = (err: object) => Object.assign(new Error("cancel"), err);

describe("describeFailure", () => {
  it("keeps the database's reason for a bad query", () => {
    const err = Object.assign(new Error('relation "nope" does not exist'), { code: "42P01" });
    const msg = describeFailure(err, classifyError(err), "query", o);
    assert.match(msg, /^The query failed: relation "nope" does not exist \[42P01\]\./);
  });

  it("uses MySQL's sqlMessage", () => {
    const err = Object.assign(new Error("x"), {
      code: "ER_NO_SUCH_TABLE",
      errno: 1146,
      sqlMessage: "Table 'app.nope' doesn't exist",
    });
    assert.match(
      describeFailure(err, classifyError(err), "query", o),
      /Table 'app\.nope' doesn't exist \[ER_NO_SUCH_TABLE\]/,
    );
  });

  it("explains timeouts on both engines", () => {
    for (const err of [{ code: "57014" }, { errno: 1969 }, { errno: 3024 }]) {
      assert.match(
        describeFailure(withCancel(err), classifyError(withCancel(err)), "query", o),
        /longer than the 30-second limit/,
      );
    }
  });

  it("says how the worker's stop at the limit ended", () => {
    const stopped = (outcome?: StopOutcome) => {
      const err = new StatementTimeout(30);
      err.stopped = outcome;
      return describeFailure(err, classifyError(err), "query", o);
    };
    assert.match(stopped("cancelled"), /longer than the 30-second limit and was cancelled\./);
    assert.match(
      stopped("terminated"),
      /and did not stop when cancelled, so its connection was terminated\./,
    );
    assert.match(
      stopped("unconfirmed"),
      /did not confirm that it stopped; an operator has been alerted/,
    );
    assert.match(stopped(), /longer than the 30-second limit and was stopped\./);
  });

  it("explains lock waits on both engines, and retries them", () => {
    for (const err of [{ code: "55P03" }, { code: "ER_LOCK_WAIT_TIMEOUT", errno: 1205 }]) {
      const e = withCancel(err);
      const c = classifyError(e);
      assert.match(describeFailure(e, c, "query", o), /waited too long for a lock/);
      assert.equal(isTransient(e, c, "query"), true);
    }
  });

  it("explains read-only violations", () => {
    const err = Object.assign(new Error("cannot execute DELETE in a read-only transaction"), {
      code: "25006",
    });
    assert.match(
      describeFailure(err, classifyError(err), "query", o),
      /exports are read-only: cannot execute DELETE/,
    );
  });

  it("never shows hosts, ports or passwords of a connection failure", () => {
    const err = Object.assign(
      new Error("connect ECONNREFUSED 10.1.2.3:5432 db.internal.example S3cr@t!"),
      { code: "ECONNREFUSED" },
    );
    const msg = describeFailure(err, classifyError(err), "query", o);
    assert.match(msg, /Could not reach the database \(connection refused\)/);
    for (const leak of ["10.1.2.3", "db.internal.example", "S3cr@t!", "5432"])
      assert.ok(!msg.includes(leak), leak);
  });

  it("redacts secrets inside any message and truncates to fit the column", () => {
    const err = new Error(
      `boom postgres://exporter:S3cr%40t!@db.internal.example:5432/app ${"x".repeat(5000)}`,
    );
    const msg = describeFailure(err, classifyError(err), "export", o);
    assert.ok(!msg.includes("S3cr"), msg.slice(0, 100));
    assert.ok(!msg.includes("db.internal.example"));
    assert.equal(Array.from(msg).length, MSG_MAX_CHARS);
  });
});
