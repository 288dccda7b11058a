import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { createLogger } from "../../lib/logger.js";
import { runSchedulerLoop, type SchedulerDeps } from "../../lib/scheduler.js";
import type { TaskStore } from "../../lib/tasks/store.js";

function deps(reserve: () => Promise<number[]>, sent: number[][]): SchedulerDeps {
  const tasks = {
    reapStale: async () => ({ released: [], failed: [] }),
    reserveForDispatch: reserve,
    unreserve: async () => {},
  } as unknown as TaskStore;
  const sqs = {
    send: async (cmd: { input: { Entries: { Id: string }[] } }) => {
      sent.push(cmd.input.Entries.map((e) => Number(e.Id)));
      return { Failed: [] };
    },
  } as unknown as SQSClient;
  return {
    tasks,
    sqs,
    logger: createLogger(["pw"], "test"),
    settings: {
      queueUrl: "http://q",
      maxInFlight: 6,
      maxInFlightPerCreator: 3,
      redispatchSeconds: 60,
      excludeTypes: [],
      leaseSeconds: 60,
      maxAttempts: 3,
      schedulerPollSeconds: 5,
      schedulerRunSeconds: 50,
      bucket: "b",
      keyPrefix: "exports/",
    },
  };
}

describe("runSchedulerLoop", () => {
  it("polls every pollMs inside one run, so pickup takes seconds, not a minute", async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const sent: number[][] = [];
    let n = 0;
    const d = deps(async () => (++n % 3 === 0 ? [n] : []), sent);
    const res = await runSchedulerLoop(d, {
      runMs: 50_000,
      pollMs: 5_000,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    assert.equal(res.passes, 11, "passes at 0, 5, ..., 50 s");
    assert.deepEqual(sleeps, Array(10).fill(5_000));
    assert.deepEqual(sent, [[3], [6], [9]]);
    assert.equal(res.sent, 3);
  });

  it("keeps polling after a failed pass (task database briefly away)", async () => {
    let clock = 0;
    let n = 0;
    const sent: number[][] = [];
    const d = deps(async () => {
      n += 1;
      if (n === 1) throw new Error("connect ECONNREFUSED pw");
      return n === 2 ? [7] : [];
    }, sent);
    const res = await runSchedulerLoop(d, {
      runMs: 10_000,
      pollMs: 5_000,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    assert.equal(res.passes, 3);
    assert.deepEqual(sent, [[7]]);
  });

  it("runs a single pass when there is no time for a second", async () => {
    const sent: number[][] = [];
    const res = await runSchedulerLoop(
      deps(async () => [1, 2], sent),
      { runMs: 0, pollMs: 5_000 },
    );
    assert.equal(res.passes, 1);
    assert.deepEqual(sent, [[1, 2]]);
  });
});
