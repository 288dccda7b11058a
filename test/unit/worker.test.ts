import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import type { ExportDeps } from "../../lib/export/types.js";
import { createLogger } from "../../lib/logger.js";
import type { ClaimResult, TaskStore } from "../../lib/tasks/store.js";
import { BadMessage, handleSqsBatch, parseTaskMessage } from "../../lib/worker.js";

describe("parseTaskMessage", () => {
  it("accepts {id: N} and PHP's string ids", () => {
    assert.equal(parseTaskMessage('{"id": 42}'), 42);
    assert.equal(parseTaskMessage('{"id":"7"}'), 7);
    assert.equal(parseTaskMessage('{"id": 2147483647}'), 2147483647);
  });
  for (const bad of [
    "",
    "not json",
    "null",
    "[]",
    "{}",
    '{"id": -1}',
    '{"id": 1.5}',
    '{"id": "x"}',
    '{"id": 1e300}',
    '{"id": 2147483648}',
    '{"id": "9007199254740993"}',
    `{"id": 1, "pad": "${"x".repeat(2000)}"}`,
  ]) {
    it(`rejects ${JSON.stringify(bad.slice(0, 30))}`, () => {
      assert.throws(() => parseTaskMessage(bad), BadMessage);
    });
  }
});

const record = (messageId: string, body: string) =>
  ({ messageId, body, receiptHandle: messageId }) as SQSRecord;

function fakeDeps(claim: (id: number) => Promise<ClaimResult>): ExportDeps {
  const tasks = { claim } as unknown as TaskStore;
  return {
    tasks,
    logger: createLogger([], "test"),
    secrets: [],
    settings: { maxInFlight: 6 } as ExportDeps["settings"],
  } as unknown as ExportDeps;
}

describe("handleSqsBatch", () => {
  it("drops malformed messages, skips duplicates and reports only records whose task table failed", async () => {
    const seen: number[] = [];
    const deps = fakeDeps(async (id) => {
      seen.push(id);
      if (id === 3) throw new Error("task database unreachable");
      return { kind: "skipped", status: 2 };
    });
    const event: SQSEvent = {
      Records: [
        record("m1", "garbage"),
        record("m2", '{"id": 2}'),
        record("m3", '{"id": 3}'),
        record("m4", '{"id": 4}'),
      ],
    };
    const res = await handleSqsBatch(deps, event);
    assert.deepEqual(res.batchItemFailures, [{ itemIdentifier: "m3" }]);
    assert.deepEqual(seen.sort(), [2, 3, 4]);
  });

  it("reports every record when all fail, without throwing", async () => {
    const deps = fakeDeps(async () => {
      throw new Error("down");
    });
    const res = await handleSqsBatch(deps, {
      Records: [record("a", '{"id":1}'), record("b", '{"id":2}')],
    });
    assert.deepEqual(res.batchItemFailures.map((f) => f.itemIdentifier).sort(), ["a", "b"]);
  });

  it("logs every record that goes back to SQS, with its task id and the cause", async () => {
    const lines: { message: string; fields?: Record<string, unknown> }[] = [];
    const log = (message: string, fields?: Record<string, unknown>) =>
      lines.push({ message, fields });
    const deps = fakeDeps(async () => {
      throw new Error("connect ECONNREFUSED");
    });
    deps.logger = { debug: log, info: log, warn: log, error: log };
    await handleSqsBatch(deps, { Records: [record("a", '{"id":41}')] });
    const line = lines.find((l) => /SQS will deliver it again/.test(l.message));
    assert.ok(line, JSON.stringify(lines));
    assert.equal(line.fields?.taskId, 41);
    assert.equal(line.fields?.messageId, "a");
    assert.match(String((line.fields?.error as Error | undefined)?.message), /ECONNREFUSED/);
  });
});

describe("handleSqsBatch's notifications", () => {
  it("notify only once the row is final, never change the batch's result, and are awaited and counted", async () => {
    const order: string[] = [];
    const task = { id: 5, name: "n", title: "a", query: "SELECT 1", createrName: "u", attempts: 1 };
    const tasks = {
      claim: async (id: number): Promise<ClaimResult> =>
        id === 5
          ? { kind: "claimed", task: { ...task, options: '{"fromat": 1}' }, waitedSeconds: 0 }
          : { kind: "skipped", status: 2 },
      fail: async (_t: unknown, msg: string) => {
        order.push(`fail ${msg.slice(0, 24)}`);
        return true;
      },
    } as unknown as TaskStore;
    const reports: unknown[] = [];
    const deps = {
      tasks,
      logger: createLogger([], "test"),
      secrets: [],
      settings: { maxInFlight: 6, leaseSeconds: 180, progressSeconds: 60, maxAttempts: 3 },
      notifier: {
        checkTaskUrl: undefined,
        taskFinished: async (id: number, until?: number) => {
          order.push(`notify ${id} until ${until}`);
          await new Promise((r) => setTimeout(r, 200));
          order.push("notified");
          return { sent: 0, failed: 2 };
        },
      },
    } as unknown as ExportDeps;
    const metrics = { record: () => {}, notified: (r: unknown) => reports.push(r), flush() {} };
    const res = await handleSqsBatch(
      deps,
      { Records: [record("a", '{"id":5}'), record("b", '{"id":6}')] },
      { metrics, notifyBy: 12345 },
    );
    assert.deepEqual(res.batchItemFailures, [], "failed deliveries fail no record");
    // The duplicate (skipped) is not announced; the failed task is, after its row was written.
    assert.deepEqual(order, ["fail The task's options canno", "notify 5 until 12345", "notified"]);
    assert.deepEqual(reports, [{ sent: 0, failed: 2 }]);
  });
});
