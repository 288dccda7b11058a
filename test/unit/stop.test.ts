import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { StatementLimit, StatementTimeout } from "../../lib/sources/statement-limit.js";
import { createStopper, type SessionControl, type StopTarget } from "../../lib/sources/stop.js";

const FAST = { graceMs: 60, goneMs: 200, pollMs: 10 };

/** A session on a fake server: how it answers cancel and terminate, and what was done to it. */
function fakeSession(o: {
  stopsOnCancel?: boolean;
  stopsOnTerminate?: boolean;
  monitorAllowed?: boolean;
  connectFails?: boolean;
  monitorLoginFails?: boolean;
}) {
  const calls: string[] = [];
  let present = true;
  let cancelled = false;
  let dropped = false;
  const settle = () => {
    if (cancelled && dropped && o.stopsOnCancel) present = false;
  };
  const control = (as: "monitor" | "data"): SessionControl => ({
    async cancel() {
      calls.push(`cancel as ${as}`);
      if (as === "monitor" && o.monitorAllowed === false)
        throw Object.assign(new Error("permission denied"), { code: "NOPE" });
      cancelled = true;
      settle();
    },
    async terminate() {
      calls.push(`terminate as ${as}`);
      if (o.stopsOnTerminate !== false) present = false;
    },
    present: async () => present,
    close: async () => {
      calls.push(`close ${as}`);
    },
  });
  const target: StopTarget = {
    describe: { pid: 42 },
    async connect(as) {
      calls.push(`connect ${as}`);
      if (o.connectFails) throw new Error("ECONNREFUSED");
      if (as === "monitor" && o.monitorLoginFails)
        throw new Error("password authentication failed");
      return control(as);
    },
    notAllowed: (err) => (err as { code?: string }).code === "NOPE",
    dropOwn() {
      calls.push("drop own");
      dropped = true;
      settle();
    },
  };
  return { target, calls };
}

function recordingLog() {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    warn: (message: string) => lines.push({ level: "warn", message }),
    error: (message: string) => lines.push({ level: "error", message }),
  };
}

describe("createStopper: cancel, then terminate, then an alarm", () => {
  it("cancels from the monitor and is done when the session leaves", async () => {
    const log = recordingLog();
    const s = fakeSession({ stopsOnCancel: true });
    const stop = createStopper({ hasMonitor: true, log, timing: FAST });
    assert.equal(await stop(s.target), "cancelled");
    assert.deepEqual(s.calls, [
      "connect monitor",
      "cancel as monitor",
      "drop own",
      "close monitor",
    ]);
    assert.deepEqual(log.lines, []);
  });

  it("terminates a session still there after the grace", async () => {
    const s = fakeSession({ stopsOnCancel: false });
    const stop = createStopper({ hasMonitor: true, timing: FAST });
    assert.equal(await stop(s.target), "terminated");
    assert.deepEqual(s.calls, [
      "connect monitor",
      "cancel as monitor",
      "drop own",
      "terminate as monitor",
      "close monitor",
    ]);
  });

  it("logs an error when the session outlives terminate too", async () => {
    const log = recordingLog();
    const s = fakeSession({ stopsOnCancel: false, stopsOnTerminate: false });
    const stop = createStopper({ hasMonitor: true, log, timing: FAST });
    assert.equal(await stop(s.target), "unconfirmed");
    assert.equal(log.lines.length, 1);
    assert.equal(log.lines[0]?.level, "error");
    assert.match(log.lines[0]?.message ?? "", /still on the database after cancel and terminate/);
  });

  it("falls back to the data user's login when the monitor may not signal, warning once", async () => {
    const log = recordingLog();
    const stop = createStopper({ hasMonitor: true, log, timing: FAST });
    for (let i = 0; i < 2; i++) {
      const s = fakeSession({ stopsOnCancel: true, monitorAllowed: false });
      assert.equal(await stop(s.target), "cancelled");
      assert.deepEqual(s.calls, [
        "connect monitor",
        "cancel as monitor",
        "close monitor",
        "connect data",
        "cancel as data",
        "drop own",
        "close data",
      ]);
    }
    assert.deepEqual(
      log.lines.map((l) => l.level),
      ["warn"],
    );
    assert.match(log.lines[0]?.message ?? "", /monitor login may not stop/);
  });

  it("without a monitor, stops from the data user's login and warns once", async () => {
    const log = recordingLog();
    const stop = createStopper({ hasMonitor: false, log, timing: FAST });
    for (let i = 0; i < 2; i++) {
      const s = fakeSession({ stopsOnCancel: true });
      assert.equal(await stop(s.target), "cancelled");
      assert.equal(s.calls[0], "connect data");
    }
    assert.deepEqual(
      log.lines.map((l) => l.level),
      ["warn"],
    );
    assert.match(log.lines[0]?.message ?? "", /DATA_DB_MONITOR_URL/);
  });

  it("falls back to the data user's login when the monitor cannot log in", async () => {
    const log = recordingLog();
    const s = fakeSession({ stopsOnCancel: true, monitorLoginFails: true });
    const stop = createStopper({ hasMonitor: true, log, timing: FAST });
    assert.equal(await stop(s.target), "cancelled");
    assert.deepEqual(s.calls, [
      "connect monitor",
      "connect data",
      "cancel as data",
      "drop own",
      "close data",
    ]);
    assert.match(log.lines[0]?.message ?? "", /monitor login could not log in/);
  });

  it("drops its own end and warns when it cannot reach the server", async () => {
    const log = recordingLog();
    const s = fakeSession({ connectFails: true });
    const stop = createStopper({ hasMonitor: true, log, timing: FAST });
    assert.equal(await stop(s.target), "unconfirmed");
    assert.deepEqual(s.calls, ["connect monitor", "connect data", "drop own"]);
    assert.deepEqual(
      log.lines.map((l) => l.level),
      ["warn", "warn"],
    );
    assert.match(log.lines[1]?.message ?? "", /could not reach the database to stop a query/);
  });
});

describe("StatementLimit: the worker's own clock", () => {
  it("fails the stream at the limit, stops the query once, and records how", async () => {
    let stops = 0;
    const limit = new StatementLimit(0.05, async () => {
      stops += 1;
      return "terminated";
    });
    const stream = new PassThrough();
    limit.watch(stream);
    const err = await new Promise<unknown>((resolve) => stream.on("error", resolve));
    assert.ok(err instanceof StatementTimeout);
    assert.equal(err, limit.error);
    await limit.settled();
    assert.equal(limit.error.stopped, "terminated");
    assert.equal(stops, 1);
  });

  it("leaves a stream that ended in time alone", async () => {
    let stops = 0;
    const limit = new StatementLimit(0.05, async () => {
      stops += 1;
      return "cancelled";
    });
    const stream = new PassThrough({ flush: limit.flush });
    limit.watch(stream);
    stream.resume();
    stream.end("x");
    await new Promise((resolve) => stream.on("end", resolve));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(stops, 0);
  });

  it("fails a result whose last row came at the limit, though every row came", async () => {
    const limit = new StatementLimit(0.05, async () => "cancelled");
    limit.disarm(); // the timer has not run yet when the rows end (a busy event loop)
    const stream = new PassThrough({ flush: limit.flush });
    await new Promise((resolve) => setTimeout(resolve, 60));
    stream.resume();
    stream.end("every row");
    const err = await new Promise<unknown>((resolve) => {
      stream.on("error", resolve);
      stream.on("end", () => resolve(undefined));
    });
    assert.ok(err instanceof StatementTimeout);
  });

  it("turns a failure during the checks into the timeout, once the limit fired", async () => {
    const before = new StatementLimit(10, async () => "cancelled");
    const own = new Error("syntax error");
    assert.equal(await before.failure(own), own);
    const fired = new StatementLimit(0.02, async () => "cancelled");
    await new Promise((resolve) => setTimeout(resolve, 40));
    const err = await fired.failure(new Error("canceling statement due to user request"));
    assert.equal(err, fired.error);
    assert.equal(fired.error.stopped, "cancelled");
    // A stream that comes after the limit fired fails at once.
    const late = new PassThrough();
    const failed = new Promise((resolve) => late.on("error", resolve));
    fired.watch(late);
    assert.equal(await failed, fired.error);
  });
});
