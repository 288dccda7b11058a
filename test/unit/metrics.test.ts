import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { createExportMetrics } from "../../lib/metrics.js";

describe("export metrics", () => {
  it("counts each outcome under its own metric, with rows, bytes, duration and pickup latency", () => {
    const added: [string, string, number][] = [];
    let published = 0;
    const fake = {
      addMetric(name: string, unit: string, value: number) {
        added.push([name, unit, value]);
        return fake;
      },
      publishStoredMetrics() {
        published += 1;
      },
    };
    const m = createExportMetrics("test", fake as unknown as Metrics);
    m.record({
      kind: "exported",
      id: 1,
      rows: 10,
      bytes: 200,
      key: "k",
      url: "u",
      seconds: 1.5,
      waitedSeconds: 4,
    });
    m.record({
      kind: "exported",
      id: 2,
      rows: 0,
      bytes: 20,
      key: "k",
      url: "u",
      seconds: 0.1,
      waitedSeconds: null,
    });
    m.record({ kind: "failed", id: 3, msg: "x" });
    m.record({ kind: "retrying", id: 4, msg: "x" });
    m.record({ kind: "skipped", id: 5, status: 2 });
    m.flush();
    assert.deepEqual(added, [
      ["ExportsSucceeded", "Count", 1],
      ["RowsExported", "Count", 10],
      ["BytesExported", "Bytes", 200],
      ["ExportDuration", "Seconds", 1.5],
      ["PickupLatency", "Seconds", 4],
      ["ExportsSucceeded", "Count", 1],
      ["RowsExported", "Count", 0],
      ["BytesExported", "Bytes", 20],
      ["ExportDuration", "Seconds", 0.1],
      ["ExportsFailed", "Count", 1],
      ["ExportsRetried", "Count", 1],
    ]);
    assert.equal(published, 1);
  });
});

describe("notification metrics", () => {
  it("counts deliveries sent and failed (the NotificationsFailed alarm reads the second)", () => {
    const added: [string, string, number][] = [];
    const fake = {
      addMetric(name: string, unit: string, value: number) {
        added.push([name, unit, value]);
        return fake;
      },
      publishStoredMetrics() {},
    };
    const m = createExportMetrics("test", fake as unknown as Metrics);
    m.notified({ sent: 2, failed: 1 });
    m.notified({ sent: 0, failed: 0 });
    assert.deepEqual(added, [
      ["NotificationsSent", "Count", 2],
      ["NotificationsFailed", "Count", 1],
    ]);
  });
});
